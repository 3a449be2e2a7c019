// Accounts and the installation's databases.
#pragma once

#include "account/AccountService.h"
#include "account/MessageService.h"
#include "account/OfflineWatch.h"
#include "erpmail/Context.h"
#include "erpmail/Module.h"
#include "erpmail/ModuleDirectory.h"

namespace erpmail {

class AccountModule : public Module {
public:
    AccountModule(Context& context, const ModuleDirectory& directory);

    std::string id() const override { return "account"; }
    std::string summary() const override { return "E-mail accounts, their databases and the plugin's status"; }
    std::vector<Operation> operations() override;
    /// Migrates the system database and starts the watch over offline
    /// accounts; throws naming the database when it is unreachable. Then
    /// hands the host the events a stopped process left recorded.
    void start() override;
    /// Stops the watch over offline accounts.
    void stop() noexcept override;
    /// What other modules may ask of accounts.
    AccountAccess& access() { return accounts_; }
    /// Seals other secrets (certificates' private keys) under the accounts' key.
    SecretSealer& sealer() { return accounts_; }

private:
    Poco::JSON::Object::Ptr version(const Request& request);
    Poco::JSON::Object::Ptr modulesStatus(const Request& request);
    Poco::JSON::Object::Ptr databaseCheck(const Request& request);
    /// The events recorded in online accounts' databases that no process
    /// handed over (it ended between the commit and the delivery).
    void deliverLeftEvents() noexcept;

    Context& context_;
    const ModuleDirectory& directory_;
    AccountService accounts_{context_};
    MessageService messages_{accounts_};
    OfflineWatch offlineWatch_{accounts_};
};

} // namespace erpmail
