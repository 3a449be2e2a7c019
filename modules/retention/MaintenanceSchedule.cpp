#include "retention/MaintenanceSchedule.h"

#include "retention/MaintenanceRun.h"

#include <ctime>

namespace erpmail {

int MaintenanceSchedule::parseTimeOfDay(const std::string& text)
{
    int h = -1, m = -1, s = 0;
    char extra = 0;
    const int n = std::sscanf(text.c_str(), "%d:%d:%d%c", &h, &m, &s, &extra);
    if (n < 2 || n > 3 || h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 59) return -1;
    return h * 3600 + m * 60 + s;
}

std::int64_t MaintenanceSchedule::nextAt(std::int64_t nowMs, int secondsOfDay)
{
    const std::time_t now = static_cast<std::time_t>(nowMs / 1000);
    for (int day = 0; day < 3; ++day) {
        std::tm t{};
        localtime_r(&now, &t);
        t.tm_mday += day;
        t.tm_hour = secondsOfDay / 3600;
        t.tm_min = secondsOfDay / 60 % 60;
        t.tm_sec = secondsOfDay % 60;
        t.tm_isdst = -1;
        const std::int64_t at = static_cast<std::int64_t>(std::mktime(&t)) * 1000;
        if (at > nowMs) return at;
    }
    return nowMs + 86400000;
}

void MaintenanceSchedule::start()
{
    auto background = context_.host().config("erp.host.background");
    if (background && (*background == "no" || *background == "off")) return;
    const std::string setting = context_.host().config("erpmail.retention.run_at").value_or("03:00");
    int at = parseTimeOfDay(setting);
    if (at < 0) {
        context_.log(ERP_LOG_WARNING, "erpmail.retention",
                     "erpmail.retention.run_at '" + setting + "' is not a time of day (HH:MM); running at 03:00");
        at = 3 * 3600;
    }
    stopping_ = false;
    worker_ = std::thread([this, at] {
        std::int64_t due = nextAt(context_.host().nowMs(), at);
        std::unique_lock<std::mutex> lock(mutex_);
        for (;;) {
            // The host's clock may run fast or be set: looked at again at least every 30 s.
            const std::int64_t wait = std::clamp<std::int64_t>(due - context_.host().nowMs(), 0, 30000);
            if (wake_.wait_for(lock, std::chrono::milliseconds(wait), [this] { return stopping_; })) return;
            const std::int64_t now = context_.host().nowMs();
            if (now < due) continue;
            lock.unlock();
            try {
                std::vector<store::AccountRecord> online;
                for (auto& account : accounts_.allAccounts())
                    if (account.online) online.push_back(std::move(account));
                MaintenanceRun(context_, accounts_).run(online, {false, false, "schedule"});
            } catch (const std::exception& e) {
                context_.log(ERP_LOG_WARNING, "erpmail.retention",
                             std::string("the daily maintenance run failed: ") + e.what());
            }
            due = nextAt(context_.host().nowMs(), at);
            lock.lock();
        }
    });
}

void MaintenanceSchedule::stop() noexcept
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (worker_.joinable()) worker_.join();
}

} // namespace erpmail
