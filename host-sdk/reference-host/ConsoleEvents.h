// The console's event stream: what the plugins emit, kept for the
// server-sent event streams of GET /api/events.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace Poco::Net {
class HTTPServerRequest;
class HTTPServerResponse;
} // namespace Poco::Net

namespace erphost {

struct ConsoleContext;
struct Session;

/// One event as a plugin emitted it, numbered in the order it came.
struct HubEvent {
    std::uint64_t seq = 0;
    std::string type, payload;
    std::int64_t atMs = 0; ///< when it came, in the host's clock
};

/// The last events, for every stream to read at its own pace. Thread-safe.
class EventHub {
public:
    explicit EventHub(std::size_t keep = 1000) : keep_(keep) {}

    /// Adds an event (PluginHost's event listener) that came at atMs; returns at once.
    void publish(const std::string& type, const std::string& payload, std::int64_t atMs);
    /// The kept events that came at or after sinceMs, oldest first.
    std::vector<HubEvent> since(std::int64_t sinceMs);
    /// The kept events numbered after seq; waits up to timeout for one.
    /// Empty after a timeout or once closed.
    std::vector<HubEvent> after(std::uint64_t seq, std::chrono::milliseconds timeout);
    /// The number of the newest event (0 before the first).
    std::uint64_t last();
    /// Wakes and ends every stream.
    void close();
    bool closed();

private:
    std::size_t keep_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<HubEvent> events_;
    std::uint64_t last_ = 0;
    bool closed_ = false;
};

/// GET /api/events: streams the events the signed-in user may see until
/// the client goes, the session ends or the server stops.
void streamEvents(ConsoleContext& console, const std::string& token, const Session& session,
                  Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

/// GET /api/events/recent: the kept events of the last 24 hours that the
/// signed-in user may see, oldest first, as JSON (the health screen's list).
void recentEvents(ConsoleContext& console, const Session& session, Poco::Net::HTTPServerResponse& response);

} // namespace erphost
