#include "store/RetentionRepository.h"

#include <algorithm>

namespace erpmail::store {

std::int64_t RetentionRepository::stampUntimedTrash(const std::string& accountId, std::int64_t nowMs)
{
    Statement st(c_, "UPDATE messages SET trashed_at_ms = ? WHERE account_id = ? AND state = 'trash'"
                     " AND trashed_at_ms IS NULL");
    st.bindInt(1, nowMs).bindText(2, accountId);
    return std::max<std::int64_t>(st.execute(), 0);
}

std::vector<ExpiringMessage> RetentionRepository::select(const std::string& sql, const std::string& accountId,
                                                         std::int64_t cutoffMs, std::int64_t afterId, int limit,
                                                         const std::int64_t* minBytes)
{
    std::vector<ExpiringMessage> out;
    Statement& st = c_.prepared(sql);
    int pos = 1;
    if (minBytes) st.bindInt(pos++, *minBytes);
    st.bindText(pos, accountId).bindInt(pos + 1, cutoffMs).bindInt(pos + 2, afterId).bindInt(pos + 3, limit);
    st.execute();
    while (st.fetch()) {
        ExpiringMessage m;
        m.id = st.intOr(1, 0);
        m.rawSize = st.intOr(2, 0);
        m.storedAtMs = st.intOr(3, 0);
        m.documentLinks = st.textOr(4, "[]");
        out.push_back(std::move(m));
    }
    return out;
}

std::vector<ExpiringMessage> RetentionRepository::trashedBy(const std::string& accountId, std::int64_t cutoffMs,
                                                            std::int64_t afterId, int limit)
{
    return select("SELECT id, raw_size, received_at_ms, document_links FROM messages WHERE account_id = ?"
                  " AND state = 'trash' AND trashed_at_ms <= ? AND id > ? ORDER BY id LIMIT ?",
                  accountId, cutoffMs, afterId, limit);
}

std::vector<ExpiringMessage> RetentionRepository::storedBy(const std::string& accountId, std::int64_t cutoffMs,
                                                           std::int64_t afterId, int limit)
{
    return select("SELECT id, raw_size, received_at_ms, document_links FROM messages WHERE account_id = ?"
                  " AND received_at_ms <= ? AND id > ? ORDER BY id LIMIT ?",
                  accountId, cutoffMs, afterId, limit);
}

std::vector<ExpiringMessage> RetentionRepository::withLargeAttachments(const std::string& accountId,
                                                                       std::int64_t minBytes, std::int64_t cutoffMs,
                                                                       std::int64_t afterId, int limit)
{
    // Driven by the partial index of attachments that still have their
    // bytes: a run looks only at large ones not yet removed.
    return select("SELECT m.id, m.raw_size, m.received_at_ms, m.document_links FROM messages m"
                  " WHERE m.id IN (SELECT t.message_id FROM attachments t WHERE t.removed_at_ms IS NULL"
                  " AND t.size > ?) AND m.account_id = ? AND m.received_at_ms <= ? AND m.id > ?"
                  " ORDER BY m.id LIMIT ?",
                  accountId, cutoffMs, afterId, limit, &minBytes);
}

std::vector<ExpiringAttachment> RetentionRepository::largeAttachments(std::int64_t messageId, std::int64_t minBytes)
{
    std::vector<ExpiringAttachment> out;
    Statement st(c_, "SELECT ordinal, size FROM attachments WHERE message_id = ? AND removed_at_ms IS NULL"
                     " AND size > ? ORDER BY ordinal");
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
    Statement att(c_, "DELETE FROM attachments WHERE message_id IN (SELECT id FROM messages WHERE account_id = ?"
                      " AND id IN (" +
                          in + "))");
    Statement msg(c_, "DELETE FROM messages WHERE account_id = ? AND id IN (" + in + ")");
    for (Statement* st : {&att, &msg}) {
        st->bindText(1, accountId);
        int pos = 2;
        for (std::int64_t id : ids)
            st->bindInt(pos++, id);
    }
    att.execute();
    return std::max<std::int64_t>(msg.execute(), 0);
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
