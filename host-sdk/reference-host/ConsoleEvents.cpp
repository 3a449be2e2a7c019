#include "ConsoleEvents.h"
#include "ConsoleContext.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <map>
#include <sstream>

namespace erphost {

void EventHub::publish(const std::string& type, const std::string& payload, std::int64_t atMs)
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        events_.push_back({++last_, type, payload, atMs});
        while (events_.size() > keep_)
            events_.pop_front();
    }
    changed_.notify_all();
}

std::vector<HubEvent> EventHub::after(std::uint64_t seq, std::chrono::milliseconds timeout)
{
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return closed_ || last_ > seq; });
    std::vector<HubEvent> out;
    if (closed_) return out;
    for (const auto& e : events_)
        if (e.seq > seq) out.push_back(e);
    return out;
}

std::vector<HubEvent> EventHub::since(std::int64_t sinceMs)
{
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<HubEvent> out;
    for (const auto& e : events_)
        if (e.atMs >= sinceMs) out.push_back(e);
    return out;
}

std::uint64_t EventHub::last()
{
    std::lock_guard<std::mutex> lock(mutex_);
    return last_;
}

void EventHub::close()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        closed_ = true;
    }
    changed_.notify_all();
}

bool EventHub::closed()
{
    std::lock_guard<std::mutex> lock(mutex_);
    return closed_;
}

namespace {

// Which events a user sees is the plugin's decision, not the host's: an
// event that names an "account" is shown when the plugin lets the user read
// that account (mail.account.get as that user, the same check every
// operation on the account makes), so the host keeps no copy of the
// plugin's rules. An answer is remembered for a few seconds per stream.
// Events that name no account are installation-wide: host admins only.
class EventVisibility {
public:
    EventVisibility(PluginHost& host, const std::string& user) : host_(host), user_(user)
    {
        auto u = host.config().users.find(user);
        admin_ = u != host.config().users.end() && u->second.admin;
    }

    bool allows(const HubEvent& event)
    {
        std::string account;
        try {
            Poco::JSON::Parser parser;
            auto payload = parser.parse(event.payload).extract<Poco::JSON::Object::Ptr>();
            if (payload && payload->has("account") && payload->get("account").isString())
                account = payload->getValue<std::string>("account");
        } catch (const Poco::Exception&) {
            return admin_;
        }
        if (account.empty()) return admin_;
        const auto now = std::chrono::steady_clock::now();
        auto cached = seen_.find(account);
        if (cached != seen_.end() && now - cached->second.second < std::chrono::seconds(5)) return cached->second.first;
        Poco::JSON::Object params;
        params.set("id", account);
        std::ostringstream text;
        params.stringify(text);
        const bool visible = host_.call("mail.account.get", user_, text.str()).ok;
        seen_[account] = {visible, now};
        return visible;
    }

private:
    PluginHost& host_;
    std::string user_;
    bool admin_ = false;
    std::map<std::string, std::pair<bool, std::chrono::steady_clock::time_point>> seen_;
};

// One SSE field per line of value: a value's line break cannot start a field of its own.
void field(std::ostream& out, const char* name, const std::string& value)
{
    std::size_t start = 0;
    while (true) {
        const std::size_t end = value.find_first_of("\r\n", start);
        out << name << ": " << value.substr(start, end - start) << '\n';
        if (end == std::string::npos) return;
        start = end + 1;
    }
}

} // namespace

void streamEvents(ConsoleContext& console, const std::string& token, const Session& session,
                  Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
    {
        std::lock_guard<std::mutex> lock(console.streamsMutex);
        if (console.streams[session.user] >= kStreamsPerUser)
            return sendError(response, Poco::Net::HTTPResponse::HTTP_TOO_MANY_REQUESTS, "too_many_streams",
                             "user '" + session.user + "' has " + std::to_string(kStreamsPerUser) +
                                 " event streams open already; close one first");
        ++console.streams[session.user];
    }
    struct Release {
        ConsoleContext& console;
        const std::string& user;
        ~Release()
        {
            std::lock_guard<std::mutex> lock(console.streamsMutex);
            if (--console.streams[user] == 0) console.streams.erase(user);
        }
    } release{console, session.user};
    std::uint64_t seq = console.hub.last();
    // A browser that reconnects says what it saw last: what is still kept comes again.
    if (request.has("Last-Event-ID")) {
        try {
            const std::uint64_t seen = std::stoull(request.get("Last-Event-ID"));
            if (seen < seq) seq = seen;
        } catch (const std::exception&) {
        }
    }
    response.setContentType("text/event-stream; charset=utf-8");
    response.set("Cache-Control", "no-store");
    response.set("X-Content-Type-Options", "nosniff");
    response.setChunkedTransferEncoding(true);
    std::ostream& out = response.send();
    out << "retry: 3000\n\n";
    out.flush();
    EventVisibility visibility(console.host, session.user);
    while (out.good() && !console.hub.closed()) {
        auto events = console.hub.after(seq, std::chrono::seconds(15));
        if (!console.sessions.alive(token)) break; // signed out meanwhile
        if (events.empty()) {
            out << ": keep-alive\n\n";
        } else {
            for (const auto& e : events) {
                seq = e.seq;
                if (!visibility.allows(e)) continue;
                out << "id: " << e.seq << '\n';
                field(out, "event", e.type);
                field(out, "data", e.payload);
                out << '\n';
            }
        }
        out.flush();
    }
}

void recentEvents(ConsoleContext& console, const Session& session, Poco::Net::HTTPServerResponse& response)
{
    constexpr std::int64_t kDayMs = 24 * 3600 * 1000;
    EventVisibility visibility(console.host, session.user);
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
    Poco::JSON::Parser parser;
    for (const auto& e : console.hub.since(console.host.nowMs() - kDayMs)) {
        if (!visibility.allows(e)) continue;
        Poco::JSON::Object::Ptr item = new Poco::JSON::Object;
        item->set("id", e.seq);
        item->set("type", e.type);
        item->set("at_ms", e.atMs);
        try {
            item->set("data", parser.parse(e.payload));
        } catch (const std::exception&) {
            item->set("data", e.payload);
        }
        parser.reset();
        items->add(item);
    }
    Poco::JSON::Object::Ptr result = new Poco::JSON::Object;
    result->set("events", items);
    std::ostringstream out;
    result->stringify(out);
    sendJson(response, Poco::Net::HTTPResponse::HTTP_OK, out.str());
}

} // namespace erphost
