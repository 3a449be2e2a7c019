// Fetch bookkeeping in an account's database: a lease per account (one
// fetcher at a time, across hosts), the POP3 unique ids already stored, and
// the status admins see.
#pragma once

#include "store/Odbc.h"

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace erpmail::store {

struct FetchState {
    std::optional<std::int64_t> lastSuccessMs;
    std::optional<std::int64_t> lastLoginMs;
    std::optional<std::string> lastError;
    int consecutiveFailures = 0;
    std::optional<std::int64_t> uidValidity, uidNext, highestModSeq;
    std::optional<std::int64_t> nextDeleteMs; ///< IMAP: when a copy left on the server falls due, if any
    int tooLarge = 0; ///< mails the last fetch left on the server for their size
};

class FetchStateRepository {
public:
    explicit FetchStateRepository(Connection& connection) : c_(connection) {}

    /// Takes the fetch lease of (account, folder) for owner until untilMs,
    /// unless another owner holds an unexpired one. True when taken.
    bool acquireLease(const std::string& accountId, const std::string& folder, const std::string& owner,
                      std::int64_t nowMs, std::int64_t untilMs);
    void releaseLease(const std::string& accountId, const std::string& folder, const std::string& owner);
    /// Who holds the lease now, if anyone.
    std::optional<std::string> leaseOwner(const std::string& accountId, const std::string& folder);
    /// Takes the lease from `deadOwner` (a process known to be gone).
    bool takeOverLease(const std::string& accountId, const std::string& folder, const std::string& deadOwner,
                       const std::string& owner, std::int64_t untilMs);

    /// Notes that the server accepted the password now; written with the
    /// fetch's outcome by recordSuccess or recordFailure, in the same commit.
    void recordLogin(const std::string& accountId, const std::string& folder, std::int64_t nowMs);
    void recordSuccess(const std::string& accountId, const std::string& folder, std::int64_t nowMs);
    void recordFailure(const std::string& accountId, const std::string& folder, const std::string& error);
    void recordImapState(const std::string& accountId, const std::string& folder, std::int64_t uidValidity,
                         std::int64_t uidNext, std::optional<std::int64_t> highestModSeq,
                         std::optional<std::int64_t> nextDeleteMs);
    /// Records how many mails were left on the server for their size;
    /// returns the count recorded before.
    int recordTooLarge(const std::string& accountId, const std::string& folder, int count);
    std::optional<FetchState> get(const std::string& accountId, const std::string& folder);
    /// The state of the folder the account was last signed in to.
    std::optional<FetchState> latest(const std::string& accountId);

    /// POP3 unique ids already stored, with when each was first seen.
    std::map<std::string, std::int64_t> seenUidls(const std::string& accountId);
    void markSeen(const std::string& accountId, const std::string& uidl, std::int64_t nowMs);
    void markDeletedOnServer(const std::string& accountId, const std::set<std::string>& uidls);
    /// Forgets ids the server no longer has.
    void forgetExcept(const std::string& accountId, const std::set<std::string>& onServer);

    /// IMAP UIDs fetched from (account, folder) under uidValidity, with when
    /// each was first seen. Independent of the messages: a message deleted
    /// or moved here stays fetched.
    std::map<std::int64_t, std::int64_t> imapSeen(const std::string& accountId, const std::string& folder,
                                                  std::int64_t uidValidity);
    /// Records a fetched UID, in the transaction that stores its message.
    void markImapSeen(const std::string& accountId, const std::string& folder, std::int64_t uidValidity,
                      std::int64_t uid, const std::optional<std::string>& sha256, std::int64_t nowMs);
    /// Whether anything was fetched from the folder under another UIDVALIDITY.
    bool imapSeenUnderOtherValidity(const std::string& accountId, const std::string& folder, std::int64_t uidValidity);
    /// Whether a mail with these bytes was fetched from the folder under another UIDVALIDITY.
    bool imapSeenElsewhere(const std::string& accountId, const std::string& folder, const std::string& sha256,
                           std::int64_t notUidValidity);
    /// After a complete pass: forgets the UIDs `gone` from the server, and
    /// whatever was fetched under another UIDVALIDITY.
    void forgetImap(const std::string& accountId, const std::string& folder, std::int64_t uidValidity,
                    const std::vector<std::int64_t>& gone);

private:
    void ensureRow(const std::string& accountId, const std::string& folder);
    /// UPDATE fetch_state SET `set` (its one parameter bound by bindFirst),
    /// with the login time noted for (account, folder).
    void recordOutcome(const std::string& accountId, const std::string& folder, const char* set,
                       const std::function<void(Statement&)>& bindFirst);
    /// The login time noted for (account, folder), once.
    std::optional<std::int64_t> takeLogin(const std::string& accountId, const std::string& folder);
    Connection& c_;
    std::string loginKey_;
    std::optional<std::int64_t> loginMs_;
};

} // namespace erpmail::store
