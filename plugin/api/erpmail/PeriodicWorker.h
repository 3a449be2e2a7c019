// The thread of a long-running host's watch or schedule: it runs a round of
// work, pauses, and runs it again until it is stopped.
#pragma once

#include "erpmail/Context.h"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace erpmail {

class PeriodicWorker {
public:
    /// Whether the first round runs as soon as the thread starts or after
    /// the first pause.
    enum class FirstRound { AtOnce, AfterPause };
    using Round = std::function<void()>;
    /// How long to pause before the next round; asked afresh before each pause.
    using Pause = std::function<std::chrono::milliseconds()>;

    /// A round that fails is logged as a warning of `component`:
    /// "<failure>: <what the exception says>".
    PeriodicWorker(const Context& context, std::string component, std::string failure)
        : context_(context), component_(std::move(component)), failure_(std::move(failure))
    {
    }
    ~PeriodicWorker() { stop(); }
    PeriodicWorker(const PeriodicWorker&) = delete;
    PeriodicWorker& operator=(const PeriodicWorker&) = delete;

    /// Starts the thread: rounds, a pause between each two, until stop().
    /// A pause ends early when stop() is called; a round that throws
    /// std::exception is logged and the next one comes as usual. Not while
    /// it runs: a worker starts again only after stop().
    void start(FirstRound first, Round round, Pause pause);
    /// The same with a pause of a fixed length.
    void start(FirstRound first, Round round, std::chrono::milliseconds every)
    {
        start(first, std::move(round), [every] { return every; });
    }
    /// Stops and joins the thread; a round in progress finishes first.
    /// Nothing happens when it is not running.
    void stop() noexcept;
    /// Ends the pause now, so that the next round comes at once; called
    /// during a round, the pause after it is skipped.
    void wake();

private:
    void runGuarded(const Round& round) const;

    const Context& context_;
    const std::string component_;
    const std::string failure_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    bool woken_ = false;
    std::thread thread_;
};

} // namespace erpmail
