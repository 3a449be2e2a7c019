// OAuth 2.0 access tokens for XOAUTH2 (IMAP, POP3, SMTP): bought with the
// account's refresh token at its token endpoint (RFC 6749 section 6, as
// Microsoft Entra ID serves Microsoft 365), kept in memory until shortly
// before they expire and stored with the account's secrets for the other
// processes. A refresh token the server rotates is stored before the access
// token is used.
#pragma once

#include "erpmail/AccountSettings.h"
#include "erpmail/SecretStore.h"
#include "erpmail/Context.h"
#include "transport/common/LineChannel.h"
#include "transport/common/Tls.h"

#include <Poco/JSON/Object.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace erpmail::transport {

/// The token endpoint refused (with its error and description) or could not
/// be reached; the message says what to do.
class OAuthError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct OAuthRequest {
    std::string tokenUrl; ///< https:// only
    std::string clientId;
    std::string clientSecret; ///< empty for public clients
    std::string refreshToken;
    std::string scope;
    TlsSettings tls;
    int timeoutSeconds = 30;
};

struct OAuthGrant {
    std::string accessToken;
    std::int64_t expiresInSeconds = 3600;
    std::string refreshToken; ///< a new one when the server rotates it, else empty
};

/// One refresh-token grant at the token endpoint.
OAuthGrant refreshAccessToken(const OAuthRequest& request);

/// A valid access token for the account's incoming server (whose settings
/// are `incoming`), which its SMTP server takes too: cached in this process,
/// stored with the account by another process, or bought now (one purchase
/// per account at a time across all processes sharing the system database; see
/// SecretStore::lockedAccessToken). Throws OAuthError, StoreError when a
/// rotated refresh token cannot be stored, or OperationError.
std::string accessTokenFor(Context& context, SecretStore& secrets, const store::AccountRecord& account,
                           const IncomingSettings& incoming);

/// Drops the account's access token, cached and stored (a server refused
/// it), so that the next login buys a new one.
void forgetAccessToken(SecretStore& secrets, const std::string& accountId);

/// A session (ImapSession, Pop3Session) signed in with `settings`; when the
/// server refuses the login (`AuthError`), the account's access token is
/// forgotten, so that the next login buys a new one, and the error goes on.
template <class Session, class AuthError, class Settings>
std::unique_ptr<Session> signIn(SecretStore& secrets, const std::string& accountId, const Settings& settings)
{
    try {
        return std::make_unique<Session>(settings);
    } catch (const AuthError&) {
        forgetAccessToken(secrets, accountId);
        throw;
    }
}

/// The account's incoming server as a session's settings (ImapSettings,
/// Pop3Settings): address, TLS, user, and its password opened or an OAuth
/// access token bought. Throws OAuthError, or OperationError(unavailable)
/// when the password is missing or cannot be opened.
template <class Settings>
Settings incomingLogin(Context& context, SecretStore& secrets, const store::AccountRecord& account,
                       const IncomingSettings& incoming, unsigned defaultPort)
{
    Settings settings;
    settings.host = incoming.host;
    settings.port = incoming.port ? incoming.port : defaultPort;
    settings.security = parseSecurity(incoming.security);
    settings.tls.caFile = incoming.caFile;
    settings.tls.caPem = incoming.caPem;
    settings.user = incoming.user;
    if (incoming.usesOAuth()) {
        settings.oauthToken = accessTokenFor(context, secrets, account, incoming);
    } else {
        settings.password = secrets.credentials(account).incomingPassword;
        if (settings.password.empty()) throw missingPassword(account, "incoming.password");
    }
    return settings;
}

} // namespace erpmail::transport
