// Queuing a mail: the outbox row that holds the bytes going on the wire,
// its envelope and its documents.
#include "transport/smtp/Queue.h"

#include "store/OutboxRepository.h"

#include <Poco/JSON/Array.h>

#include <stdexcept>

namespace erpmail {

Poco::JSON::Object::Ptr queue(const SendPath& path, const store::AccountRecord& account, const Request& request,
                              const ComposedMail& composed, SecuredMessage secured)
{
    // The outbox keeps one copy of a mail, the wire bytes, and the Sent copy
    // is made from them: a Sent copy of its own needs a place there first.
    if (secured.sentCopy) throw std::logic_error("the outbox keeps no Sent copy apart from the wire bytes");
    const auto& p = request.params;
    Poco::JSON::Array::Ptr recipients = new Poco::JSON::Array;
    for (const auto& r : composed.message.recipients)
        recipients->add(r);
    store::OutboxEntry entry;
    entry.accountId = account.id;
    entry.messageId = composed.message.messageId;
    entry.nextAttemptMs = composed.dateMs;
    entry.envelopeFrom = composed.message.envelopeFrom;
    entry.envelopeTo = toJson(recipients);
    entry.raw = std::move(secured.wire);
    entry.documentLinks = p->has("documents") ? toJson(p->getArray("documents")) : "[]";
    entry.createdBy = request.user;
    entry.createdAtMs = composed.dateMs;
    std::int64_t id;
    {
        auto lease = path.accounts.mailbox(account);
        id = store::OutboxRepository(*lease).enqueue(entry);
    }
    path.context.log(ERP_LOG_INFO, "erpmail.outbox",
                     request.user + " queued " + entry.messageId + " from account " + account.id);
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("id", id);
    o->set("account", account.id);
    o->set("message_id", entry.messageId);
    o->set("status", "queued");
    o->set("recipients", recipients);
    return o;
}

} // namespace erpmail
