#include "transport/pop3/Pop3Module.h"

#include "transport/common/ServerProbe.h"

namespace erpmail {

std::vector<Operation> Pop3Module::operations()
{
    return {transport::probeOperation(context_, transport::Protocol::Pop3, "mail.pop3.probe",
                                      "Tests a POP3 server: connect, TLS (verified), greeting, CAPA; each step reported")};
}

void Pop3Module::start()
{
    accounts_.registerFetcher(&fetcher_);
    auto background = context_.host().config("erp.host.background");
    if (background && (*background == "no" || *background == "off")) return;
    int interval = 300;
    if (auto v = context_.host().config("erpmail.fetch.interval_seconds")) {
        try {
            interval = std::max(1, std::stoi(*v));
        } catch (const std::exception&) {
            // keep the default
        }
    }
    stopping_ = false;
    worker_ = std::thread([this, interval] {
        std::unique_lock<std::mutex> lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            fetcher_.fetchAll();
            lock.lock();
            wake_.wait_for(lock, std::chrono::seconds(interval), [this] { return stopping_; });
        }
    });
}

void Pop3Module::stop() noexcept
{
    accounts_.unregisterFetcher(&fetcher_);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (worker_.joinable()) worker_.join();
}

} // namespace erpmail
