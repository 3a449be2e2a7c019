#include "store/FetchStateRepository.h"

#include <functional>
#include <utility>

namespace erpmail::store {

void FetchStateRepository::ensureRow(const std::string& accountId, const std::string& folder)
{
    Statement st(c_, "INSERT INTO fetch_state (account_id, folder, consecutive_failures) VALUES (?, ?, 0)"
                     " ON CONFLICT (account_id, folder) DO NOTHING");
    st.bindText(1, accountId).bindText(2, folder);
    st.execute();
}

bool FetchStateRepository::acquireLease(const std::string& accountId, const std::string& folder,
                                        const std::string& owner, std::int64_t nowMs, std::int64_t untilMs)
{
    ensureRow(accountId, folder);
    Statement st(c_, "UPDATE fetch_state SET lease_owner = ?, lease_until_ms = ? WHERE account_id = ? AND folder = ?"
                     " AND (lease_owner IS NULL OR lease_until_ms < ? OR lease_owner = ?)");
    st.bindText(1, owner).bindInt(2, untilMs).bindText(3, accountId).bindText(4, folder).bindInt(5, nowMs);
    st.bindText(6, owner);
    return st.execute() == 1;
}

void FetchStateRepository::releaseLease(const std::string& accountId, const std::string& folder,
                                        const std::string& owner)
{
    Statement st(c_, "UPDATE fetch_state SET lease_owner = NULL, lease_until_ms = NULL"
                     " WHERE account_id = ? AND folder = ? AND lease_owner = ?");
    st.bindText(1, accountId).bindText(2, folder).bindText(3, owner);
    st.execute();
}

std::optional<std::string> FetchStateRepository::leaseOwner(const std::string& accountId, const std::string& folder)
{
    Statement st(c_, "SELECT lease_owner FROM fetch_state WHERE account_id = ? AND folder = ?");
    st.bindText(1, accountId).bindText(2, folder);
    st.execute();
    return st.fetch() ? st.getText(1) : std::nullopt;
}

bool FetchStateRepository::takeOverLease(const std::string& accountId, const std::string& folder,
                                         const std::string& deadOwner, const std::string& owner, std::int64_t untilMs)
{
    Statement st(c_, "UPDATE fetch_state SET lease_owner = ?, lease_until_ms = ? WHERE account_id = ? AND folder = ?"
                     " AND lease_owner = ?");
    st.bindText(1, owner).bindInt(2, untilMs).bindText(3, accountId).bindText(4, folder).bindText(5, deadOwner);
    return st.execute() == 1;
}

void FetchStateRepository::recordLogin(const std::string& accountId, const std::string& folder, std::int64_t nowMs)
{
    // Kept until the outcome: a resync with nothing new then commits once.
    loginKey_ = accountId + '\n' + folder;
    loginMs_ = nowMs;
}

std::optional<std::int64_t> FetchStateRepository::takeLogin(const std::string& accountId, const std::string& folder)
{
    if (!loginMs_ || loginKey_ != accountId + '\n' + folder) return std::nullopt;
    return std::exchange(loginMs_, std::nullopt);
}

void FetchStateRepository::recordOutcome(const std::string& accountId, const std::string& folder, const char* set,
                                         const std::function<void(Statement&)>& bindFirst)
{
    ensureRow(accountId, folder);
    const auto login = takeLogin(accountId, folder);
    Statement st(c_, std::string("UPDATE fetch_state SET ") + set + (login ? ", last_login_ms = ?" : "") +
                         " WHERE account_id = ? AND folder = ?");
    bindFirst(st);
    int pos = 2;
    if (login) st.bindInt(pos++, *login);
    st.bindText(pos, accountId).bindText(pos + 1, folder);
    st.execute();
}

void FetchStateRepository::recordSuccess(const std::string& accountId, const std::string& folder, std::int64_t nowMs)
{
    recordOutcome(accountId, folder, "last_success_ms = ?, last_error = NULL, consecutive_failures = 0",
                  [&](Statement& st) { st.bindInt(1, nowMs); });
}

void FetchStateRepository::recordFailure(const std::string& accountId, const std::string& folder,
                                         const std::string& error)
{
    recordOutcome(accountId, folder, "last_error = ?, consecutive_failures = consecutive_failures + 1",
                  [&](Statement& st) { st.bindText(1, error); });
}

void FetchStateRepository::recordImapState(const std::string& accountId, const std::string& folder,
                                           std::int64_t uidValidity, std::int64_t uidNext,
                                           std::optional<std::int64_t> highestModSeq,
                                           std::optional<std::int64_t> nextDeleteMs)
{
    ensureRow(accountId, folder);
    Statement st(c_, "UPDATE fetch_state SET uidvalidity = ?, uidnext = ?, highest_modseq = ?, next_delete_ms = ?"
                     " WHERE account_id = ? AND folder = ?");
    st.bindInt(1, uidValidity).bindInt(2, uidNext);
    st.bindOptionalInt(3, highestModSeq).bindOptionalInt(4, nextDeleteMs);
    st.bindText(5, accountId).bindText(6, folder);
    st.execute();
}

int FetchStateRepository::recordTooLarge(const std::string& accountId, const std::string& folder, int count)
{
    const int before = get(accountId, folder).value_or(FetchState{}).tooLarge;
    ensureRow(accountId, folder);
    Statement st(c_, "UPDATE fetch_state SET too_large = ? WHERE account_id = ? AND folder = ?");
    st.bindInt(1, count).bindText(2, accountId).bindText(3, folder);
    st.execute();
    return before;
}

namespace {

constexpr const char* kStateColumns = "SELECT last_success_ms, last_login_ms, last_error, consecutive_failures,"
                                      " uidvalidity, uidnext, highest_modseq, next_delete_ms, too_large"
                                      " FROM fetch_state WHERE account_id = ?";

std::optional<FetchState> readState(Statement& st)
{
    st.execute();
    if (!st.fetch()) return std::nullopt;
    FetchState f;
    f.lastSuccessMs = st.getInt(1);
    f.lastLoginMs = st.getInt(2);
    f.lastError = st.getText(3);
    f.consecutiveFailures = static_cast<int>(st.intOr(4, 0));
    f.uidValidity = st.getInt(5);
    f.uidNext = st.getInt(6);
    f.highestModSeq = st.getInt(7);
    f.nextDeleteMs = st.getInt(8);
    f.tooLarge = static_cast<int>(st.intOr(9, 0));
    return f;
}

} // namespace

std::optional<FetchState> FetchStateRepository::get(const std::string& accountId, const std::string& folder)
{
    Statement st(c_, std::string(kStateColumns) + " AND folder = ?");
    st.bindText(1, accountId).bindText(2, folder);
    return readState(st);
}

std::optional<FetchState> FetchStateRepository::latest(const std::string& accountId)
{
    Statement st(c_, std::string(kStateColumns) + " ORDER BY COALESCE(last_login_ms, 0) DESC, folder LIMIT 1");
    st.bindText(1, accountId);
    return readState(st);
}

std::map<std::string, std::int64_t> FetchStateRepository::seenUidls(const std::string& accountId)
{
    std::map<std::string, std::int64_t> out;
    Statement st(c_, "SELECT uidl, first_seen_ms FROM pop3_seen WHERE account_id = ?");
    st.bindText(1, accountId);
    st.execute();
    while (st.fetch()) {
        std::string uidl = st.textOr(1);
        out[uidl] = st.intOr(2, 0);
    }
    return out;
}

void FetchStateRepository::markSeen(const std::string& accountId, const std::string& uidl, std::int64_t nowMs)
{
    Statement& st = c_.prepared("INSERT INTO pop3_seen (account_id, uidl, first_seen_ms) VALUES (?, ?, ?)"
                     " ON CONFLICT (account_id, uidl) DO NOTHING");
    st.bindText(1, accountId).bindText(2, uidl).bindInt(3, nowMs);
    st.execute();
}

void FetchStateRepository::markDeletedOnServer(const std::string& accountId, const std::set<std::string>& uidls)
{
    Statement st(c_, "UPDATE pop3_seen SET deleted_on_server = 1 WHERE account_id = ? AND uidl = ?");
    for (const auto& u : uidls) {
        st.bindText(1, accountId).bindText(2, u);
        st.execute();
    }
}

void FetchStateRepository::forgetExcept(const std::string& accountId, const std::set<std::string>& onServer)
{
    auto seen = seenUidls(accountId);
    Statement st(c_, "DELETE FROM pop3_seen WHERE account_id = ? AND uidl = ?");
    for (const auto& [uidl, first] : seen) {
        (void)first;
        if (onServer.count(uidl)) continue;
        st.bindText(1, accountId).bindText(2, uidl);
        st.execute();
    }
}

std::map<std::int64_t, std::int64_t> FetchStateRepository::imapSeen(const std::string& accountId,
                                                                     const std::string& folder, std::int64_t uidValidity)
{
    std::map<std::int64_t, std::int64_t> out;
    Statement st(c_, "SELECT uid, first_seen_ms FROM imap_seen WHERE account_id = ? AND folder = ? AND uidvalidity = ?");
    st.bindText(1, accountId).bindText(2, folder).bindInt(3, uidValidity);
    st.execute();
    while (st.fetch()) {
        const std::int64_t uid = st.intOr(1, 0);
        out.emplace_hint(out.end(), uid, st.intOr(2, 0));
    }
    return out;
}

void FetchStateRepository::markImapSeen(const std::string& accountId, const std::string& folder,
                                        std::int64_t uidValidity, std::int64_t uid,
                                        const std::optional<std::string>& sha256, std::int64_t nowMs)
{
    Statement& st = c_.prepared("INSERT INTO imap_seen (account_id, folder, uidvalidity, uid, content_sha256,"
                                " first_seen_ms) VALUES (?, ?, ?, ?, ?, ?)"
                                " ON CONFLICT (account_id, folder, uidvalidity, uid) DO NOTHING");
    st.bindText(1, accountId).bindText(2, folder).bindInt(3, uidValidity).bindInt(4, uid);
    st.bindOptionalText(5, sha256).bindInt(6, nowMs);
    st.execute();
}

bool FetchStateRepository::imapSeenUnderOtherValidity(const std::string& accountId, const std::string& folder,
                                                      std::int64_t uidValidity)
{
    Statement st(c_, "SELECT 1 FROM imap_seen WHERE account_id = ? AND folder = ? AND uidvalidity <> ? LIMIT 1");
    st.bindText(1, accountId).bindText(2, folder).bindInt(3, uidValidity);
    st.execute();
    return st.fetch();
}

bool FetchStateRepository::imapSeenElsewhere(const std::string& accountId, const std::string& folder,
                                             const std::string& sha256, std::int64_t notUidValidity)
{
    Statement st(c_, "SELECT 1 FROM imap_seen WHERE account_id = ? AND folder = ? AND content_sha256 = ?"
                     " AND uidvalidity <> ? LIMIT 1");
    st.bindText(1, accountId).bindText(2, folder).bindText(3, sha256).bindInt(4, notUidValidity);
    st.execute();
    return st.fetch();
}

void FetchStateRepository::forgetImap(const std::string& accountId, const std::string& folder,
                                      std::int64_t uidValidity, const std::vector<std::int64_t>& gone)
{
    Statement others(c_, "DELETE FROM imap_seen WHERE account_id = ? AND folder = ? AND uidvalidity <> ?");
    others.bindText(1, accountId).bindText(2, folder).bindInt(3, uidValidity);
    others.execute();
    if (gone.empty()) return;
    Statement st(c_, "DELETE FROM imap_seen WHERE account_id = ? AND folder = ? AND uidvalidity = ? AND uid = ?");
    for (auto uid : gone) {
        st.bindText(1, accountId).bindText(2, folder).bindInt(3, uidValidity).bindInt(4, uid);
        st.execute();
    }
}

} // namespace erpmail::store
