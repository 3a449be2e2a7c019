#include "erpmail/PeriodicWorker.h"

#include "support/QuietHost.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using erpmail::PeriodicWorker;
using namespace std::chrono_literals;

namespace {

// What the host was given to log, as "component|message".
struct Logged {
    std::mutex mutex;
    std::vector<std::string> lines;
};

erp_host_api loggingHostApi(Logged& logged)
{
    erp_host_api api = erpmail::test::quietHostApi(&logged);
    api.log = [](void* ctx, erp_log_level, const char* component, const char* message) {
        auto& l = *static_cast<Logged*>(ctx);
        std::lock_guard<std::mutex> lock(l.mutex);
        l.lines.push_back(std::string(component) + "|" + message);
    };
    return api;
}

// Waits up to 10 s for `done`.
template <typename Done> bool eventually(Done done)
{
    for (int i = 0; i < 1000 && !done(); ++i)
        std::this_thread::sleep_for(10ms);
    return done();
}

class PeriodicWorkerTest : public ::testing::Test {
protected:
    Logged logged_;
    const erp_host_api api_ = loggingHostApi(logged_);
    erpmail::Context context_{&api_};
    std::atomic<int> rounds_{0};
    PeriodicWorker worker_{context_, "erpmail.test", "the round failed"};
};

} // namespace

TEST_F(PeriodicWorkerTest, AtOnceRunsTheFirstRoundBeforeAnyPauseAndStopEndsThePause)
{
    worker_.start(
        PeriodicWorker::FirstRound::AtOnce, [this] { ++rounds_; }, 1h);
    ASSERT_TRUE(eventually([this] { return rounds_ == 1; }));
    const auto before = std::chrono::steady_clock::now();
    worker_.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
    EXPECT_EQ(rounds_, 1);
}

TEST_F(PeriodicWorkerTest, AfterPauseRunsNothingWhenStoppedWithinTheFirstPause)
{
    std::atomic<int> pauses{0};
    worker_.start(
        PeriodicWorker::FirstRound::AfterPause, [this] { ++rounds_; },
        [&pauses] {
            ++pauses;
            return std::chrono::milliseconds(1h);
        });
    ASSERT_TRUE(eventually([&pauses] { return pauses == 1; }));
    worker_.stop();
    EXPECT_EQ(rounds_, 0);
    EXPECT_EQ(pauses, 1);
}

TEST_F(PeriodicWorkerTest, AFailedRoundIsLoggedAndTheNextOneComes)
{
    {
        PeriodicWorker worker(context_, "erpmail.test", "the round failed");
        worker.start(
            PeriodicWorker::FirstRound::AfterPause,
            [this] {
                if (++rounds_ == 1) throw std::runtime_error("database gone");
            },
            1ms);
        ASSERT_TRUE(eventually([this] { return rounds_ >= 3; }));
    } // the destructor stops and joins
    const int after = rounds_;
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(rounds_, after);
    std::lock_guard<std::mutex> lock(logged_.mutex);
    ASSERT_EQ(logged_.lines.size(), 1u);
    EXPECT_EQ(logged_.lines[0], "erpmail.test|the round failed: database gone");
}

TEST_F(PeriodicWorkerTest, StartsAgainAfterStop)
{
    worker_.stop(); // not running: nothing happens
    for (int i = 1; i <= 2; ++i) {
        worker_.start(
            PeriodicWorker::FirstRound::AtOnce, [this] { ++rounds_; }, 1h);
        ASSERT_TRUE(eventually([this, i] { return rounds_ == i; }));
        worker_.stop();
    }
    EXPECT_EQ(rounds_, 2);
}

TEST_F(PeriodicWorkerTest, WakeEndsThePauseAndAWakeDuringARoundSkipsTheNextPause)
{
    std::atomic<bool> holdRound{false};
    std::atomic<int> finished{0};
    worker_.start(
        PeriodicWorker::FirstRound::AtOnce,
        [&] {
            ++rounds_;
            while (holdRound)
                std::this_thread::sleep_for(1ms);
            ++finished;
        },
        1h);
    ASSERT_TRUE(eventually([&] { return finished == 1; }));
    worker_.wake(); // in the hour's pause: the next round comes now
    ASSERT_TRUE(eventually([&] { return finished == 2; }));
    holdRound = true;
    worker_.wake();
    ASSERT_TRUE(eventually([this] { return rounds_ == 3; })); // round 3 holds
    worker_.wake(); // during round 3: no pause after it
    holdRound = false;
    ASSERT_TRUE(eventually([&] { return finished == 4; }));
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(rounds_, 4); // one wake, one round; then the hour's pause
    worker_.stop();
}
