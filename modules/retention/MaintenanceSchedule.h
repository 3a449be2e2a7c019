// The daily maintenance run of a long-running host, at
// erpmail.retention.run_at (host time, default 03:00), for online accounts.
#pragma once

#include "erpmail/AccountAccess.h"
#include "erpmail/Context.h"

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace erpmail {

class MaintenanceSchedule {
public:
    MaintenanceSchedule(Context& context, AccountAccess& accounts) : context_(context), accounts_(accounts) {}
    ~MaintenanceSchedule() { stop(); }
    MaintenanceSchedule(const MaintenanceSchedule&) = delete;
    MaintenanceSchedule& operator=(const MaintenanceSchedule&) = delete;

    /// Starts the schedule on its own thread, unless the host runs no
    /// background work (erp.host.background).
    void start();
    /// Stops and joins it; a run in progress finishes first.
    void stop() noexcept;

    /// The first moment after nowMs whose local time of day is
    /// secondsOfDay (host clock, the process's time zone).
    static std::int64_t nextAt(std::int64_t nowMs, int secondsOfDay);
    /// "HH:MM" or "HH:MM:SS" as seconds of the day; -1 when not a time.
    static int parseTimeOfDay(const std::string& text);

private:
    Context& context_;
    AccountAccess& accounts_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread worker_;
};

} // namespace erpmail
