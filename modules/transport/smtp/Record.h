// The send path's fifth stage: what one delivery attempt came to is
// recorded in the account's database, after the server's answer.
#pragma once

#include "store/OutboxRepository.h"
#include "transport/smtp/GroupCommit.h"
#include "transport/smtp/SendPath.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace erpmail {

/// What one attempt comes to, judged from the server's answers and what
/// earlier attempts recorded.
struct Verdict {
    std::vector<store::OutboxRecipient> answers; ///< this attempt's answer for each recipient it named
    std::vector<std::string> accepted;           ///< the recipients it reached
    bool reachedBefore = false;                  ///< an earlier attempt reached a recipient
    bool retry = false;                          ///< recipients are left and will be tried again
    bool permanent = false;                      ///< the server refused for good
    std::string state;                           ///< the mail's outbox state after it: queued, sent or failed
    std::string event;                           ///< mail.sent, mail.failed, or empty while it waits for a retry
};

/// What record() did.
struct Recorded {
    /// How the delivery pass counts it; NotRecorded when the record could
    /// not be written or the claim was no longer this attempt's.
    enum class Kind { NotRecorded, Sent, Retrying, Failed } kind = Kind::NotRecorded;
    bool sentCopyStored = false; ///< this attempt stored the mail's Sent copy: the server's Sent folder wants it too
};

/// Records one attempt on a mail this sender claimed: each recipient's
/// outcome, the mail's state (sent only after a 250, retried with backoff,
/// or failed), for a mail that reached a recipient for the first time its
/// Sent copy, and the event announce() hands to the host; all in one
/// transaction (through `group`, shared with other lanes' records), and
/// only while the claim is still this attempt's. A mail
/// that reached anyone is recorded or it would go out again: a failing
/// record is tried again for erpmail.outbox.record_retry_seconds. With
/// `next`, a sent mail's record also claims the account's next mail due at
/// `passStart` in the same commit. Logs what it records.
Recorded record(const SendPath& path, GroupCommit& group, const store::AccountRecord& account,
                const store::OutboxEntry& entry, const transport::SmtpOutcome& outcome, std::int64_t passStart,
                std::optional<store::OutboxEntry>* next);

} // namespace erpmail
