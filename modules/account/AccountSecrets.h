// An account's secrets as the account module keeps them: sealed together in
// the account's row, bound to the servers they were given for.
#pragma once

#include "erpmail/SecretStore.h"

#include <cstdint>
#include <string>

namespace erpmail {

struct SecretChanges; // AccountJson.h: the passwords an update gives

/// Passwords as stored (sealed together in AccountRecord::secrets): the
/// credentials a login opens, and the OAuth access token last bought. Their
/// bytes are wiped when the object goes.
struct AccountSecrets : AccountCredentials {
    /// The access token last bought with the refresh token, kept here so
    /// that every process sharing the database uses it while it is valid.
    std::string oauthAccessToken;
    std::int64_t oauthAccessValidUntilMs = 0;

    AccountSecrets() = default;
    AccountSecrets(const AccountSecrets&) = default;
    AccountSecrets& operator=(const AccountSecrets&) = default;
    ~AccountSecrets();
    bool empty() const;
    std::string toJson() const;
    static AccountSecrets fromJson(const std::string& text);
    /// Takes the passwords given (SecretChanges): each one mentioned replaces
    /// the stored one.
    void take(const SecretChanges& changes);
};

/// What an account's secrets are bound to, each in a canonical form (host
/// names in lower case, ports as numbers). A secret is kept only while what
/// it is bound to stays the same.
struct SecretBindings {
    std::string incoming;     ///< protocol, host, port and user of the incoming server
    std::string oauth;        ///< the incoming server, token URL and client id
    std::string smtp;         ///< host, port and user of the SMTP server
    std::string smtpServer;   ///< host and port of the SMTP server, where a borrowed incoming password goes
    bool smtpBorrows = false; ///< SMTP requires a password and has no user of its own
};

SecretBindings secretBindingsOf(const std::string& serverSettings);

/// The associated data an account's secrets are sealed with: the account id
/// and every binding, so that a sealed value moved to another account, or
/// left behind when the server settings change outside an update, does not
/// open.
std::string secretsAssociatedData(const std::string& accountId, const std::string& serverSettings);

} // namespace erpmail
