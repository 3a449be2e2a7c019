#include "erpmail/PeriodicWorker.h"

namespace erpmail {

void PeriodicWorker::start(FirstRound first, Round round, Pause pause)
{
    stopping_ = false;
    thread_ = std::thread([this, first, round = std::move(round), pause = std::move(pause)] {
        if (first == FirstRound::AtOnce) runGuarded(round);
        for (;;) {
            const std::chrono::milliseconds wait = pause();
            {
                std::unique_lock<std::mutex> lock(mutex_);
                if (wake_.wait_for(lock, wait, [this] { return stopping_; })) return;
            }
            runGuarded(round);
        }
    });
}

void PeriodicWorker::stop() noexcept
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void PeriodicWorker::runGuarded(const Round& round) const
{
    try {
        round();
    } catch (const std::exception& e) {
        context_.log(ERP_LOG_WARNING, component_, failure_ + ": " + e.what());
    }
}

} // namespace erpmail
