// The daily maintenance run of a long-running host, at
// erpmail.retention.run_at (host time, default 03:00), for online accounts.
#pragma once

#include "erpmail/AccountDirectory.h"
#include "erpmail/Context.h"
#include "erpmail/MessageStore.h"
#include "erpmail/PeriodicWorker.h"

#include <cstdint>
#include <optional>

namespace erpmail {

class MaintenanceSchedule {
public:
    MaintenanceSchedule(Context& context, AccountDirectory& accounts, MessageStore& messages)
        : context_(context), accounts_(accounts), messages_(messages),
          worker_(context, "erpmail.retention", "the daily maintenance run failed")
    {
    }

    /// Starts the schedule on its own thread, unless the host runs no
    /// background work (erp.host.background).
    void start();
    /// Stops and joins it; a run in progress finishes first.
    void stop() noexcept { worker_.stop(); }

    /// The first moment after nowMs whose local time of day is
    /// secondsOfDay (host clock, the process's time zone).
    static std::int64_t nextAt(std::int64_t nowMs, int secondsOfDay);
    /// "HH:MM" or "HH:MM:SS" as seconds of the day; -1 when not a time.
    static int parseTimeOfDay(const std::string& text);

private:
    void runForOnlineAccounts();

    Context& context_;
    AccountDirectory& accounts_;
    MessageStore& messages_;
    /// When the next run is due (host clock); unset when the schedule starts
    /// and after each run, to be worked out again by the next pause.
    std::optional<std::int64_t> due_;
    PeriodicWorker worker_;
};

} // namespace erpmail
