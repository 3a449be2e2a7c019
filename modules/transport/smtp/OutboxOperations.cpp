// The outbox operations: listing with each recipient's outcome, retrying
// and cancelling a mail, and a delivery pass on request.
#include "transport/smtp/OutboxOperations.h"

#include "store/OutboxRepository.h"
#include "transport/smtp/Deliver.h"
#include "transport/smtp/OutboxEntries.h"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <functional>
#include <iterator>
#include <map>

namespace erpmail {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

/// Each envelope recipient with its outcome so far ("pending" before any answer).
Array::Ptr recipientOutcomesJson(const store::OutboxEntry& e)
{
    std::map<std::string, const store::OutboxRecipient*> known;
    for (const auto& r : e.recipients)
        known[r.address] = &r;
    Array::Ptr out = new Array;
    for (const auto& address : envelopeRecipients(e)) {
        Object::Ptr o = new Object;
        o->set("address", address);
        auto it = known.find(address);
        if (it == known.end()) {
            o->set("outcome", "pending");
        } else {
            o->set("outcome", it->second->outcome);
            o->set("code", it->second->code);
            o->set("answer", it->second->answer);
            o->set("attempt", it->second->attempt);
        }
        out->add(o);
    }
    return out;
}

Object::Ptr entryJson(const store::OutboxEntry& e)
{
    Array::Ptr recipients = new Array;
    for (const auto& address : envelopeRecipients(e))
        recipients->add(address);
    Object::Ptr o = new Object;
    o->set("id", e.id);
    o->set("account", e.accountId);
    o->set("message_id", e.messageId);
    o->set("subject", e.subject ? Var(*e.subject) : Var());
    o->set("state", e.state);
    o->set("attempts", e.attempts);
    o->set("next_attempt_ms", e.nextAttemptMs);
    o->set("last_answer", e.lastAnswer ? Var(*e.lastAnswer) : Var());
    o->set("recipients", recipients);
    o->set("recipient_outcomes", recipientOutcomesJson(e));
    o->set("documents", documentsOf(e));
    o->set("created_by", e.createdBy);
    o->set("created_at_ms", e.createdAtMs);
    return o;
}

/// Moves the request's outbox entry to `state` with `change`, which answers
/// false when the entry is not in a state it moves from (`from`).
Object::Ptr changeEntry(const SendPath& path, const Request& request, const std::string& state, const std::string& from,
                        const std::function<bool(store::OutboxRepository&, std::int64_t, const std::string&)>& change)
{
    auto account =
        path.accounts.authorizer.requireOnline(request.params->getValue<std::string>("account"), request, AccountRight::Send);
    const std::int64_t id = request.params->getValue<std::int64_t>("id");
    bool ok;
    {
        auto lease = path.accounts.messages.mailbox(account);
        store::OutboxRepository outbox(*lease);
        ok = change(outbox, id, account.id);
    }
    if (!ok) throw OperationError("conflict", "outbox entry " + std::to_string(id) + " is not " + from, "id");
    Object::Ptr o = new Object;
    o->set("id", id);
    o->set("state", state);
    return o;
}

} // namespace

Object::Ptr listOutbox(const SendPath& path, const Request& request)
{
    const auto& p = request.params;
    std::vector<store::AccountRecord> accounts;
    if (p->has("account"))
        accounts.push_back(path.accounts.directory.requireVisible(p->getValue<std::string>("account"), request));
    else
        accounts = path.accounts.directory.visibleAccounts(request);
    const std::int64_t page = p->optValue<std::int64_t>("page", 1), size = p->optValue<std::int64_t>("page_size", 100);
    std::map<std::string, std::vector<std::string>> byDatabase;
    std::map<std::string, store::AccountRecord> any;
    for (const auto& a : accounts) {
        if (!a.online) continue;
        byDatabase[a.databaseId].push_back(a.id);
        any.emplace(a.databaseId, a);
    }
    std::vector<store::OutboxEntry> rows;
    for (const auto& [db, ids] : byDatabase) {
        auto lease = path.accounts.messages.mailbox(any.at(db));
        store::OutboxRepository outbox(*lease);
        auto part = outbox.list(ids, p->optValue<std::string>("state", ""), 0, page * size);
        std::vector<std::int64_t> outboxIds;
        for (const auto& e : part)
            outboxIds.push_back(e.id);
        auto outcomes = outbox.recipients(outboxIds);
        for (auto& e : part)
            e.recipients = std::move(outcomes[e.id]);
        rows.insert(rows.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
    }
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        return a.createdAtMs != b.createdAtMs ? a.createdAtMs > b.createdAtMs : a.id > b.id;
    });
    Array::Ptr items = new Array;
    for (std::size_t i = static_cast<std::size_t>((page - 1) * size);
         i < rows.size() && items->size() < static_cast<std::size_t>(size); ++i)
        items->add(entryJson(rows[i]));
    Object::Ptr o = new Object;
    o->set("items", items);
    return o;
}

Object::Ptr retryOutboxEntry(const SendPath& path, const Request& request)
{
    return changeEntry(path, request, "queued", "failed or cancelled",
                       [&](store::OutboxRepository& outbox, std::int64_t id, const std::string& accountId) {
                           return outbox.retry(id, accountId, path.context.host().nowMs());
                       });
}

Object::Ptr cancelOutboxEntry(const SendPath& path, const Request& request)
{
    return changeEntry(path, request, "cancelled", "queued or failed",
                       [](store::OutboxRepository& outbox, std::int64_t id, const std::string& accountId) {
                           return outbox.cancel(id, accountId);
                       });
}

Object::Ptr processOutbox(const SendPath& path, const Request& request)
{
    std::vector<store::AccountRecord> accounts;
    if (request.params->has("account"))
        accounts.push_back(path.accounts.directory.requireOnline(request.params->getValue<std::string>("account"), request));
    else
        accounts = path.accounts.directory.visibleAccounts(request);
    if (accounts.empty()) throw OperationError("not_found", "you may use no account");
    DeliveryReport report = deliverDue(path, accounts);
    Object::Ptr o = new Object;
    o->set("sent", report.sent);
    o->set("retrying", report.retrying);
    o->set("failed", report.failed);
    return o;
}

} // namespace erpmail
