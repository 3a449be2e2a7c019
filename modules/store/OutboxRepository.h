// The outbox of an account's database: queued messages, claimed by one
// sender at a time, retried with backoff, kept with the server's last answer.
#pragma once

#include "store/Odbc.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace erpmail::store {

/// One recipient's outcome of an outbox mail, with the server's reply.
struct OutboxRecipient {
    std::string address;
    std::string outcome; ///< accepted, refused_permanent, refused_temporary
    int code = 0;
    std::string answer;
    int attempt = 0;
    std::int64_t updatedAtMs = 0;
};

struct OutboxEntry {
    std::int64_t id = 0;
    std::string accountId;
    std::string messageId; ///< unique: the same Message-ID is never queued twice
    std::string state;     ///< queued, sending, sent, failed, cancelled
    int attempts = 0;
    std::int64_t nextAttemptMs = 0;
    std::optional<std::string> lastAnswer;
    std::string envelopeFrom;
    std::string envelopeTo = "[]"; ///< JSON array of addresses
    std::string raw;               ///< empty in listings
    std::string documentLinks = "[]";
    std::optional<std::string> subject; ///< as written; none for mail queued before it was kept
    std::string createdBy;
    std::int64_t createdAtMs = 0;
    std::optional<std::string> claimedBy;
    std::optional<std::int64_t> claimedUntilMs;
    std::optional<std::string> claimToken;   ///< this claim's own token; every mark after the claim names it
    std::vector<OutboxRecipient> recipients; ///< outcomes recorded so far, where a caller loaded them
};

class OutboxRepository {
public:
    explicit OutboxRepository(Connection& connection) : c_(connection) {}

    /// Queues a message; throws ConstraintViolation for a Message-ID already queued.
    std::int64_t enqueue(const OutboxEntry& entry);

    /// Claims up to `limit` due queued messages of the accounts for `owner`
    /// until `untilMs`, counting an attempt; no two claimers get the same row.
    /// Each claim gets a token of its own (OutboxEntry::claimToken).
    /// Inside a transaction of the caller's, the claim commits with it.
    std::vector<OutboxEntry> claimDue(const std::vector<std::string>& accountIds, const std::string& owner,
                                      std::int64_t nowMs, std::int64_t untilMs, int limit);
    /// Messages claimed by a sender that died go back to the queue, due at
    /// `nowMs`: those whose claim ran out before `expiredBeforeMs`.
    std::int64_t releaseExpired(std::int64_t nowMs, std::int64_t expiredBeforeMs);
    /// Extends one claim while its transfer runs; false when the claim is no
    /// longer this token's (it expired and was taken over).
    bool renewClaim(std::int64_t id, const std::string& claimToken, std::int64_t untilMs);

    /// The marks after a claim: each changes the row only while `claimToken`
    /// still holds the claim, and answers false otherwise (nothing changed).
    bool markSent(std::int64_t id, const std::string& claimToken, const std::string& answer);
    bool markRetry(std::int64_t id, const std::string& claimToken, const std::string& answer,
                   std::int64_t nextAttemptMs);
    bool markFailed(std::int64_t id, const std::string& claimToken, const std::string& answer);

    /// Records the outcome of each recipient of one attempt (replacing what
    /// an earlier attempt recorded for the same address).
    void recordRecipients(std::int64_t id, const std::vector<OutboxRecipient>& outcomes);
    /// The recorded outcomes of the given mails, by outbox id, in address order.
    std::map<std::int64_t, std::vector<OutboxRecipient>> recipients(const std::vector<std::int64_t>& ids);
    /// queued or failed -> cancelled; false otherwise.
    bool cancel(std::int64_t id, const std::string& accountId);
    /// failed or cancelled -> queued, due now, for every recipient not yet accepted; false otherwise.
    bool retry(std::int64_t id, const std::string& accountId, std::int64_t nowMs);

    std::optional<OutboxEntry> get(std::int64_t id, bool withRaw = false);
    std::vector<OutboxEntry> list(const std::vector<std::string>& accountIds, const std::string& state,
                                  std::int64_t offset, std::int64_t limit);

private:
    Connection& c_;
};

} // namespace erpmail::store
