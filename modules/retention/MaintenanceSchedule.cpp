#include "retention/MaintenanceSchedule.h"

#include "retention/MaintenanceRun.h"

#include <algorithm>
#include <ctime>

namespace erpmail {

int MaintenanceSchedule::parseTimeOfDay(const std::string& text)
{
    if (text.size() != 5 && text.size() != 8) return -1;
    int fields[3] = {0, 0, 0};
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool colon = i % 3 == 2;
        if (colon != (text[i] == ':')) return -1;
        if (!colon && (text[i] < '0' || text[i] > '9')) return -1;
    }
    for (std::size_t f = 0; f * 3 < text.size(); ++f)
        fields[f] = (text[f * 3] - '0') * 10 + (text[f * 3 + 1] - '0');
    if (fields[0] > 23 || fields[1] > 59 || fields[2] > 59) return -1;
    return fields[0] * 3600 + fields[1] * 60 + fields[2];
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
    if (!configFlag(context_, "erp.host.background", true)) return;
    const std::string setting = context_.host().config("erpmail.retention.run_at").value_or("03:00");
    int at = parseTimeOfDay(setting);
    if (at < 0) {
        context_.log(ERP_LOG_WARNING, "erpmail.retention",
                     "erpmail.retention.run_at '" + setting + "' is not a time of day (HH:MM); running at 03:00");
        at = 3 * 3600;
    }
    due_.reset();
    worker_.start(
        PeriodicWorker::FirstRound::AfterPause,
        [this] {
            if (context_.host().nowMs() < *due_) return;
            due_.reset(); // the next one counts from the end of this run, even a failed one
            runForOnlineAccounts();
        },
        [this, at] {
            if (!due_) due_ = nextAt(context_.host().nowMs(), at);
            // The host's clock may run fast or be set: looked at again at least every 30 s.
            return std::chrono::milliseconds(std::clamp<std::int64_t>(*due_ - context_.host().nowMs(), 0, 30000));
        });
}

void MaintenanceSchedule::runForOnlineAccounts()
{
    std::vector<store::AccountRecord> online;
    for (auto& account : accounts_.allAccounts())
        if (account.online) online.push_back(std::move(account));
    MaintenanceRun(context_, messages_).run(online, {false, false, "schedule"});
}

} // namespace erpmail
