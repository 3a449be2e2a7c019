#include "account/MessageService.h"

#include "account/JsonValues.h"
#include "erpmail/Base64.h"
#include "erpmail/JsonWriter.h"
#include "erpmail/ServerFile.h"
#include "mime/HeaderSafety.h"
#include "store/MessageRepository.h"
#include "store/SecurityRepository.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <ctime>
#include <iterator>
#include <map>
#include <sstream>

namespace erpmail {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr summaryJson(const store::MessageRecord& m)
{
    return jsonObject({{"account", m.accountId},
                       {"id", m.id},
                       {"state", m.state},
                       {"direction", m.direction},
                       {"personal", m.personal},
                       {"subject", orNull(m.subject)},
                       {"from", orNull(m.from)},
                       {"to", orNull(m.to)},
                       {"date_ms", orNull(m.dateMs)},
                       {"received_at_ms", m.receivedAtMs},
                       {"size", m.rawSize},
                       {"message_id", orNull(m.messageId)},
                       {"warning", orNull(m.parseWarning)}});
}

// summaryJson() and the attachment count, as the list writes them.
void writeSummary(JsonWriter& out, const store::MessageRecord& m)
{
    out.beginObject().key("account").value(m.accountId);
    out.key("attachments").value(static_cast<std::int64_t>(m.attachments.size())).key("date_ms").value(m.dateMs);
    out.key("direction").value(m.direction).key("from").value(m.from).key("id").value(m.id);
    out.key("message_id").value(m.messageId).key("personal").value(m.personal);
    out.key("received_at_ms").value(m.receivedAtMs).key("size").value(m.rawSize).key("state").value(m.state);
    out.key("subject").value(m.subject).key("to").value(m.to).key("warning").value(m.parseWarning).endObject();
}

// What opening an attachment the retention rules removed answers: that they
// did, when (UTC), and by which rule; the message keeps a placeholder part.
OperationError removedAttachment(const store::AttachmentRecord& a, int index)
{
    char when[32] = "at an unknown time";
    if (a.removedAtMs) {
        const std::time_t seconds = static_cast<std::time_t>(*a.removedAtMs / 1000);
        std::tm utc{};
        gmtime_r(&seconds, &utc);
        std::strftime(when, sizeof when, "on %Y-%m-%d at %H:%M UTC", &utc);
    }
    return OperationError("not_found", "attachment " + std::to_string(index) + " (" + a.fileName.value_or("unnamed") +
                                           ", " + std::to_string(a.size) + " bytes) was removed by the retention rules " +
                                           when + (a.removedReason ? ": " + *a.removedReason : std::string()) +
                                           "; the message keeps a text part in its place with its name, size and "
                                           "SHA-256",
                          "index");
}

std::vector<std::int64_t> idsOf(const Object::Ptr& params)
{
    std::vector<std::int64_t> ids;
    auto array = params->getArray("ids");
    for (std::size_t i = 0; i < array->size(); ++i) ids.push_back(array->getElement<std::int64_t>(static_cast<unsigned>(i)));
    return ids;
}

const char* kAccountAndIds = R"({"type":"object","additionalProperties":false,"required":["account","ids"],
  "properties":{"account":{"type":"string","minLength":1,"maxLength":36},
                "ids":{"type":"array","minItems":1,"maxItems":1000,"items":{"type":"integer","minimum":1}}}})";

const char* kAccountAndId = R"({"type":"object","additionalProperties":false,"required":["account","id"],
  "properties":{"account":{"type":"string","minLength":1,"maxLength":36},"id":{"type":"integer","minimum":1}}})";

} // namespace

std::vector<Operation> MessageService::operations()
{
    auto bind = [this](Object::Ptr (MessageService::*fn)(const Request&)) {
        return [this, fn](const Request& r) { return (this->*fn)(r); };
    };
    auto state = [this](const std::string& s) { return [this, s](const Request& r) { return setState(r, s); }; };
    auto list = [this](const Request& r) { return this->list(r); };
    return {
        {"mail.message.list",
         "Messages, newest first, of one account or of all the caller may see; the inbox shows pending mail. "
         "Offline accounts' mail is hidden; total false leaves the count out (null)",
         R"({"type":"object","additionalProperties":false,"properties":{
             "account":{"type":"string","minLength":1,"maxLength":36},
             "state":{"enum":["pending","archived","trash","sent"]},
             "page":{"type":"integer","minimum":1,"maximum":1000000},
             "page_size":{"type":"integer","minimum":1,"maximum":200},
             "total":{"type":"boolean"}}})",
         permission::Use, list},
        {"mail.message.get", "One message: headers, text, HTML and its attachments' names and sizes", kAccountAndId,
         permission::Use, bind(&MessageService::get)},
        {"mail.message.attachment", "One attachment's bytes (base64) with its name and type",
         R"({"type":"object","additionalProperties":false,"required":["account","id","index"],
             "properties":{"account":{"type":"string","minLength":1,"maxLength":36},"id":{"type":"integer","minimum":1},
                           "index":{"type":"integer","minimum":1,"maximum":100000}}})",
         permission::Use, bind(&MessageService::attachment)},
        {"mail.message.archive", "Marks messages finished: they leave the inbox", kAccountAndIds, permission::Use,
         state("archived")},
        {"mail.message.unarchive", "Brings archived or trashed messages back to the inbox", kAccountAndIds,
         permission::Use, state("pending")},
        {"mail.message.trash", "Moves messages to the trash (emptied by the retention rules)", kAccountAndIds,
         permission::Use, state("trash")},
        {"mail.message.delete", "Deletes messages for good", kAccountAndIds, permission::Use,
         bind(&MessageService::remove)},
        {"mail.message.move",
         "Moves messages to another account the caller may see, across databases if need be; nothing is lost "
         "if it stops halfway",
         R"({"type":"object","additionalProperties":false,"required":["account","ids","to_account"],
             "properties":{"account":{"type":"string","minLength":1,"maxLength":36},
                           "to_account":{"type":"string","minLength":1,"maxLength":36},
                           "ids":{"type":"array","minItems":1,"maxItems":1000,"items":{"type":"integer","minimum":1}}}})",
         permission::Use, bind(&MessageService::move)},
        {"mail.message.import", "Stores a raw message (.eml, as base64, or a file for admins) in an account",
         R"({"type":"object","additionalProperties":false,"required":["account"],
             "properties":{"account":{"type":"string","minLength":1,"maxLength":36},
                           "raw_base64":{"type":"string","maxLength":200000000},
                           "path":{"type":"string","minLength":1,"maxLength":4096},
                           "state":{"enum":["pending","archived","sent"]}}})",
         permission::Use, bind(&MessageService::import)},
        {"mail.address.list", "The account's address book, optionally filtered",
         R"({"type":"object","additionalProperties":false,"required":["account"],
             "properties":{"account":{"type":"string","minLength":1,"maxLength":36},
                           "search":{"type":"string","maxLength":200},
                           "page":{"type":"integer","minimum":1,"maximum":1000000},
                           "page_size":{"type":"integer","minimum":1,"maximum":500}}})",
         permission::Use, bind(&MessageService::addressList)},
        {"mail.address.upsert", "Adds an address to the account's address book or renames it",
         R"({"type":"object","additionalProperties":false,"required":["account","email"],
             "properties":{"account":{"type":"string","minLength":1,"maxLength":36},
                           "email":{"type":"string","minLength":3,"maxLength":254},
                           "name":{"type":["string","null"],"maxLength":200}}})",
         permission::Use, bind(&MessageService::addressUpsert)},
        {"mail.address.delete", "Removes an address from the account's address book",
         R"({"type":"object","additionalProperties":false,"required":["account","email"],
             "properties":{"account":{"type":"string","minLength":1,"maxLength":36},
                           "email":{"type":"string","minLength":1,"maxLength":254}}})",
         permission::Use, bind(&MessageService::addressDelete)},
    };
}

Answer MessageService::list(const Request& request)
{
    const auto& p = request.params;
    const std::string state = p->optValue<std::string>("state", "pending");
    const std::int64_t page = p->optValue<std::int64_t>("page", 1);
    const std::int64_t size = p->optValue<std::int64_t>("page_size", 50);
    const bool countTotal = p->optValue<bool>("total", true);

    std::vector<store::AccountRecord> accounts;
    if (p->has("account"))
        accounts.push_back(accounts_.requireVisible(p->getValue<std::string>("account"), request));
    else
        accounts = accounts_.listVisible(request);

    Array::Ptr hidden = new Array;
    std::map<std::string, std::vector<store::AccountRecord>> byDatabase;
    for (const auto& a : accounts) {
        if (a.online) {
            byDatabase[a.databaseId].push_back(a);
        } else {
            Object::Ptr h = new Object;
            h->set("account", a.id);
            h->set("label", a.label);
            h->set("reason", orNull(a.offlineReason));
            hidden->add(h);
        }
    }

    // Each database gives its first page*size rows; merged, they hold the page.
    std::vector<store::MessageRecord> rows;
    std::int64_t total = 0;
    int parts = 0;
    for (const auto& [database, group] : byDatabase) {
        std::vector<std::string> ids;
        for (const auto& a : group) ids.push_back(a.id);
        try {
            auto part = accounts_.withMailbox(group.front(), [&](store::Connection& c) {
                return store::MessageRepository(c).list(ids, state, 0, page * size, countTotal);
            });
            total += part.total;
            if (rows.empty())
                rows = std::move(part.items);
            else
                rows.insert(rows.end(), std::make_move_iterator(part.items.begin()),
                            std::make_move_iterator(part.items.end()));
            ++parts;
        } catch (const OperationError& e) {
            // The database went away: its accounts are offline now, and hidden.
            if (e.code() != "unavailable") throw;
            for (const auto& a : group) {
                Object::Ptr h = new Object;
                h->set("account", a.id);
                h->set("label", a.label);
                h->set("reason", std::string(e.what()));
                hidden->add(h);
            }
        }
    }
    // Each database gives its rows in this order already; only a merge of several needs sorting.
    if (parts > 1)
        std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
            return a.receivedAtMs != b.receivedAtMs ? a.receivedAtMs > b.receivedAtMs : a.id > b.id;
        });
    // Written directly, members in Poco's (sorted) order: the text toJson() gave, without building a page of objects.
    JsonWriter out;
    out.beginObject().key("items").beginArray();
    const std::size_t first = static_cast<std::size_t>((page - 1) * size);
    for (std::size_t i = first; i < rows.size() && i < first + static_cast<std::size_t>(size); ++i)
        writeSummary(out, rows[i]);
    out.endArray().key("offline_accounts").raw(toJson(hidden));
    out.key("page").value(page).key("page_size").value(size);
    out.key("total");
    if (countTotal)
        out.value(total);
    else
        out.null();
    return Answer::written(out.endObject().take());
}

Object::Ptr MessageService::get(const Request& request)
{
    auto account = accounts_.requireOnline(request.params->getValue<std::string>("account"), request);
    const std::int64_t id = request.params->getValue<std::int64_t>("id");
    auto message = accounts_.withMailbox(account, [&](store::Connection& c) {
        return store::MessageRepository(c).get(account.id, id);
    });
    if (!message) throw OperationError("not_found", "account '" + account.label + "' has no message " + std::to_string(id), "id");
    Object::Ptr o = summaryJson(*message);
    o->set("cc", orNull(message->cc));
    o->set("in_reply_to", orNull(message->inReplyTo));
    o->set("references", orNull(message->references));
    o->set("text", orNull(message->bodyText));
    o->set("html", orNull(message->bodyHtml));
    o->set("sha256", orNull(message->contentSha256));
    Poco::JSON::Parser parser;
    o->set("document_links", parser.parse(message->documentLinks));
    Array::Ptr attachments = new Array;
    for (const auto& a : message->attachments) {
        Object::Ptr item = jsonObject({{"index", a.ordinal},
                                       {"file_name", orNull(a.fileName)},
                                       {"original_file_name", orNull(a.originalFileName)},
                                       {"content_type", a.contentType},
                                       {"size", a.size},
                                       {"removed", a.removed}});
        if (a.removedAtMs) item->set("removed_at_ms", *a.removedAtMs);
        if (a.removedReason) item->set("removed_reason", *a.removedReason);
        attachments->add(item);
    }
    o->set("attachments", attachments);
    if (auto security = securityOf(account, *message))
        o->set("security", security);
    else
        o->set("security", Var());
    return o;
}

Object::Ptr MessageService::attachment(const Request& request)
{
    auto account = accounts_.requireOnline(request.params->getValue<std::string>("account"), request);
    const std::int64_t id = request.params->getValue<std::int64_t>("id");
    const int index = request.params->getValue<int>("index");
    auto a = accounts_.withMailbox(account, [&](store::Connection& c) {
        return store::MessageRepository(c).attachment(account.id, id, index);
    });
    if (!a) throw OperationError("not_found", "message " + std::to_string(id) + " has no attachment " + std::to_string(index), "index");
    if (a->removed) throw removedAttachment(*a, index);
    Object::Ptr o = new Object;
    o->set("file_name", orNull(a->fileName));
    o->set("original_file_name", orNull(a->originalFileName));
    o->set("content_type", a->contentType);
    o->set("size", a->size);
    o->set("content_base64", toBase64(a->bytes));
    return o;
}

Object::Ptr MessageService::setState(const Request& request, const std::string& state)
{
    auto account = accounts_.requireOnline(request.params->getValue<std::string>("account"), request);
    auto ids = idsOf(request.params);
    std::int64_t changed = accounts_.withMailbox(account, [&](store::Connection& c) {
        store::Transaction tx(c);
        auto n = store::MessageRepository(c).setState(account.id, ids, state, accounts_.context().host().nowMs());
        tx.commit();
        return n;
    });
    Object::Ptr o = new Object;
    o->set("changed", changed);
    o->set("state", state);
    return o;
}

Object::Ptr MessageService::remove(const Request& request)
{
    auto account = accounts_.requireOnline(request.params->getValue<std::string>("account"), request, AccountRight::Delete);
    auto ids = idsOf(request.params);
    std::int64_t deleted = accounts_.withMailbox(account, [&](store::Connection& c) {
        store::Transaction tx(c);
        store::MessageRepository repository(c);
        std::int64_t n = 0;
        for (auto id : ids) n += repository.remove(account.id, id) ? 1 : 0;
        tx.commit();
        return n;
    });
    return jsonObject({{"deleted", deleted}});
}

Object::Ptr MessageService::move(const Request& request)
{
    const auto& p = request.params;
    auto from = accounts_.requireOnline(p->getValue<std::string>("account"), request);
    auto to = accounts_.requireOnline(p->getValue<std::string>("to_account"), request);
    if (from.id == to.id) throw invalidParam("to_account", "messages are already in account '" + to.label + "'");
    auto ids = idsOf(p);
    const bool personal = to.kind == "personal";
    Array::Ptr failed = new Array, movedIds = new Array;

    if (from.databaseId == to.databaseId) {
        auto moved = accounts_.withMailbox(from, [&](store::Connection& c) {
            store::Transaction tx(c);
            auto done = store::MessageRepository(c).reassign(from.id, ids, to.id, personal);
            tx.commit();
            return done;
        });
        for (auto id : moved) movedIds->add(id);
        for (auto id : ids)
            if (std::find(moved.begin(), moved.end(), id) == moved.end()) failed->add(id);
    } else {
        // Copy, commit in the target, then delete in the source: a failure in
        // between leaves the message in both accounts, never in neither.
        for (auto id : ids) {
            std::optional<store::SecurityRecord> security;
            auto message = accounts_.withMailbox(from, [&](store::Connection& c) {
                auto m = store::MessageRepository(c).get(from.id, id, true);
                if (m) m->attachments = store::MessageRepository(c).attachments(id, true);
                security = store::SecurityRepository(c).find(from.id, id);
                return m;
            });
            if (!message) {
                failed->add(id);
                continue;
            }
            message->accountId = to.id;
            message->personal = personal;
            message->imapUid.reset();
            message->imapUidValidity.reset();
            message->pop3Uidl.reset();
            const std::int64_t copy = accounts_.withMailbox(to, [&](store::Connection& c) {
                store::Transaction tx(c);
                const std::int64_t copy = store::MessageRepository(c).insert(*message);
                if (security) {
                    // Its verification moves with it: the result found when it arrived.
                    security->messageId = copy;
                    store::SecurityRepository(c).put(*security);
                }
                tx.commit();
                return copy;
            });
            accounts_.withMailbox(from, [&](store::Connection& c) {
                store::Transaction tx(c);
                store::MessageRepository(c).remove(from.id, id);
                tx.commit();
                return 0;
            });
            movedIds->add(copy);
        }
    }
    Object::Ptr o = new Object;
    o->set("moved", static_cast<std::int64_t>(movedIds->size()));
    o->set("ids", movedIds);
    o->set("not_found", failed);
    o->set("to_account", to.id);
    return o;
}

Object::Ptr MessageService::import(const Request& request)
{
    const auto& p = request.params;
    auto account = accounts_.requireOnline(p->getValue<std::string>("account"), request);
    std::string raw;
    if (p->has("raw_base64") == p->has("path")) throw invalidParam("raw_base64", "give exactly one of raw_base64 or path");
    if (p->has("path")) {
        raw = readServerFileParam(request.userIsAdmin, p->getValue<std::string>("path"), kMaxMailFileBytes, "path");
    } else {
        raw = fromBase64Param(p->getValue<std::string>("raw_base64"), "raw_base64");
    }
    if (raw.empty()) throw invalidParam(p->has("path") ? "path" : "raw_base64", "the message is empty");
    const std::string state = p->optValue<std::string>("state", "pending");
    // The path every received mail takes: an imported reply is linked to its receipt's documents too.
    const StoredMessage stored = accounts_.withMailbox(account, [&](store::Connection& c) {
        return accounts_.storeMessage(c, account, raw, state, state == "sent" ? "out" : "in", "[]");
    });
    return jsonObject({{"account", account.id},
                       {"id", stored.id},
                       {"subject", stored.subject.empty() ? Var() : Var(stored.subject)},
                       {"attachments", static_cast<std::int64_t>(stored.attachments)},
                       {"warning", orNull(stored.warning)}});
}

} // namespace erpmail
