// Accounts as operations see them: JSON in (validated, with defaults) and out
// (never with secrets).
#pragma once

#include "account/AccountSecrets.h"
#include "store/Records.h"

#include <Poco/JSON/Object.h>

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace erpmail {

/// What the input is checked against: the host's users, groups and databases.
struct HostDirectory {
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

/// Applies the params of mail.account.create or .update to `account`
/// (fields absent from params are left as they are) and collects password
/// changes. Throws OperationError(invalid_params) naming the field at
/// fault: "label", "sender_email", "retention.empty_trash_after_days",
/// "visibility.users[2]", "incoming.port", ...
void applyAccountParams(const Poco::JSON::Object::Ptr& params, const HostDirectory& directory,
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
