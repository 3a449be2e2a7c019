#include "transport/smtp/Bulk.h"

#include "transport/smtp/Compose.h"
#include "transport/smtp/Protection.h"
#include "transport/smtp/Queue.h"

#include <Poco/JSON/Array.h>

namespace erpmail {

using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

// What mail.send.bulk shares with mail.send, copied into each item's request.
constexpr const char* kShared[] = {"account", "textblock", "subject",    "text", "cc",
                                   "bcc",     "signature", "e_printing", "sign", "encrypt"};

Object::Ptr documentRef(const std::string& doctype, const std::string& id)
{
    Object::Ptr d = new Object;
    d->set("doctype", doctype);
    d->set("id", id);
    return d;
}

// The mail.send request of item `i`.
Request itemRequest(const SendPath& path, const Request& bulk, const Object::Ptr& item, std::size_t i)
{
    const auto& p = bulk.params;
    Request r = bulk;
    r.params = new Object;
    for (const char* key : kShared)
        if (p->has(key)) r.params->set(key, p->get(key));
    const std::string doctype = item->getValue<std::string>("doctype"), id = item->getValue<std::string>("id");
    Array::Ptr documents = new Array;
    documents->add(documentRef(doctype, id));
    r.params->set("documents", documents);
    if (item->optValue<bool>("attach_document", p->optValue<bool>("attach_documents", false))) {
        Array::Ptr attachments = new Array;
        Object::Ptr a = new Object;
        a->set("document", documentRef(doctype, id));
        attachments->add(a);
        r.params->set("attachments", attachments);
    }
    if (item->has("to")) {
        r.params->set("to", item->get("to"));
    } else if (p->has("to_variable")) {
        const std::string name = p->getValue<std::string>("to_variable");
        const std::string field = "items[" + std::to_string(i) + "]";
        auto address = path.context.documentVariable(bulk, doctype, id, name, field);
        if (!address || address->empty())
            throw invalidParam(field, "document " + doctype + " " + id + " has no " + name + " to send to");
        Array::Ptr to = new Array;
        to->add(*address);
        r.params->set("to", to);
    } else {
        throw invalidParam("items[" + std::to_string(i) + "].to", "give the item's to, or to_variable for all");
    }
    return r;
}

Object::Ptr failure(std::size_t i, const Object::Ptr& item, const std::string& code, const std::string& field,
                    const std::string& message)
{
    Object::Ptr f = new Object;
    f->set("index", static_cast<int>(i));
    f->set("doctype", item->getValue<std::string>("doctype"));
    f->set("id", item->getValue<std::string>("id"));
    f->set("code", code);
    if (!field.empty()) f->set("field", field);
    f->set("message", message);
    return f;
}

} // namespace

std::string bulkSchema(const std::string& addresses)
{
    return R"({"type":"object","additionalProperties":false,"required":["textblock","items"],"properties":{
        "account":{"type":"string","minLength":1,"maxLength":36},
        "textblock":{"type":"string","minLength":1,"maxLength":200},
        "subject":{"type":"string","maxLength":998},
        "text":{"type":"string","maxLength":1000000},
        "cc":)" + addresses + R"(,"bcc":)" + addresses + R"(,
        "signature":{"type":"boolean"},
        "e_printing":{"type":"boolean"},
        "sign":{"type":"boolean"},
        "encrypt":{"type":"boolean"},
        "attach_documents":{"type":"boolean"},
        "to_variable":{"type":"string","minLength":1,"maxLength":200},
        "items":{"type":"array","minItems":1,"maxItems":5000,"items":{"type":"object","additionalProperties":false,
          "required":["doctype","id"],
          "properties":{"doctype":{"type":"string","minLength":1,"maxLength":100},
                        "id":{"type":"string","minLength":1,"maxLength":200},
                        "to":)" + addresses + R"(,
                        "attach_document":{"type":"boolean"}}}}}})";
}

Object::Ptr sendBulk(const SendPath& path, const Request& request)
{
    const store::AccountRecord account = senderAccount(path, request);
    // The keys open once for all the mails: one that does not open fails the call.
    const Protection protection = protectionFor(path, request, account);
    auto items = request.params->getArray("items");
    std::vector<ReadyMail> ready;
    std::vector<std::size_t> readyIndex;
    Array::Ptr failed = new Array;
    for (std::size_t i = 0; i < items->size(); ++i) {
        auto item = items->getObject(static_cast<unsigned>(i));
        try {
            Request r = itemRequest(path, request, item, i);
            ComposedMail composed = compose(path, r, account, protection.relaySafe());
            SecuredMessage secured = protect(path, r, account, protection, composed);
            ready.push_back({std::move(r), std::move(composed), std::move(secured)});
            readyIndex.push_back(i);
        } catch (const OperationError& e) {
            failed->add(failure(i, item, e.code(), e.field(), e.what()));
        } catch (const std::exception& e) {
            // One broken document does not stop the others.
            failed->add(failure(i, item, "internal", "", e.what()));
        }
    }
    Array::Ptr queued = new Array;
    const auto answers = ready.empty() ? std::vector<Object::Ptr>{} : queueAll(path, account, ready);
    for (std::size_t k = 0; k < answers.size(); ++k) {
        Object::Ptr q = answers[k];
        auto item = items->getObject(static_cast<unsigned>(readyIndex[k]));
        q->set("index", static_cast<int>(readyIndex[k]));
        q->set("doctype", item->getValue<std::string>("doctype"));
        q->set("doc_id", item->getValue<std::string>("id"));
        queued->add(q);
    }
    Object::Ptr result = new Object;
    result->set("account", account.id);
    result->set("queued_count", static_cast<int>(answers.size()));
    result->set("failed_count", static_cast<int>(failed->size()));
    result->set("queued", queued);
    result->set("failed", failed);
    return result;
}

} // namespace erpmail
