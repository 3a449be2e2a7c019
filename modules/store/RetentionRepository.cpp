#include "store/RetentionRepository.h"

#include <algorithm>
#include <limits>

namespace erpmail::store {

std::int64_t RetentionRepository::stampUntimedTrash(const std::string& accountId, std::int64_t nowMs)
{
    Statement st(c_, "UPDATE messages SET trashed_at_ms = ? WHERE account_id = ? AND state = 'trash'"
                     " AND trashed_at_ms IS NULL");
    st.bindInt(1, nowMs).bindText(2, accountId);
    return std::max<std::int64_t>(st.execute(), 0);
}

namespace {

// An encrypted entity (smime.p7m) is the mail itself, not an attachment, and
// a signature goes with the signed content: retention removes neither.
constexpr const char* kNotSmime = "LOWER(t.content_type) NOT IN ('application/pkcs7-mime', 'application/x-pkcs7-mime',"
                                  " 'application/pkcs7-signature', 'application/x-pkcs7-signature')";

ExpiringMessage readExpiring(Statement& st)
{
    ExpiringMessage m;
    m.id = st.intOr(1, 0);
    m.rawSize = st.intOr(2, 0);
    m.storedAtMs = st.intOr(3, 0);
    m.documentLinks = st.textOr(4, "[]");
    m.key = st.intOr(5, 0);
    return m;
}

} // namespace

std::vector<ExpiringMessage> RetentionRepository::byTime(const char* column, const std::string& accountId,
                                                         std::int64_t cutoffMs, const PageMark& mark, int limit)
{
    const std::string c = column;
    Statement& st = c_.prepared("SELECT id, raw_size, received_at_ms, document_links, " + c +
                                " FROM messages WHERE account_id = ? AND " + c + " <= ?" +
                                (c == "trashed_at_ms" ? " AND state = 'trash'" : "") + " AND " + c + " >= ? AND (" + c +
                                " > ? OR id > ?) ORDER BY " + c + ", id LIMIT ?");
    // The range starts at the last page's key, so that no page reads again what one before it read.
    const std::int64_t from = mark.started ? mark.key : std::numeric_limits<std::int64_t>::min();
    st.bindText(1, accountId).bindInt(2, cutoffMs).bindInt(3, from).bindInt(4, from);
    st.bindInt(5, mark.started ? mark.id : 0).bindInt(6, limit);
    st.execute();
    std::vector<ExpiringMessage> out;
    while (st.fetch())
        out.push_back(readExpiring(st));
    return out;
}

std::vector<ExpiringMessage> RetentionRepository::trashedBy(const std::string& accountId, std::int64_t cutoffMs,
                                                            const PageMark& mark, int limit)
{
    return byTime("trashed_at_ms", accountId, cutoffMs, mark, limit);
}

std::vector<ExpiringMessage> RetentionRepository::storedBy(const std::string& accountId, std::int64_t cutoffMs,
                                                           const PageMark& mark, int limit)
{
    return byTime("received_at_ms", accountId, cutoffMs, mark, limit);
}

std::vector<ExpiringMessage> RetentionRepository::withLargeAttachments(const std::string& accountId,
                                                                       std::int64_t minBytes, std::int64_t cutoffMs,
                                                                       std::int64_t afterId, int limit)
{
    // Driven by the partial index of attachments that still have their
    // bytes: a run looks only at large ones not yet removed.
    Statement& st = c_.prepared(
        "SELECT m.id, m.raw_size, m.received_at_ms, m.document_links, m.id FROM messages m"
        " WHERE m.id IN (SELECT t.message_id FROM attachments t WHERE t.removed_at_ms IS NULL AND t.size > ?"
        " AND " +
        std::string(kNotSmime) +
        ")"
        " AND m.account_id = ? AND m.received_at_ms <= ? AND m.id > ? ORDER BY m.id LIMIT ?");
    st.bindInt(1, minBytes).bindText(2, accountId).bindInt(3, cutoffMs).bindInt(4, afterId).bindInt(5, limit);
    st.execute();
    std::vector<ExpiringMessage> out;
    while (st.fetch())
        out.push_back(readExpiring(st));
    return out;
}

std::vector<ExpiringAttachment> RetentionRepository::largeAttachments(std::int64_t messageId, std::int64_t minBytes)
{
    std::vector<ExpiringAttachment> out;
    Statement st(c_,
                 std::string("SELECT ordinal, size FROM attachments t WHERE message_id = ? AND removed_at_ms IS NULL"
                             " AND size > ? AND ") +
                     kNotSmime + " ORDER BY ordinal");
    st.bindInt(1, messageId).bindInt(2, minBytes);
    st.execute();
    while (st.fetch()) {
        ExpiringAttachment a;
        a.ordinal = static_cast<int>(st.intOr(1, 0));
        a.size = st.intOr(2, 0);
        out.push_back(a);
    }
    return out;
}

std::int64_t RetentionRepository::deleteMessages(const std::string& accountId, const std::vector<std::int64_t>& ids)
{
    if (ids.empty()) return 0;
    const std::string in = placeholders(ids.size());
    // SQLite would look the account up in an index that holds every row of
    // a one-account database and scan it per batch; "+" leaves it to the ids.
    const char* account = c_.dialect() == Dialect::SQLite ? "+account_id" : "account_id";
    Statement msg(c_, std::string("DELETE FROM messages WHERE id IN (") + in + ") AND " + account + " = ?");
    // Attachments of those that went, whether or not the foreign key cascaded.
    Statement att(c_, "DELETE FROM attachments WHERE message_id IN (" + in +
                          ") AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = attachments.message_id)");
    int pos = 1;
    for (std::int64_t id : ids) {
        msg.bindInt(pos, id);
        att.bindInt(pos++, id);
    }
    msg.bindText(pos, accountId);
    const std::int64_t deleted = std::max<std::int64_t>(msg.execute(), 0);
    att.execute();
    return deleted;
}

void RetentionRepository::replaceRaw(const std::string& accountId, std::int64_t id, const std::string& raw)
{
    Statement st(c_, "UPDATE messages SET raw = ?, raw_size = ? WHERE account_id = ? AND id = ?");
    st.bindBlob(1, raw).bindInt(2, static_cast<std::int64_t>(raw.size())).bindText(3, accountId).bindInt(4, id);
    st.execute();
}

bool RetentionRepository::markAttachmentRemoved(std::int64_t messageId, int ordinal, std::int64_t nowMs,
                                                const std::string& sha256, const std::string& reason)
{
    Statement st(c_, "UPDATE attachments SET content = NULL, removed_at_ms = ?, removed_sha256 = ?, removed_reason = ?"
                     " WHERE message_id = ? AND ordinal = ? AND removed_at_ms IS NULL");
    st.bindInt(1, nowMs).bindText(2, sha256).bindText(3, reason).bindInt(4, messageId).bindInt(5, ordinal);
    return st.execute() > 0;
}

void RetentionRepository::giveBackFreeSpace()
{
    if (c_.dialect() != Dialect::SQLite) return;
    c_.execute("PRAGMA incremental_vacuum");
}

} // namespace erpmail::store
