// What the retention rules read and change in an account's database: the
// messages each rule selects, page by page, and their removal.
#pragma once

#include "store/Odbc.h"

#include <cstdint>
#include <string>
#include <vector>

namespace erpmail::store {

/// A message a rule selected.
struct ExpiringMessage {
    std::int64_t id = 0;
    std::int64_t rawSize = 0;
    std::int64_t storedAtMs = 0;      ///< received_at_ms: when erpmail stored it
    std::string documentLinks = "[]"; ///< JSON array of {"doctype","id"}
    std::int64_t key = 0;             ///< what the page is ordered by (with id): the time the rule looks at
};

/// Where the next page starts: after (key, id) of the last message read.
struct PageMark {
    std::int64_t key = 0;
    std::int64_t id = 0;
    bool started = false;
};

/// An attachment the large-attachment rule selected.
struct ExpiringAttachment {
    int ordinal = 0;
    std::int64_t size = 0;
};

class RetentionRepository {
public:
    explicit RetentionRepository(Connection& connection) : c_(connection) {}

    /// Starts the trash clock at nowMs for the account's trashed messages
    /// that have none (trashed before it was recorded); returns how many.
    std::int64_t stampUntimedTrash(const std::string& accountId, std::int64_t nowMs);
    /// Up to `limit` messages in the trash since at most `cutoffMs`, after
    /// `mark`, in the order of the time they went there (then id): a page
    /// reads only expired rows of the index, however large the mailbox.
    std::vector<ExpiringMessage> trashedBy(const std::string& accountId, std::int64_t cutoffMs, const PageMark& mark,
                                           int limit);
    /// Up to `limit` messages stored at or before `cutoffMs`, after `mark`,
    /// in the order they were stored (then id).
    std::vector<ExpiringMessage> storedBy(const std::string& accountId, std::int64_t cutoffMs, const PageMark& mark,
                                          int limit);
    /// Up to `limit` messages stored at or before `cutoffMs`, id above
    /// `afterId`, that keep an attachment larger than `minBytes`, in id order.
    std::vector<ExpiringMessage> withLargeAttachments(const std::string& accountId, std::int64_t minBytes,
                                                      std::int64_t cutoffMs, std::int64_t afterId, int limit);
    /// The message's attachments larger than `minBytes` that still have their bytes.
    std::vector<ExpiringAttachment> largeAttachments(std::int64_t messageId, std::int64_t minBytes);

    /// Deletes those of ids that belong to the account, attachments with
    /// them, in the caller's transaction; returns how many messages went.
    std::int64_t deleteMessages(const std::string& accountId, const std::vector<std::int64_t>& ids);
    /// Replaces a message's raw form (its size follows); the hash of the mail
    /// as received stays, so that a resync still recognises it.
    void replaceRaw(const std::string& accountId, std::int64_t id, const std::string& raw);
    /// Drops an attachment's bytes and records when, why and their SHA-256;
    /// false when it was removed already.
    bool markAttachmentRemoved(std::int64_t messageId, int ordinal, std::int64_t nowMs, const std::string& sha256,
                               const std::string& reason);
    /// SQLite: hands free pages back to the file (auto_vacuum=INCREMENTAL);
    /// PostgreSQL: nothing, autovacuum does it. Outside a transaction.
    void giveBackFreeSpace();

private:
    std::vector<ExpiringMessage> byTime(const char* column, const std::string& accountId, std::int64_t cutoffMs,
                                        const PageMark& mark, int limit);
    Connection& c_;
};

} // namespace erpmail::store
