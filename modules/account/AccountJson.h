// Accounts as operations see them: JSON in (validated, with defaults) and out
// (never with secrets).
#pragma once

#include "store/Records.h"

#include <Poco/JSON/Object.h>

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace erpmail {

/// What the input is checked against: the host's users, groups and databases.
struct AccountDirectory {
    std::set<std::string> users;
    std::set<std::string> groups;
    std::set<std::string> databases;
};

/// Passwords as given: nullopt = not mentioned (keep), "" = clear.
struct SecretChanges {
    std::optional<std::string> incomingPassword;
    std::optional<std::string> smtpPassword;
    std::optional<std::string> oauthRefreshToken;
    std::optional<std::string> oauthClientSecret;
};

/// Passwords as stored (sealed together in AccountRecord::secrets). Their
/// bytes are wiped when the object goes.
struct AccountSecrets {
    std::string incomingPassword;
    std::string smtpPassword;
    std::string oauthRefreshToken;
    std::string oauthClientSecret;
    /// The access token last bought with the refresh token, kept here so
    /// that every process sharing the database uses it while it is valid.
    std::string oauthAccessToken;
    std::int64_t oauthAccessValidUntilMs = 0;
    /// SMTP without its own user may sign in with the incoming password or
    /// OAuth access token: true when that password or refresh token was
    /// entered for the SMTP server the account has now (a changed SMTP
    /// server turns it false).
    bool incomingLentToSmtp = true;

    AccountSecrets() = default;
    AccountSecrets(const AccountSecrets&) = default;
    AccountSecrets& operator=(const AccountSecrets&) = default;
    ~AccountSecrets();
    bool empty() const;
    std::string toJson() const;
    static AccountSecrets fromJson(const std::string& text);
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

/// Applies the params of mail.account.create or .update to `account`
/// (fields absent from params are left as they are) and collects password
/// changes. Throws OperationError(invalid_params) naming the field at
/// fault: "label", "sender_email", "retention.empty_trash_after_days",
/// "visibility.users[2]", "incoming.port", ...
void applyAccountParams(const Poco::JSON::Object::Ptr& params, const AccountDirectory& directory,
                        store::AccountRecord& account, SecretChanges& secrets);

/// Checks the CA certificates of the incoming and smtp blocks of params
/// (transport::readTrustAnchorParams): "ca" must hold PEM certificates, and
/// "ca_file" is an admin's tool unless it repeats the path already stored
/// in serverSettings. Throws OperationError (forbidden, invalid_params)
/// naming "incoming.ca_file", "smtp.ca", ...
void checkTrustAnchorParams(const Poco::JSON::Object::Ptr& params, const std::string& serverSettings, bool userIsAdmin);

/// The account as operations answer it. Passwords show only as
/// "password_set" (null when the stored secrets cannot be opened, `secrets`
/// nullopt). `isMain` marks the owner's main account.
Poco::JSON::Object::Ptr accountToJson(const store::AccountRecord& account, const std::optional<AccountSecrets>& secrets,
                                      bool isMain, bool canChange);

/// The JSON Schema shared by create and update.
std::string accountParamsSchema(bool forUpdate);

} // namespace erpmail
