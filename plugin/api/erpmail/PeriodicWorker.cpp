#include "erpmail/PeriodicWorker.h"

namespace erpmail {

void PeriodicWorker::start(FirstRound first, Round round, Pause pause)
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = false;
        woken_ = false;
    }
    thread_ = std::thread([this, first, round = std::move(round), pause = std::move(pause)] {
        if (first == FirstRound::AtOnce) runGuarded(round);
        std::chrono::milliseconds wait(60000);
        for (;;) {
            // A pause that cannot be told keeps the last one (a minute at first).
            runGuarded([&] { wait = pause(); });
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait_for(lock, wait, [this] { return stopping_ || woken_; });
                if (stopping_) return;
                woken_ = false;
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

void PeriodicWorker::wake()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        woken_ = true;
    }
    wake_.notify_all();
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
