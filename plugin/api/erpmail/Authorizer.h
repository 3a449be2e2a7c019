// What a request may do with an account it can see.
#pragma once

#include "erpmail/Module.h"
#include "store/Records.h"

#include <string>

namespace erpmail {

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

class Authorizer {
public:
    virtual ~Authorizer() = default;

    /// Visible, online, and the request holds `right` on it; forbidden (with
    /// what it may not do) otherwise, unavailable when offline.
    virtual store::AccountRecord requireOnline(const std::string& id, const Request& request, AccountRight right) = 0;
    /// Whether the request holds `right` on an account it can see.
    virtual bool allows(const store::AccountRecord& account, const Request& request, AccountRight right) = 0;
};

} // namespace erpmail
