// Scheduled fetching for a receiving module, and what it tells the host.
#pragma once

#include "erpmail/AccountAccess.h"
#include "erpmail/Context.h"

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace erpmail::transport {

/// Runs fetchAll every erpmail.fetch.interval_seconds (default 300) on its
/// own thread, in hosts that run background work (erp.host.background).
class FetchSchedule {
public:
    ~FetchSchedule() { stop(); }
    void start(Context& context, std::function<void()> fetchAll);
    void stop() noexcept;

private:
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread worker_;
};

/// One mail.received event per stored mail, with its document links.
void announceReceived(Context& context, const std::string& accountId, const std::vector<StoredMessage>& stored);

} // namespace erpmail::transport
