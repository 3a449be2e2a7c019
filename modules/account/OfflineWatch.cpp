#include "account/OfflineWatch.h"

namespace erpmail {

void OfflineWatch::start(Context& context)
{
    if (!configFlag(context, "erp.host.background", true)) return;
    const int interval = accounts_.autoOnlineSeconds();
    if (interval <= 0) return;
    stopping_ = false;
    worker_ = std::thread([this, &context, interval] {
        std::unique_lock<std::mutex> lock(mutex_);
        while (!wake_.wait_for(lock, std::chrono::seconds(interval), [this] { return stopping_; })) {
            lock.unlock();
            try {
                accounts_.bringBackOnline();
            } catch (const std::exception& e) {
                context.log(ERP_LOG_WARNING, "erpmail.account",
                            std::string("trying the databases of offline accounts: ") + e.what());
            }
            lock.lock();
        }
    });
}

void OfflineWatch::stop() noexcept
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (worker_.joinable()) worker_.join();
}

} // namespace erpmail
