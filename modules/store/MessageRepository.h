// Messages, their attachments and the address book in an account's database.
#pragma once

#include "store/Odbc.h"
#include "store/Records.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace erpmail::store {

struct MessagePage {
    std::vector<MessageRecord> items; ///< summaries: no raw, bodies or attachment bytes
    std::int64_t total = 0;           ///< rows matching, over all pages (0 when not counted)
};

class MessageRepository {
public:
    explicit MessageRepository(Connection& connection) : c_(connection) {}

    /// Inserts a message and its attachments in the caller's transaction or
    /// its own; returns the new id. Throws ConstraintViolation for a
    /// duplicate IMAP or POP3 key.
    std::int64_t insert(const MessageRecord& message);
    /// Adds attachments to a stored message, freeing each one's bytes once
    /// written (the records stay, without bytes).
    void insertAttachments(std::int64_t id, std::vector<AttachmentRecord>& attachments);

    /// Newest first (received, then id) for the given accounts and state.
    /// Summaries carry subject, addresses, dates, size and attachment count
    /// (in attachments, as metadata).
    /// countTotal false leaves total at 0: counting walks every matching row.
    MessagePage list(const std::vector<std::string>& accountIds, const std::string& state, std::int64_t offset,
                     std::int64_t limit, bool countTotal = true);

    /// The whole message with attachment metadata (no attachment bytes).
    std::optional<MessageRecord> get(const std::string& accountId, std::int64_t id, bool withRaw = false);
    /// One attachment with its bytes.
    std::optional<AttachmentRecord> attachment(const std::string& accountId, std::int64_t id, int ordinal);
    /// Every attachment of a message, with bytes (for copying).
    std::vector<AttachmentRecord> attachments(std::int64_t id, bool withBytes);

    /// Sets the state of those of ids that belong to the account; returns how
    /// many. Moving to the trash records when (nowMs, host clock), for the
    /// retention rule that empties it; leaving the trash clears it.
    std::int64_t setState(const std::string& accountId, const std::vector<std::int64_t>& ids, const std::string& state,
                          std::int64_t nowMs);
    /// Hands messages to another account in the same database; answers
    /// those of ids it moved (they keep their ids).
    std::vector<std::int64_t> reassign(const std::string& fromAccount, const std::vector<std::int64_t>& ids,
                          const std::string& toAccount, bool personal);
    /// Deletes one message (attachments go with it); false if none.
    bool remove(const std::string& accountId, std::int64_t id);

    std::int64_t countForAccount(const std::string& accountId);

    // IMAP re-keying after a UIDVALIDITY change (what was fetched is kept in FetchStateRepository).
    /// A stored message of the folder with these exact bytes (under any UIDVALIDITY).
    std::optional<std::int64_t> findInFolderByHash(const std::string& accountId, const std::string& folder,
                                                   const std::string& sha256, std::int64_t notUidValidity);
    void rekeyImap(std::int64_t id, std::int64_t uidValidity, std::int64_t uid);
    std::vector<std::pair<std::string, std::int64_t>> countByState(const std::string& accountId);
    std::vector<std::pair<std::string, std::int64_t>> countOutboxByState(const std::string& accountId);
    /// The document links of the first mail the account sent under one of
    /// these Message-IDs, if any.
    std::optional<std::string> documentLinksOfSent(const std::string& accountId,
                                                   const std::vector<std::string>& messageIds);
    /// Deletes every row the account has in this database (messages,
    /// attachments, addresses, fetch state, outbox); returns the messages.
    std::int64_t removeAccount(const std::string& accountId);

    // Address book.
    void upsertAddress(const AddressRecord& address);
    std::vector<AddressRecord> listAddresses(const std::string& accountId, const std::string& search,
                                             std::int64_t offset, std::int64_t limit);
    bool removeAddress(const std::string& accountId, const std::string& email);

private:
    void insertAttachment(std::int64_t id, int ordinal, const AttachmentRecord& attachment);
    Connection& c_;
};

} // namespace erpmail::store
