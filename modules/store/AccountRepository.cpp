#include "store/AccountRepository.h"

namespace erpmail::store {

namespace {

constexpr const char* kColumns =
    "a.id, a.label, a.owner, a.kind, a.database_id, a.sender_name, a.sender_email, a.online, a.offline_reason,"
    " a.always_signature, a.signature, a.contacts_sync, a.e_printing, a.visibility_group, a.server_settings,"
    " a.retention_settings, a.secrets, a.created_at_ms, a.updated_at_ms, a.offline_since_ms, a.offline_by, a.locale";

// The rule of who sees an account, as SQL. Parameters: admin flag, user, user.
constexpr const char* kVisibleTo =
    "(? = 1 OR a.kind = 'public' OR a.owner = ?"
    " OR EXISTS (SELECT 1 FROM account_visibility v WHERE v.account_id = a.id AND v.user_id = ?))";

AccountRecord readRow(Statement& st)
{
    AccountRecord a;
    a.id = st.textOr(1);
    a.label = st.textOr(2);
    a.owner = st.textOr(3);
    a.kind = st.textOr(4);
    a.databaseId = st.textOr(5);
    a.senderName = st.getText(6);
    a.senderEmail = st.getText(7);
    a.online = st.intOr(8, 1) != 0;
    a.offlineReason = st.getText(9);
    a.alwaysSignature = st.intOr(10, 0) != 0;
    a.signature = st.getText(11);
    a.contactsSync = st.intOr(12, 0) != 0;
    a.ePrinting = st.intOr(13, 0) != 0;
    a.visibilityGroup = st.getText(14);
    a.serverSettings = st.textOr(15, "{}");
    a.retentionSettings = st.textOr(16, "{}");
    a.secrets = st.getBlob(17);
    a.createdAtMs = st.intOr(18, 0);
    a.updatedAtMs = st.intOr(19, 0);
    a.offlineSinceMs = st.getInt(20);
    a.offlineBy = st.getText(21);
    a.locale = st.getText(22);
    return a;
}

// Binds the columns an insert and an update both write, label to secrets,
// and the locale, from `pos`; returns the position after them.
int bindWritable(Statement& st, int pos, const AccountRecord& a)
{
    st.bindText(pos, a.label).bindText(pos + 1, a.owner).bindText(pos + 2, a.kind).bindText(pos + 3, a.databaseId);
    st.bindOptionalText(pos + 4, a.senderName).bindOptionalText(pos + 5, a.senderEmail);
    st.bindInt(pos + 6, a.online ? 1 : 0).bindOptionalText(pos + 7, a.offlineReason);
    st.bindInt(pos + 8, a.alwaysSignature ? 1 : 0).bindOptionalText(pos + 9, a.signature);
    st.bindInt(pos + 10, a.contactsSync ? 1 : 0).bindInt(pos + 11, a.ePrinting ? 1 : 0);
    st.bindOptionalText(pos + 12, a.visibilityGroup).bindText(pos + 13, a.serverSettings);
    st.bindText(pos + 14, a.retentionSettings).bindOptionalBlob(pos + 15, a.secrets);
    st.bindOptionalText(pos + 16, a.locale);
    return pos + 17;
}

} // namespace

std::vector<AccountRecord> AccountRepository::select(const std::string& where, const std::vector<std::string>& texts,
                                                     std::optional<bool> admin)
{
    // Kept: every operation on an account looks it up first, with one of a few fixed texts.
    std::vector<AccountRecord> out;
    Statement& st =
        c_.prepared(std::string("SELECT ") + kColumns + " FROM accounts a WHERE " + where + " ORDER BY a.label, a.id");
    int pos = 1;
    if (admin) st.bindInt(pos++, *admin ? 1 : 0);
    st.bindTexts(pos, texts);
    st.execute();
    while (st.fetch()) out.push_back(readRow(st));
    st.close();
    Statement& v = c_.prepared("SELECT user_id FROM account_visibility WHERE account_id = ? ORDER BY user_id");
    for (auto& a : out) {
        v.bindText(1, a.id);
        v.execute();
        while (v.fetch()) a.visibleTo.push_back(v.textOr(1));
        v.close();
    }
    return out;
}

std::optional<AccountRecord> AccountRepository::find(const std::string& id)
{
    auto rows = select("a.id = ?", {id});
    if (rows.empty()) return std::nullopt;
    return rows.front();
}

std::optional<AccountRecord> AccountRepository::findVisible(const std::string& id, const Viewer& viewer)
{
    auto rows = select(std::string(kVisibleTo) + " AND a.id = ?", {viewer.user, viewer.user, id}, viewer.admin);
    if (rows.empty()) return std::nullopt;
    return rows.front();
}

std::vector<AccountRecord> AccountRepository::listVisible(const Viewer& viewer)
{
    return select(kVisibleTo, {viewer.user, viewer.user}, viewer.admin);
}

std::vector<AccountRecord> AccountRepository::listOwnedBy(const std::string& user)
{
    return select("a.owner = ?", {user});
}

void AccountRepository::insert(const AccountRecord& a)
{
    Statement st(c_, "INSERT INTO accounts (id, label, owner, kind, database_id, sender_name, sender_email, online,"
                     " offline_reason, always_signature, signature, contacts_sync, e_printing, visibility_group,"
                     " server_settings, retention_settings, secrets, locale, created_at_ms, updated_at_ms)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    st.bindText(1, a.id);
    const int next = bindWritable(st, 2, a);
    st.bindInt(next, a.createdAtMs).bindInt(next + 1, a.updatedAtMs);
    st.execute();
    writeVisibility(a);
}

void AccountRepository::update(const AccountRecord& a)
{
    Statement st(c_, "UPDATE accounts SET label = ?, owner = ?, kind = ?, database_id = ?, sender_name = ?,"
                     " sender_email = ?, online = ?, offline_reason = ?, always_signature = ?, signature = ?,"
                     " contacts_sync = ?, e_printing = ?, visibility_group = ?, server_settings = ?,"
                     " retention_settings = ?, secrets = ?, locale = ?, updated_at_ms = ? WHERE id = ?");
    const int next = bindWritable(st, 1, a);
    st.bindInt(next, a.updatedAtMs).bindText(next + 1, a.id);
    st.execute();
    Statement clear(c_, "DELETE FROM account_visibility WHERE account_id = ?");
    clear.bindText(1, a.id);
    clear.execute();
    writeVisibility(a);
}

void AccountRepository::writeVisibility(const AccountRecord& a)
{
    Statement st(c_, "INSERT INTO account_visibility (account_id, user_id) VALUES (?, ?)");
    for (const auto& user : a.visibleTo) {
        st.bindText(1, a.id).bindText(2, user);
        st.execute();
    }
}

bool AccountRepository::remove(const std::string& id)
{
    Statement v(c_, "DELETE FROM account_visibility WHERE account_id = ?");
    v.bindText(1, id);
    v.execute();
    Statement st(c_, "DELETE FROM accounts WHERE id = ?");
    st.bindText(1, id);
    return st.execute() > 0;
}

void AccountRepository::setOnline(const std::string& id, bool online, const std::optional<std::string>& reason,
                                  std::int64_t nowMs, const std::optional<std::string>& by)
{
    if (online) {
        Statement st(c_, "UPDATE accounts SET online = 1, offline_reason = NULL, offline_since_ms = NULL,"
                         " offline_by = NULL, updated_at_ms = ? WHERE id = ?");
        st.bindInt(1, nowMs).bindText(2, id);
        st.execute();
        return;
    }
    Statement st(c_, "UPDATE accounts SET online = 0, offline_reason = ?, offline_by = ?,"
                     " offline_since_ms = COALESCE(offline_since_ms, ?), updated_at_ms = ? WHERE id = ?");
    st.bindOptionalText(1, reason).bindOptionalText(2, by).bindInt(3, nowMs).bindInt(4, nowMs).bindText(5, id);
    st.execute();
}

bool AccountRepository::setOfflineByOutage(const std::string& id, const std::string& reason, std::int64_t nowMs)
{
    Statement st(c_, "UPDATE accounts SET online = 0, offline_reason = ?, offline_by = NULL, offline_since_ms = ?,"
                     " updated_at_ms = ? WHERE id = ? AND online = 1");
    st.bindText(1, reason).bindInt(2, nowMs).bindInt(3, nowMs).bindText(4, id);
    return st.execute() > 0;
}

bool AccountRepository::setOnlineAfterOutage(const std::string& id, std::int64_t nowMs)
{
    Statement st(c_, "UPDATE accounts SET online = 1, offline_reason = NULL, offline_since_ms = NULL,"
                     " updated_at_ms = ? WHERE id = ? AND online = 0 AND offline_by IS NULL");
    st.bindInt(1, nowMs).bindText(2, id);
    return st.execute() > 0;
}

void AccountRepository::lockForUpdate(const std::string& id)
{
    if (!c_.inTransaction()) throw StoreError(c_.databaseId(), "a row lock needs a transaction");
    if (c_.dialect() != Dialect::PostgreSQL) return; // BEGIN IMMEDIATE took the database's write lock
    Statement st(c_, "SELECT id FROM accounts WHERE id = ? FOR UPDATE");
    st.bindText(1, id);
    st.execute();
    while (st.fetch()) {
    }
}

void AccountRepository::setSecrets(const std::string& id, const std::optional<std::string>& sealed)
{
    Statement st(c_, "UPDATE accounts SET secrets = ? WHERE id = ?");
    st.bindOptionalBlob(1, sealed).bindText(2, id);
    st.execute();
}

std::int64_t AccountRepository::countWithSecrets(const std::string& except)
{
    return c_.count("SELECT COUNT(*) FROM accounts WHERE secrets IS NOT NULL AND id <> ?", except);
}

} // namespace erpmail::store
