// The calendar arithmetic of the retention rules, in UTC.
#include "retention/RetentionCalendar.h"

#include <ctime>

namespace erpmail::retention {

std::string isoTime(std::int64_t ms)
{
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

std::int64_t monthsBefore(std::int64_t nowMs, int months)
{
    const std::time_t seconds = static_cast<std::time_t>(nowMs / 1000);
    std::tm t{};
    gmtime_r(&seconds, &t);
    int total = t.tm_year * 12 + t.tm_mon - months;
    t.tm_year = total / 12;
    t.tm_mon = total % 12;
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const int year = t.tm_year + 1900;
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    const int last = t.tm_mon == 1 && leap ? 29 : days[t.tm_mon];
    if (t.tm_mday > last) t.tm_mday = last;
    return static_cast<std::int64_t>(timegm(&t)) * 1000 + nowMs % 1000;
}

std::int64_t startOfYearAfter(std::int64_t ms, int years)
{
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm t{};
    gmtime_r(&seconds, &t);
    std::tm start{};
    start.tm_year = t.tm_year + years;
    start.tm_mday = 1;
    return static_cast<std::int64_t>(timegm(&start)) * 1000;
}

} // namespace erpmail::retention
