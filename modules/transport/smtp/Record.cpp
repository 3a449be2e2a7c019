// Recording a delivery attempt: the verdict on the mail, then one commit of
// its state, its recipients' answers, its Sent copy and its event, shared
// with the records of the account's other lanes that come at the same time.
#include "transport/smtp/Record.h"

#include "transport/smtp/Announce.h"
#include "transport/smtp/Backoff.h"
#include "transport/smtp/Claims.h"
#include "transport/smtp/GroupCommit.h"
#include "transport/smtp/OutboxEntries.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace erpmail {

namespace {

using transport::SmtpOutcome;

Verdict judge(const store::OutboxEntry& entry, const SmtpOutcome& outcome, int maxAttempts, std::int64_t now)
{
    Verdict v;
    // This attempt's answers over what earlier attempts recorded.
    for (const auto& r : outcome.recipients)
        v.answers.push_back({r.address, outcomeName(r.kind), r.code, r.answer, entry.attempts, now});
    for (const auto& r : entry.recipients)
        v.reachedBefore = v.reachedBefore || r.outcome == "accepted";
    for (const auto& r : v.answers)
        if (r.outcome == "accepted") v.accepted.push_back(r.address);
    const bool reached = !v.accepted.empty();
    const bool left = !outstandingRecipients(entry, v.answers).empty();
    const bool lastTry = entry.attempts >= maxAttempts;
    v.permanent = outcome.kind == SmtpOutcome::Kind::Permanent;
    // A permanent outcome without recipients' answers (a refused sender, a failed login) stands for all of them.
    v.retry = left && !lastTry && !(v.permanent && outcome.recipients.empty());
    v.state = v.retry ? "queued" : v.reachedBefore || reached ? "sent" : "failed";
    v.event = reached ? "mail.sent" : v.retry ? "" : "mail.failed";
    return v;
}

} // namespace

Recorded record(const SendPath& path, GroupCommit& group, const store::AccountRecord& account,
                const store::OutboxEntry& entry, const SmtpOutcome& outcome, std::int64_t passStart,
                std::optional<store::OutboxEntry>* next)
{
    const std::int64_t now = path.context.host().nowMs();
    const Verdict verdict = judge(entry, outcome, path.settings.maxAttempts, now);
    const bool reached = !verdict.accepted.empty();
    const bool firstReach = reached && !verdict.reachedBefore;
    const std::string token = entry.claimToken.value_or("");

    // The Sent copy is parsed here, on the lane's own thread: the commit
    // that the lanes share only writes it.
    std::optional<PreparedMessage> sentCopy;
    if (firstReach) {
        try {
            sentCopy = path.accounts.messages.prepareMessage(account, entry.raw, "sent", "out", entry.documentLinks, {});
        } catch (const std::exception& e) {
            // The mail went out: its sent mark must commit, or it would go out again.
            path.context.log(ERP_LOG_WARNING, "erpmail.outbox",
                             "the local Sent copy of " + entry.messageId + " could not be made: " + e.what());
        }
    }

    // The sent mark, the sent copy and the event commit together, after the
    // 250, and only while the claim is this attempt's.
    std::optional<store::OutboxEntry> following;
    // The lane's next mail is claimed in the same commit; a claim that fails
    // fails that commit once, and the record is tried again without it (the
    // lane then claims on its own).
    bool claimAlong = next != nullptr;
    auto write = [&](store::Connection& db) -> bool {
        following.reset();
        store::OutboxRepository outbox(db);
        bool marked;
        if (verdict.state == "queued")
            marked = outbox.markRetry(entry.id, token, outcome.answer,
                                      now + retryDelayMs(path.settings.retryBaseSeconds, entry.attempts));
        else if (verdict.state == "sent")
            marked = outbox.markSent(entry.id, token, outcome.answer);
        else
            marked = outbox.markFailed(entry.id, token, outcome.answer);
        if (!marked) return false; // nothing written
        outbox.recordRecipients(entry.id, verdict.answers);
        if (sentCopy) {
            PreparedMessage copy = *sentCopy; // written again whole if this commit fails
            path.accounts.messages.storePrepared(db, copy);
        }
        recordAnnouncement(path, db, account, entry, outcome, verdict);
        if (claimAlong && reached) {
            try {
                following = claimNext(path, db, account, passStart);
            } catch (const std::exception&) {
                claimAlong = false;
                throw;
            }
        }
        return true;
    };
    auto commit = [&]() -> bool {
        const bool marked = group.run(write);
        if (next) *next = std::move(following);
        return marked;
    };
    bool marked = false;
    const auto giveUp = std::chrono::steady_clock::now() + std::chrono::seconds(path.settings.recordRetrySeconds);
    for (std::chrono::milliseconds pause(250);; pause = std::min(pause * 2, std::chrono::milliseconds(30000))) {
        try {
            marked = commit();
            break;
        } catch (const std::exception& e) {
            // A mail that reached anyone is recorded or it would go out again: retried
            // for as long as erpmail.outbox.record_retry_seconds, its claim renewed meanwhile.
            const bool again = reached && std::chrono::steady_clock::now() + pause < giveUp;
            path.context.log(ERP_LOG_ERROR, "erpmail.outbox",
                             "could not record the outcome of " + entry.messageId + ": " + e.what() +
                                 (again ? "; trying again" : ""));
            if (!again) return {};
            std::this_thread::sleep_for(pause);
        }
    }
    if (!marked) {
        path.context.log(ERP_LOG_ERROR, "erpmail.outbox",
                         "the claim on " + entry.messageId +
                             " was taken over by another sender; this sender's "
                             "outcome (" +
                             outcome.answer + ") is not recorded");
        return {};
    }
    const std::string& event = verdict.event;
    path.context.log(event == "mail.sent" ? ERP_LOG_INFO : ERP_LOG_WARNING, "erpmail.outbox",
                     entry.messageId +
                         (event.empty()          ? " will be retried"
                          : event == "mail.sent" ? " sent"
                                                 : " failed") +
                         ": " + outcome.answer);
    Recorded recorded;
    recorded.kind = event == "mail.sent"     ? Recorded::Kind::Sent
                    : event == "mail.failed" ? Recorded::Kind::Failed
                                             : Recorded::Kind::Retrying;
    recorded.sentCopyStored = firstReach;
    return recorded;
}

} // namespace erpmail
