// The outbox of an account's database: queued messages, claimed by one
// sender at a time, retried with backoff, kept with the server's last answer.
#pragma once

#include "store/Odbc.h"

#include <optional>
#include <string>
#include <vector>

namespace erpmail::store {

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
    std::string createdBy;
    std::int64_t createdAtMs = 0;
    std::optional<std::string> claimedBy;
    std::optional<std::int64_t> claimedUntilMs;
};

class OutboxRepository {
public:
    explicit OutboxRepository(Connection& connection) : c_(connection) {}

    /// Queues a message; throws ConstraintViolation for a Message-ID already queued.
    std::int64_t enqueue(const OutboxEntry& entry);

    /// Claims up to `limit` due queued messages of the accounts for `owner`
    /// until `untilMs`, counting an attempt; no two claimers get the same row.
    /// Inside a transaction of the caller's, the claim commits with it.
    std::vector<OutboxEntry> claimDue(const std::vector<std::string>& accountIds, const std::string& owner,
                                      std::int64_t nowMs, std::int64_t untilMs, int limit);
    /// Messages claimed by a sender that died (claim expired) go back to the queue.
    std::int64_t releaseExpired(std::int64_t nowMs);
    /// Extends the claims of owner (a sender still working).
    void renewClaims(const std::string& owner, std::int64_t untilMs);

    void markSent(std::int64_t id, const std::string& answer);
    void markRetry(std::int64_t id, const std::string& answer, std::int64_t nextAttemptMs);
    void markFailed(std::int64_t id, const std::string& answer);
    /// queued or failed -> cancelled; false otherwise.
    bool cancel(std::int64_t id, const std::string& accountId);
    /// failed or cancelled -> queued, due now; false otherwise.
    bool retry(std::int64_t id, const std::string& accountId, std::int64_t nowMs);

    std::optional<OutboxEntry> get(std::int64_t id, bool withRaw = false);
    std::vector<OutboxEntry> list(const std::vector<std::string>& accountIds, const std::string& state,
                                  std::int64_t offset, std::int64_t limit);

private:
    Connection& c_;
};

} // namespace erpmail::store
