// Finding accounts: the ones a request may see, and all of them for the
// plugin's own workers.
#pragma once

#include "erpmail/Module.h"
#include "store/Records.h"

#include <optional>
#include <string>
#include <vector>

namespace erpmail {

class AccountDirectory {
public:
    virtual ~AccountDirectory() = default;

    /// The account if the request may see it; forbidden otherwise.
    virtual store::AccountRecord requireVisible(const std::string& id, const Request& request) = 0;
    /// Visible and online; unavailable when offline.
    virtual store::AccountRecord requireOnline(const std::string& id, const Request& request) = 0;
    /// Accounts the request may see.
    virtual std::vector<store::AccountRecord> visibleAccounts(const Request& request) = 0;
    /// Every account, for the plugin's own workers.
    virtual std::vector<store::AccountRecord> allAccounts() = 0;
    /// The user's main account (owned, first label), if any.
    virtual std::optional<store::AccountRecord> mainAccountOf(const std::string& user) = 0;
};

} // namespace erpmail
