#include "retention/MaintenanceSchedule.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

using erpmail::MaintenanceSchedule;

TEST(MaintenanceSchedule, RunAtIsATimeOfDay)
{
    EXPECT_EQ(MaintenanceSchedule::parseTimeOfDay("03:00"), 3 * 3600);
    EXPECT_EQ(MaintenanceSchedule::parseTimeOfDay("23:59:30"), 23 * 3600 + 59 * 60 + 30);
    EXPECT_EQ(MaintenanceSchedule::parseTimeOfDay("24:00"), -1);
    EXPECT_EQ(MaintenanceSchedule::parseTimeOfDay("3"), -1);
    EXPECT_EQ(MaintenanceSchedule::parseTimeOfDay("03:00 pm"), -1);
    EXPECT_EQ(MaintenanceSchedule::parseTimeOfDay("07:61"), -1);
}

TEST(MaintenanceSchedule, NextRunIsTheNextSuchTimeInHostTime)
{
    setenv("TZ", "Europe/Zurich", 1);
    tzset();
    // 2026-12-01 02:30 in Zurich (01:30 UTC): 03:00 the same night.
    const std::int64_t night = 1796088600000;
    EXPECT_EQ(MaintenanceSchedule::nextAt(night, 3 * 3600), night + 30 * 60000);
    // At 03:00 itself the run is due the next day.
    EXPECT_EQ(MaintenanceSchedule::nextAt(night + 30 * 60000, 3 * 3600), night + 30 * 60000 + 86400000);
    unsetenv("TZ");
    tzset();
}
