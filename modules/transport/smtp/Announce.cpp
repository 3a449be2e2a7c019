// Announcing sent and failed mail: the event's wording, written with the
// record, and its hand-over to the host once the record has committed.
#include "transport/smtp/Announce.h"

#include "transport/smtp/OutboxEntries.h"

#include <Poco/JSON/Array.h>

namespace erpmail {

using Poco::JSON::Array;
using Poco::JSON::Object;

void recordAnnouncement(const SendPath& path, store::Connection& db, const store::AccountRecord& account,
                        const store::OutboxEntry& entry, const transport::SmtpOutcome& outcome, const Verdict& verdict)
{
    if (verdict.event.empty()) return;
    const bool reached = !verdict.accepted.empty();
    // mail.sent: who got it now; mail.failed: who never will.
    Array::Ptr recipients = new Array;
    if (reached) {
        for (const auto& address : verdict.accepted)
            recipients->add(address);
    } else {
        auto outcomes = outcomesOf(entry, verdict.answers);
        for (const auto& address : envelopeRecipients(entry))
            if (outcomes[address] != "accepted") recipients->add(address);
    }
    Array::Ptr refused = new Array;
    for (const auto& r : verdict.answers) {
        if (r.outcome == "accepted") continue;
        Object::Ptr o = new Object;
        o->set("address", r.address);
        o->set("outcome", r.outcome);
        o->set("answer", r.answer);
        refused->add(o);
    }
    Object::Ptr payload = new Object;
    payload->set("account", account.id);
    payload->set("outbox_id", entry.id);
    payload->set("message_id", entry.messageId);
    payload->set("recipients", recipients);
    payload->set("refused", refused);
    payload->set("retrying", verdict.retry);
    payload->set("documents", documentsOf(entry));
    payload->set("answer", outcome.answer);
    payload->set("attempts", entry.attempts);
    if (verdict.event == "mail.failed") payload->set("permanent", verdict.permanent);
    path.context.recordEvent(db, verdict.event, account.id, payload);
}

void announce(const SendPath& path, const store::AccountRecord& account)
{
    path.context.deliverEvents(*path.accounts.messages.mailbox(account));
}

} // namespace erpmail
