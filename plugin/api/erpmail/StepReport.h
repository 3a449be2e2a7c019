// What a mail session did, step by step, for a connection test: the same
// session classes that fetch and send report each phase as they go.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <chrono>
#include <string>
#include <vector>

namespace erpmail {

/// One phase of a session: connect, connect+tls, greeting, capabilities,
/// starttls, login, select, stat, mail_from.
struct ReportedStep {
    std::string name;
    bool ok = false;
    std::string detail; ///< what came of it, or why it failed
    std::string server; ///< the server's own words for it, when it said any
    long long ms = 0;
};

/// The steps of one session. A session given a report opens a step before
/// each phase (closing the one before as succeeded); whoever runs the
/// session closes the last one with succeed() or fail(). Not thread-safe.
class StepReport {
public:
    /// Closes the open step as succeeded and opens `name`.
    void begin(std::string name)
    {
        succeed();
        steps_.push_back({std::move(name), false, {}, {}, 0});
        started_ = std::chrono::steady_clock::now();
        open_ = true;
    }
    /// What the open step found, and the server's words for it.
    void note(std::string detail, std::string server = {})
    {
        if (!open_) return;
        steps_.back().detail = std::move(detail);
        if (!server.empty()) steps_.back().server = std::move(server);
    }
    /// Closes the open step as succeeded; nothing when none is open.
    void succeed() { close(true); }
    /// Closes the open step as failed with the reason; without an open step,
    /// records a failed step named `name`.
    void fail(const std::string& reason, const std::string& name = "connect")
    {
        if (!open_) begin(name);
        steps_.back().detail = reason;
        close(false);
    }
    /// True when there were steps and every one succeeded (an open one has not yet).
    bool ok() const
    {
        if (steps_.empty()) return false;
        for (const auto& s : steps_)
            if (!s.ok) return false;
        return true;
    }
    const std::vector<ReportedStep>& steps() const { return steps_; }

    std::string greeting;                  ///< as the server greeted, without "* " or the reply code
    std::vector<std::string> capabilities; ///< as offered after TLS, when TLS was used
    std::string tls;                       ///< protocol and cipher, empty without TLS
    std::string mechanism;                 ///< how it signed in: PLAIN, LOGIN, XOAUTH2, ...

    /// {ok, greeting, capabilities, tls, authentication, steps: [{step, ok,
    /// detail, server, ms}]}; server only where the server said something.
    Poco::JSON::Object::Ptr toJson() const
    {
        Poco::JSON::Object::Ptr json = new Poco::JSON::Object;
        json->set("ok", ok());
        json->set("greeting", greeting);
        Poco::JSON::Array::Ptr caps = new Poco::JSON::Array;
        for (const auto& c : capabilities)
            caps->add(c);
        json->set("capabilities", caps);
        json->set("tls", tls);
        json->set("authentication", mechanism.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(mechanism));
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (const auto& s : steps_) {
            Poco::JSON::Object::Ptr step = new Poco::JSON::Object;
            step->set("step", s.name);
            step->set("ok", s.ok);
            step->set("detail", s.detail);
            if (!s.server.empty()) step->set("server", s.server);
            step->set("ms", s.ms);
            list->add(step);
        }
        json->set("steps", list);
        return json;
    }

private:
    void close(bool ok)
    {
        if (!open_) return;
        steps_.back().ok = ok;
        steps_.back().ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_).count();
        open_ = false;
    }

    std::vector<ReportedStep> steps_;
    std::chrono::steady_clock::time_point started_;
    bool open_ = false;
};

} // namespace erpmail
