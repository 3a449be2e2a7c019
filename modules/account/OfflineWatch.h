// Accounts that went offline because their database could not be reached
// come back by themselves: in a long-running host, their databases are
// tried every erpmail.account.auto_online_seconds.
#pragma once

#include "account/AccountService.h"

#include <condition_variable>
#include <mutex>
#include <thread>

namespace erpmail {

class OfflineWatch {
public:
    explicit OfflineWatch(AccountService& accounts) : accounts_(accounts) {}
    ~OfflineWatch() { stop(); }
    OfflineWatch(const OfflineWatch&) = delete;
    OfflineWatch& operator=(const OfflineWatch&) = delete;

    /// Starts the watch on its own thread, unless the host runs no
    /// background work (erp.host.background) or the setting is 0.
    void start(Context& context);
    /// Stops and joins it; a round in progress finishes first.
    void stop() noexcept;

private:
    AccountService& accounts_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread worker_;
};

} // namespace erpmail
