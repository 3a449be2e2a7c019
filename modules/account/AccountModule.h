// Accounts and the installation's databases.
#pragma once

#include "erpmail/AccountAccess.h"
#include "erpmail/Context.h"
#include "erpmail/Module.h"
#include "erpmail/ModuleDirectory.h"
#include "erpmail/SecretSealer.h"

#include <memory>

namespace erpmail {

/// The account module and what the other modules are built with. The
/// references stay valid as long as the module lives.
struct AccountModuleParts {
    std::unique_ptr<Module> module;
    AccountAccess& access; ///< what other modules may ask of accounts
    SecretSealer& sealer;  ///< seals other secrets (certificates' private keys) under the accounts' key
};

/// The account module: accounts, their messages and databases, the plugin's
/// version, module and database status, and the watch over offline accounts.
AccountModuleParts makeAccountModule(Context& context, const ModuleDirectory& directory);

} // namespace erpmail
