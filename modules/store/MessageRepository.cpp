#include "store/MessageRepository.h"

#include <algorithm>
#include <cctype>

namespace erpmail::store {

namespace {

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

constexpr const char* kSummaryColumns =
    "m.id, m.account_id, m.direction, m.state, m.personal, m.subject, m.from_address, m.to_addresses,"
    " m.date_ms, m.received_at_ms, m.raw_size, m.message_id, m.parse_warning,"
    " (SELECT COUNT(*) FROM attachments t WHERE t.message_id = m.id)";

// What readAttachment() reads, then the content if it reads bytes.
constexpr const char* kAttachmentColumns =
    "t.ordinal, t.file_name, t.content_type, t.content_id, t.size, t.removed_at_ms, t.original_file_name,"
    " t.removed_reason";

AttachmentRecord readAttachment(Statement& st, bool withBytes)
{
    AttachmentRecord a;
    a.ordinal = static_cast<int>(st.intOr(1, 0));
    a.fileName = st.getText(2);
    a.contentType = st.textOr(3);
    a.contentId = st.getText(4);
    a.size = st.intOr(5, 0);
    a.removedAtMs = st.getInt(6);
    a.removed = a.removedAtMs.has_value();
    a.originalFileName = st.getText(7);
    a.removedReason = st.getText(8);
    if (withBytes) a.bytes = st.getBlob(9).value_or("");
    return a;
}

MessageRecord readSummary(Statement& st)
{
    MessageRecord m;
    m.id = st.intOr(1, 0);
    m.accountId = st.textOr(2);
    m.direction = st.textOr(3);
    m.state = st.textOr(4);
    m.personal = st.intOr(5, 0) != 0;
    m.subject = st.getText(6);
    m.from = st.getText(7);
    m.to = st.getText(8);
    m.dateMs = st.getInt(9);
    m.receivedAtMs = st.intOr(10, 0);
    m.rawSize = st.intOr(11, 0);
    m.messageId = st.getText(12);
    m.parseWarning = st.getText(13);
    m.attachments.resize(static_cast<std::size_t>(st.intOr(14, 0)));
    return m;
}

} // namespace

std::int64_t MessageRepository::insert(const MessageRecord& m)
{
    Statement& st = c_.prepared("INSERT INTO messages (account_id, direction, state, personal, folder, imap_uidvalidity, imap_uid,"
                     " pop3_uidl, message_id, in_reply_to, references_header, subject, from_address, to_addresses,"
                     " cc_addresses, date_ms, received_at_ms, body_text, body_html, raw, raw_size, content_sha256,"
                     " parse_warning, document_links)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    st.bindText(1, m.accountId).bindText(2, m.direction).bindText(3, m.state).bindInt(4, m.personal ? 1 : 0);
    st.bindText(5, m.folder);
    st.bindOptionalInt(6, m.imapUidValidity).bindOptionalInt(7, m.imapUid);
    st.bindOptionalText(8, m.pop3Uidl).bindOptionalText(9, m.messageId).bindOptionalText(10, m.inReplyTo);
    st.bindOptionalText(11, m.references).bindOptionalText(12, m.subject).bindOptionalText(13, m.from);
    st.bindOptionalText(14, m.to).bindOptionalText(15, m.cc);
    st.bindOptionalInt(16, m.dateMs);
    st.bindInt(17, m.receivedAtMs).bindOptionalText(18, m.bodyText).bindOptionalText(19, m.bodyHtml);
    st.bindBlob(20, m.raw).bindInt(21, static_cast<std::int64_t>(m.raw.size()));
    st.bindOptionalText(22, m.contentSha256).bindOptionalText(23, m.parseWarning).bindText(24, m.documentLinks);
    st.execute();
    st.close(); // lets the driver release what it built for the row (a large mail's bytes)
    const std::int64_t id = c_.lastInsertId();
    int ordinal = 0;
    for (const auto& a : m.attachments) insertAttachment(id, ++ordinal, a);
    return id;
}

void MessageRepository::insertAttachment(std::int64_t id, int ordinal, const AttachmentRecord& a)
{
    Statement& att = c_.prepared("INSERT INTO attachments (message_id, ordinal, file_name, content_type, content_id,"
                                 " size, original_file_name, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    att.bindInt(1, id).bindInt(2, ordinal).bindOptionalText(3, a.fileName).bindText(4, a.contentType);
    att.bindOptionalText(5, a.contentId).bindInt(6, static_cast<std::int64_t>(a.bytes.size()));
    att.bindOptionalText(7, a.originalFileName).bindBlob(8, a.bytes);
    att.execute();
    att.close();
}

void MessageRepository::insertAttachments(std::int64_t id, std::vector<AttachmentRecord>& attachments)
{
    int ordinal = 0;
    for (auto& a : attachments) {
        insertAttachment(id, ++ordinal, a);
        std::string().swap(a.bytes);
    }
}

MessagePage MessageRepository::list(const std::vector<std::string>& accountIds, const std::string& state,
                                    std::int64_t offset, std::int64_t limit, bool countTotal)
{
    MessagePage page;
    if (accountIds.empty()) return page;
    const std::string where = " FROM messages m WHERE m.account_id IN (" + placeholders(accountIds.size()) +
                              ") AND m.state = ?";
    // Kept: the inbox lists again and again; there is one text per number of accounts listed in a database.
    if (countTotal) {
        Statement& count = c_.prepared("SELECT COUNT(*)" + where);
        count.bindText(count.bindTexts(1, accountIds), state);
        count.execute();
        if (count.fetch()) page.total = count.intOr(1, 0);
        count.close();
    }
    Statement& st = c_.prepared(std::string("SELECT ") + kSummaryColumns + where +
                                " ORDER BY m.received_at_ms DESC, m.id DESC LIMIT ? OFFSET ?");
    const int pos = st.bindTexts(1, accountIds);
    st.bindText(pos, state).bindInt(pos + 1, limit).bindInt(pos + 2, offset);
    st.execute();
    while (st.fetch()) page.items.push_back(readSummary(st));
    st.close();
    return page;
}

std::optional<MessageRecord> MessageRepository::get(const std::string& accountId, std::int64_t id, bool withRaw)
{
    std::optional<MessageRecord> out;
    {
        // The summary's columns first, then the rest of the row.
        Statement st(c_, std::string("SELECT ") + kSummaryColumns +
                             ", m.folder, m.imap_uidvalidity, m.imap_uid, m.pop3_uidl, m.in_reply_to,"
                             " m.references_header, m.cc_addresses, m.body_text, m.body_html, m.content_sha256,"
                             " m.document_links" +
                             (withRaw ? ", m.raw" : "") + " FROM messages m WHERE m.account_id = ? AND m.id = ?");
        st.bindText(1, accountId).bindInt(2, id);
        st.execute();
        if (!st.fetch()) return std::nullopt;
        MessageRecord m = readSummary(st);
        m.folder = st.textOr(15);
        m.imapUidValidity = st.getInt(16);
        m.imapUid = st.getInt(17);
        int col = 18;
        for (auto text : {&MessageRecord::pop3Uidl, &MessageRecord::inReplyTo, &MessageRecord::references,
                          &MessageRecord::cc, &MessageRecord::bodyText, &MessageRecord::bodyHtml,
                          &MessageRecord::contentSha256})
            m.*text = st.getText(col++);
        m.documentLinks = st.textOr(col, "[]");
        if (withRaw) m.raw = st.getBlob(col + 1).value_or("");
        out = std::move(m);
    }
    out->attachments = attachments(id, false);
    return out;
}

std::vector<AttachmentRecord> MessageRepository::attachments(std::int64_t id, bool withBytes)
{
    std::vector<AttachmentRecord> out;
    Statement st(c_, std::string("SELECT ") + kAttachmentColumns + (withBytes ? ", t.content" : "") +
                         " FROM attachments t WHERE t.message_id = ? ORDER BY t.ordinal");
    st.bindInt(1, id);
    st.execute();
    while (st.fetch()) out.push_back(readAttachment(st, withBytes));
    return out;
}

std::optional<AttachmentRecord> MessageRepository::attachment(const std::string& accountId, std::int64_t id,
                                                              int ordinal)
{
    Statement st(c_, std::string("SELECT ") + kAttachmentColumns + ", t.content" +
                         " FROM attachments t JOIN messages m ON m.id = t.message_id"
                         " WHERE m.account_id = ? AND m.id = ? AND t.ordinal = ?");
    st.bindText(1, accountId).bindInt(2, id).bindInt(3, ordinal);
    st.execute();
    if (!st.fetch()) return std::nullopt;
    return readAttachment(st, true);
}

std::int64_t MessageRepository::setState(const std::string& accountId, const std::vector<std::int64_t>& ids,
                                         const std::string& state, std::int64_t nowMs)
{
    std::int64_t changed = 0;
    // A message already in the trash keeps the time it went there.
    Statement st(c_, "UPDATE messages SET state = ?, trashed_at_ms = CASE WHEN ? = 1 THEN COALESCE(trashed_at_ms, ?)"
                     " ELSE NULL END WHERE account_id = ? AND id = ?");
    for (std::int64_t id : ids) {
        st.bindText(1, state).bindInt(2, state == "trash" ? 1 : 0).bindInt(3, nowMs).bindText(4, accountId).bindInt(5, id);
        changed += std::max<std::int64_t>(st.execute(), 0);
    }
    return changed;
}

std::vector<std::int64_t> MessageRepository::reassign(const std::string& fromAccount,
                                                      const std::vector<std::int64_t>& ids,
                                                      const std::string& toAccount, bool personal)
{
    std::vector<std::int64_t> moved;
    // The fetch keys belong to the source account's mailbox; the target never fetched these.
    Statement st(c_, "UPDATE messages SET account_id = ?, personal = ?, imap_uidvalidity = NULL, imap_uid = NULL,"
                     " pop3_uidl = NULL WHERE account_id = ? AND id = ?");
    for (std::int64_t id : ids) {
        st.bindText(1, toAccount).bindInt(2, personal ? 1 : 0).bindText(3, fromAccount).bindInt(4, id);
        if (st.execute() > 0) moved.push_back(id);
    }
    return moved;
}

bool MessageRepository::remove(const std::string& accountId, std::int64_t id)
{
    Statement att(c_, "DELETE FROM attachments WHERE message_id IN (SELECT id FROM messages WHERE account_id = ? AND id = ?)");
    att.bindText(1, accountId).bindInt(2, id);
    att.execute();
    Statement st(c_, "DELETE FROM messages WHERE account_id = ? AND id = ?");
    st.bindText(1, accountId).bindInt(2, id);
    return st.execute() > 0;
}

std::optional<std::string> MessageRepository::documentLinksOfSent(const std::string& accountId,
                                                                  const std::vector<std::string>& messageIds)
{
    Statement& st = c_.prepared("SELECT document_links FROM messages WHERE account_id = ? AND direction = 'out'"
                     " AND message_id = ? AND document_links <> '[]'");
    for (const auto& id : messageIds) {
        st.bindText(1, accountId).bindText(2, id);
        st.execute();
        if (st.fetch()) {
            auto links = st.getText(1);
            st.close();
            return links;
        }
    }
    return std::nullopt;
}

namespace {

std::vector<std::pair<std::string, std::int64_t>> countGrouped(Connection& c, const char* sql, const std::string& accountId)
{
    std::vector<std::pair<std::string, std::int64_t>> out;
    Statement st(c, sql);
    st.bindText(1, accountId);
    st.execute();
    while (st.fetch()) {
        std::string state = st.textOr(1);
        out.emplace_back(state, st.intOr(2, 0));
    }
    return out;
}

} // namespace

std::vector<std::pair<std::string, std::int64_t>> MessageRepository::countByState(const std::string& accountId)
{
    return countGrouped(c_, "SELECT state, COUNT(*) FROM messages WHERE account_id = ? GROUP BY state ORDER BY state",
                        accountId);
}

std::vector<std::pair<std::string, std::int64_t>> MessageRepository::countOutboxByState(const std::string& accountId)
{
    return countGrouped(c_, "SELECT state, COUNT(*) FROM outbox WHERE account_id = ? GROUP BY state ORDER BY state",
                        accountId);
}

std::optional<std::int64_t> MessageRepository::findInFolderByHash(const std::string& accountId, const std::string& folder,
                                                                  const std::string& sha256, std::int64_t notUidValidity)
{
    Statement st(c_, "SELECT id FROM messages WHERE account_id = ? AND folder = ? AND content_sha256 = ?"
                     " AND (imap_uidvalidity IS NULL OR imap_uidvalidity <> ?) ORDER BY id LIMIT 1");
    st.bindText(1, accountId).bindText(2, folder).bindText(3, sha256).bindInt(4, notUidValidity);
    st.execute();
    if (!st.fetch()) return std::nullopt;
    return st.getInt(1);
}

void MessageRepository::rekeyImap(std::int64_t id, std::int64_t uidValidity, std::int64_t uid)
{
    Statement st(c_, "UPDATE messages SET imap_uidvalidity = ?, imap_uid = ? WHERE id = ?");
    st.bindInt(1, uidValidity).bindInt(2, uid).bindInt(3, id);
    st.execute();
}

std::int64_t MessageRepository::countForAccount(const std::string& accountId)
{
    return c_.count("SELECT COUNT(*) FROM messages WHERE account_id = ?", accountId);
}

std::int64_t MessageRepository::removeAccount(const std::string& accountId)
{
    const std::int64_t messages = countForAccount(accountId);
    for (const char* sql :
         {"DELETE FROM attachments WHERE message_id IN (SELECT id FROM messages WHERE account_id = ?)",
          "DELETE FROM messages WHERE account_id = ?", "DELETE FROM addresses WHERE account_id = ?",
          "DELETE FROM address_certificates WHERE account_id = ?", "DELETE FROM fetch_state WHERE account_id = ?",
          "DELETE FROM pop3_seen WHERE account_id = ?", "DELETE FROM imap_seen WHERE account_id = ?",
          "DELETE FROM outbox WHERE account_id = ?"}) {
        Statement st(c_, sql);
        st.bindText(1, accountId);
        st.execute();
    }
    return messages;
}

void MessageRepository::upsertAddress(const AddressRecord& a)
{
    const std::string email = lower(a.email);
    Statement& update = c_.prepared("UPDATE addresses SET display_name = COALESCE(?, display_name), last_seen_ms = ?"
                         " WHERE account_id = ? AND email = ?");
    update.bindOptionalText(1, a.displayName).bindInt(2, a.lastSeenMs).bindText(3, a.accountId).bindText(4, email);
    if (update.execute() > 0) return;
    Statement& insert = c_.prepared("INSERT INTO addresses (account_id, email, display_name, last_seen_ms) VALUES (?, ?, ?, ?)");
    insert.bindText(1, a.accountId).bindText(2, email).bindOptionalText(3, a.displayName).bindInt(4, a.lastSeenMs);
    insert.execute();
}

std::vector<AddressRecord> MessageRepository::listAddresses(const std::string& accountId, const std::string& search,
                                                            std::int64_t offset, std::int64_t limit)
{
    std::vector<AddressRecord> out;
    Statement st(c_, "SELECT account_id, email, display_name, last_seen_ms FROM addresses WHERE account_id = ?"
                     " AND (? = '' OR LOWER(email) LIKE ? OR LOWER(COALESCE(display_name, '')) LIKE ?)"
                     " ORDER BY email LIMIT ? OFFSET ?");
    const std::string pattern = "%" + lower(search) + "%";
    st.bindText(1, accountId).bindText(2, search).bindText(3, pattern).bindText(4, pattern);
    st.bindInt(5, limit).bindInt(6, offset);
    st.execute();
    while (st.fetch()) {
        AddressRecord a;
        a.accountId = st.textOr(1);
        a.email = st.textOr(2);
        a.displayName = st.getText(3);
        a.lastSeenMs = st.intOr(4, 0);
        out.push_back(std::move(a));
    }
    return out;
}

bool MessageRepository::removeAddress(const std::string& accountId, const std::string& email)
{
    Statement st(c_, "DELETE FROM addresses WHERE account_id = ? AND email = ?");
    st.bindText(1, accountId).bindText(2, lower(email));
    return st.execute() > 0;
}

} // namespace erpmail::store
