// The calendar arithmetic of the retention rules, in UTC: calendar months
// back, the start of a later year, and the time stamp a placeholder shows.
#pragma once

#include <cstdint>
#include <string>

namespace erpmail::retention {

constexpr std::int64_t kDayMs = 86400000;

/// ms as YYYY-MM-DDTHH:MM:SSZ.
std::string isoTime(std::int64_t ms);

/// nowMs less `months` calendar months (UTC), the day kept or cut to the
/// month's last.
std::int64_t monthsBefore(std::int64_t nowMs, int months);

/// 1 January, 00:00 UTC, of the year `years` after the one of ms.
std::int64_t startOfYearAfter(std::int64_t ms, int years);

} // namespace erpmail::retention
