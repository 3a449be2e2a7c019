// An account's passwords and OAuth tokens, opened for a login: never
// logged, wiped when the values go.
#pragma once

#include "erpmail/OperationError.h"
#include "store/Records.h"

#include <openssl/crypto.h>

#include <cstdint>
#include <functional>
#include <string>

namespace erpmail {

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

class SecretStore {
public:
    virtual ~SecretStore() = default;

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
};

} // namespace erpmail
