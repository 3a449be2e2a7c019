// Queuing a mail: the outbox row that holds the bytes going on the wire,
// its envelope and its documents.
#include "transport/smtp/Queue.h"

#include "store/OutboxRepository.h"

#include <Poco/JSON/Array.h>

#include <stdexcept>

namespace erpmail {

namespace {

store::OutboxEntry entryOf(const store::AccountRecord& account, const Request& request, const ComposedMail& composed,
                           SecuredMessage secured, Poco::JSON::Array::Ptr& recipients)
{
    // The outbox keeps one copy of a mail, the wire bytes, and the Sent copy
    // is made from them: a Sent copy of its own needs a place there first.
    if (secured.sentCopy) throw std::logic_error("the outbox keeps no Sent copy apart from the wire bytes");
    const auto& p = request.params;
    recipients = new Poco::JSON::Array;
    for (const auto& r : composed.message.recipients)
        recipients->add(r);
    store::OutboxEntry entry;
    entry.accountId = account.id;
    entry.messageId = composed.message.messageId;
    entry.nextAttemptMs = composed.dateMs;
    entry.envelopeFrom = composed.message.envelopeFrom;
    entry.envelopeTo = toJson(recipients);
    entry.subject = composed.message.subject;
    entry.raw = std::move(secured.wire);
    entry.documentLinks = p->has("documents") ? toJson(p->getArray("documents")) : "[]";
    entry.createdBy = request.user;
    entry.createdAtMs = composed.dateMs;
    return entry;
}

Poco::JSON::Object::Ptr answerOf(std::int64_t id, const store::AccountRecord& account, const std::string& messageId,
                                 const Poco::JSON::Array::Ptr& recipients)
{
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("id", id);
    o->set("account", account.id);
    o->set("message_id", messageId);
    o->set("status", "queued");
    o->set("recipients", recipients);
    return o;
}

} // namespace

Poco::JSON::Object::Ptr queue(const SendPath& path, const store::AccountRecord& account, const Request& request,
                              const ComposedMail& composed, SecuredMessage secured)
{
    Poco::JSON::Array::Ptr recipients;
    store::OutboxEntry entry = entryOf(account, request, composed, std::move(secured), recipients);
    std::int64_t id;
    {
        auto lease = path.accounts.messages.mailbox(account);
        id = store::OutboxRepository(*lease).enqueue(entry);
    }
    path.context.log(ERP_LOG_INFO, "erpmail.outbox",
                     request.user + " queued " + entry.messageId + " from account " + account.id);
    return answerOf(id, account, entry.messageId, recipients);
}

std::vector<Poco::JSON::Object::Ptr> queueAll(const SendPath& path, const store::AccountRecord& account,
                                              std::vector<ReadyMail>& mails)
{
    std::vector<store::OutboxEntry> entries;
    std::vector<Poco::JSON::Array::Ptr> recipients(mails.size());
    for (std::size_t i = 0; i < mails.size(); ++i)
        entries.push_back(entryOf(account, mails[i].request, mails[i].composed, std::move(mails[i].secured), recipients[i]));
    std::vector<std::int64_t> ids;
    {
        auto lease = path.accounts.messages.mailbox(account);
        store::OutboxRepository outbox(*lease);
        store::Transaction tx(*lease);
        for (const auto& e : entries) ids.push_back(outbox.enqueue(e));
        tx.commit();
    }
    std::vector<Poco::JSON::Object::Ptr> answers;
    for (std::size_t i = 0; i < entries.size(); ++i) answers.push_back(answerOf(ids[i], account, entries[i].messageId, recipients[i]));
    if (!mails.empty())
        path.context.log(ERP_LOG_INFO, "erpmail.outbox",
                         mails.front().request.user + " queued " + std::to_string(entries.size()) +
                             " mails from account " + account.id + " at once");
    return answers;
}

} // namespace erpmail
