// What other modules may ask of the account module: the accounts a request
// may use, their passwords, and storing a message in an account.
#pragma once

#include "erpmail/MailFetcher.h"
#include "erpmail/Module.h"
#include "erpmail/OperationError.h"
#include "store/DatabaseRegistry.h"
#include "store/Records.h"

#include <openssl/crypto.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace erpmail {

/// What storeMessage() kept, for the host's event.
struct StoredMessage {
    std::int64_t id = 0;
    std::string subject;
    std::string from;
    std::string documentLinks = "[]"; ///< a reply inherits the links of the mail it answers
};

/// A message parsed and ready to store: prepareMessage() builds it on any
/// thread, storePrepared() writes it on the connection's thread.
struct PreparedMessage {
    store::MessageRecord record;
    std::vector<store::AddressRecord> addresses;
    std::vector<std::string> answers; ///< Message-IDs it replies to (In-Reply-To, References)
    StoredMessage summary;
    /// A large mail is parsed only when stored, after its raw bytes are
    /// written: raw bytes, decoded parts and the database's copy of either
    /// are then never all in memory at once.
    bool parseWhenStored = false;
};

struct AccountCredentials {
    std::string incomingPassword;
    std::string smtpPassword;
    std::string oauthRefreshToken; ///< OAuth 2.0: what buys the next access token
    std::string oauthClientSecret; ///< OAuth 2.0: for confidential clients, else empty
    /// Whether SMTP without a user of its own may sign in with the incoming
    /// password: false once the SMTP server changed after it was entered.
    bool incomingLentToSmtp = true;

    AccountCredentials() = default;
    AccountCredentials(const AccountCredentials&) = default;
    AccountCredentials& operator=(const AccountCredentials&) = default;
    /// Wipes the opened secrets.
    ~AccountCredentials()
    {
        for (std::string* s : {&incomingPassword, &smtpPassword, &oauthRefreshToken, &oauthClientSecret})
            if (s->capacity()) OPENSSL_cleanse(&(*s)[0], s->capacity());
    }
};

/// An OAuth 2.0 access token as kept with the account's secrets, and the
/// refresh token the purchase rotated (empty when it did not).
struct OAuthAccess {
    std::string accessToken;
    std::int64_t validUntilMs = 0; ///< host clock; renewed from then on
    std::string rotatedRefreshToken;

    OAuthAccess() = default;
    OAuthAccess(const OAuthAccess&) = default;
    OAuthAccess& operator=(const OAuthAccess&) = default;
    /// Wipes the tokens.
    ~OAuthAccess()
    {
        for (std::string* s : {&accessToken, &rotatedRefreshToken})
            if (s->capacity()) OPENSSL_cleanse(&(*s)[0], s->capacity());
    }
};

/// The error of a login that is not tried because the account holds no
/// password for `field` (never entered, or cleared when the server it was
/// given for changed). Nothing has been sent to a server.
inline OperationError missingPassword(const store::AccountRecord& account, const std::string& field,
                                      const std::string& why = "")
{
    return OperationError("unavailable",
                          "account '" + account.label + "' has no " + field +
                              (why.empty() ? ": it was never entered, or was cleared when the server "
                                             "it was given for changed"
                                           : ": " + why) +
                              "; enter it again. No login was tried",
                          field);
}

/// What a request may do with an account it can see. The rules, one place
/// (AccountService::allows):
///   Read       list, read, archive, trash, move and import mail, addresses
///   Send       send as the account, retry and cancel its outbox entries
///   Delete     delete mail for good
///   Configure  change its settings, test its servers
///   Own        delete it, hand it over, change its kind, set it on- or offline
/// Personal accounts: Read for the owner, the users it is visible to and
/// mail.admin holders; everything else for the owner and mail.admin only.
/// Public accounts: Read, Send and Configure for every user; Delete and Own
/// for the owner and mail.admin holders.
enum class AccountRight { Read, Send, Delete, Configure, Own };

class AccountAccess {
public:
    virtual ~AccountAccess() = default;

    /// The account if the request may see it; forbidden otherwise.
    virtual store::AccountRecord requireVisible(const std::string& id, const Request& request) = 0;
    /// Visible and online; unavailable when offline.
    virtual store::AccountRecord requireOnline(const std::string& id, const Request& request) = 0;
    /// Visible, online, and the request holds `right` on it; forbidden (with
    /// what it may not do) otherwise.
    virtual store::AccountRecord requireOnline(const std::string& id, const Request& request, AccountRight right) = 0;
    /// Whether the request holds `right` on an account it can see.
    virtual bool allows(const store::AccountRecord& account, const Request& request, AccountRight right) = 0;
    /// Accounts the request may see.
    virtual std::vector<store::AccountRecord> visibleAccounts(const Request& request) = 0;
    /// Every account, for the plugin's own workers.
    virtual std::vector<store::AccountRecord> allAccounts() = 0;
    /// The user's main account (owned, first label), if any.
    virtual std::optional<store::AccountRecord> mainAccountOf(const std::string& user) = 0;
    /// The account's passwords, opened.
    virtual AccountCredentials credentials(const store::AccountRecord& account) = 0;
    /// The account's secrets as stored now: a long-running worker's record
    /// may predate a rotated refresh token. Throws OperationError
    /// (unavailable) when the servers they are bound to are no longer those
    /// of `account`, so that a secret never goes where a stale record says.
    virtual AccountCredentials currentCredentials(const store::AccountRecord& account) = 0;
    /// The account's OAuth access token, bought at most once by all the
    /// processes that share its database: the account's row is locked in a
    /// transaction (PostgreSQL FOR UPDATE, SQLite's write lock) and its
    /// secrets are read again. A stored access token still valid at `nowMs`
    /// is returned as it is; otherwise `buy` gets the stored credentials, and
    /// the refresh token it rotated and the access token it bought are
    /// committed before they are returned. Throws what `buy` throws,
    /// StoreError when they cannot be stored, and OperationError
    /// (unavailable) as currentCredentials() does.
    virtual OAuthAccess lockedAccessToken(const store::AccountRecord& account, std::int64_t nowMs,
                                          const std::function<OAuthAccess(const AccountCredentials&)>& buy) = 0;
    /// Drops the stored access token when it is still `refused` (a server
    /// refused it), so that the next login buys a new one.
    virtual void dropAccessToken(const std::string& accountId, const std::string& refused) = 0;
    /// Sets the account offline (once) and tells the host why.
    virtual void takeOffline(const store::AccountRecord& account, const std::string& reason) = 0;
    /// Stores a raw message in the account's messages, parsed, with its
    /// addresses collected. Incoming mail that answers a mail the account
    /// sent inherits that mail's document links. Runs in the caller's
    /// transaction when one is open on `connection`.
    virtual StoredMessage storeMessage(store::Connection& connection, const store::AccountRecord& account,
                                       const std::string& raw, const std::string& state, const std::string& direction,
                                       const std::string& documentLinks, const store::MessageOrigin& origin = {}) = 0;
    /// The parsing half of storeMessage: touches no database, so a fetch
    /// can parse the next mail while the previous one is written.
    virtual PreparedMessage prepareMessage(const store::AccountRecord& account, std::string raw,
                                           const std::string& state, const std::string& direction,
                                           const std::string& documentLinks, const store::MessageOrigin& origin) = 0;
    /// The writing half: links a reply to its receipt's documents, inserts
    /// the message and collects its addresses, in the caller's transaction
    /// when one is open. The record's bytes may be moved out.
    virtual StoredMessage storePrepared(store::Connection& connection, PreparedMessage& message) = 0;
    /// A connection to the account's own database; takes the account offline
    /// and throws OperationError(unavailable) when the database is gone.
    virtual store::ConnectionLease mailbox(const store::AccountRecord& account) = 0;
    /// A receiving module offers its fetcher while it runs (start to stop).
    virtual void registerFetcher(MailFetcher* fetcher) = 0;
    virtual void unregisterFetcher(MailFetcher* fetcher) = 0;
    /// Copies sent mails to the server's Sent folder when the account's
    /// receiving transport keeps one (IMAP); a no-op otherwise.
    virtual void keepSentOnServer(const store::AccountRecord& account, const std::vector<std::string>& raws) = 0;
    /// Signs in to the account's incoming server the way a fetch does (an
    /// OAuth token is bought first) and out again, each step in `report`
    /// (see MailFetcher::testLogin); throws with the reason.
    virtual void testIncomingLogin(const store::AccountRecord& account, StepReport& report) = 0;
};

} // namespace erpmail
