// `erphost serve --http ADDRESS`: the web console over Poco's HTTPServer,
// with TLS when the configuration names a certificate and key.
#pragma once

#include "PluginHost.h"

#include <memory>
#include <stdexcept>
#include <string>

namespace erphost {

/// The console cannot listen as configured; what() says why.
class ConsoleError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct ConsoleContext;

class ConsoleServer {
public:
    /// Checks address ("127.0.0.1:8080", "[::1]:8080") and the TLS settings
    /// and binds the socket; without TLS only a loopback address is taken.
    /// Events the host's plugins emit from now on reach the event streams.
    /// Throws ConsoleError.
    ConsoleServer(PluginHost& host, const std::string& address);
    /// Stops, if still running, and detaches from the host's events.
    ~ConsoleServer();
    ConsoleServer(const ConsoleServer&) = delete;
    ConsoleServer& operator=(const ConsoleServer&) = delete;

    /// Starts answering requests.
    void start();
    /// Ends the event streams and open connections, and waits for them.
    void stop();
    /// The URL it answers on ("https://127.0.0.1:8443/").
    std::string url() const { return url_; }

private:
    struct Server;
    PluginHost& host_;
    std::unique_ptr<ConsoleContext> context_;
    std::unique_ptr<Server> server_;
    std::string url_;
};

} // namespace erphost
