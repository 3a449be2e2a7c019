// Accounts that went offline because their database could not be reached
// come back by themselves: in a long-running host, their databases are
// tried every erpmail.account.auto_online_seconds.
#pragma once

#include "account/AccountService.h"
#include "erpmail/PeriodicWorker.h"

namespace erpmail {

class OfflineWatch {
public:
    OfflineWatch(Context& context, AccountService& accounts);

    /// Starts the watch on its own thread, unless the host runs no
    /// background work (erp.host.background) or the setting is 0.
    void start();
    /// Stops and joins it; a round in progress finishes first.
    void stop() noexcept { worker_.stop(); }

private:
    Context& context_;
    AccountService& accounts_;
    PeriodicWorker worker_;
};

} // namespace erpmail
