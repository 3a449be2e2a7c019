#include "ConsoleServer.h"
#include "ConsoleContext.h"

#include <Poco/JSON/Object.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>

#include <sys/stat.h>

#include <sstream>

namespace erphost {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

void setCommonHeaders(HTTPServerResponse& response)
{
    response.set("X-Content-Type-Options", "nosniff");
    response.set("X-Frame-Options", "SAMEORIGIN");
    response.set("Referrer-Policy", "no-referrer");
}

void sendJson(HTTPServerResponse& response, HTTPResponse::HTTPStatus status, const std::string& body)
{
    setCommonHeaders(response);
    response.set("Cache-Control", "no-store");
    response.setStatusAndReason(status);
    response.setContentType("application/json; charset=utf-8");
    response.setContentLength64(static_cast<Poco::Int64>(body.size()));
    response.send().write(body.data(), static_cast<std::streamsize>(body.size()));
}

void sendError(HTTPServerResponse& response, HTTPResponse::HTTPStatus status, const std::string& code,
               const std::string& message)
{
    sendJson(response, status, errorJson(code, message));
}

namespace {

class Handler : public Poco::Net::HTTPRequestHandler {
public:
    explicit Handler(ConsoleContext& console) : console_(console) {}

    void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override
    {
        try {
            handleConsoleRequest(console_, request, response);
        } catch (const std::exception& e) {
            console_.host.log(ERP_LOG_ERROR, "erphost.console", std::string("request failed: ") + e.what());
            if (!response.sent())
                sendError(response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, "internal",
                          "the request failed; the host's log says why");
        }
    }

private:
    ConsoleContext& console_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit Factory(ConsoleContext& console) : console_(console) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override
    {
        return new Handler(console_);
    }

private:
    ConsoleContext& console_;
};

Poco::Net::SocketAddress parseAddress(const std::string& address)
{
    try {
        return Poco::Net::SocketAddress(address);
    } catch (const Poco::Exception& e) {
        throw ConsoleError("--http " + address +
                           ": not an address and port (as 127.0.0.1:8080 or [::1]:8080): " + e.displayText());
    }
}

Poco::Net::Context::Ptr tlsContext(const ConsoleSettings& settings)
{
    for (const auto& [key, file] : {std::pair<const char*, std::string>{"tls_certificate", settings.tlsCertificate},
                                    {"tls_key", settings.tlsKey}}) {
        struct stat st {};
        if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
            throw ConsoleError(std::string("[console] ") + key + " " + file + " is not a readable file");
    }
    try {
        Poco::Net::Context::Ptr context =
            new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, settings.tlsKey, settings.tlsCertificate, "",
                                   Poco::Net::Context::VERIFY_NONE, 9, false, "HIGH:!aNULL:!MD5:!RC4:!3DES");
        context->disableProtocols(Poco::Net::Context::PROTO_SSLV2 | Poco::Net::Context::PROTO_SSLV3 |
                                  Poco::Net::Context::PROTO_TLSV1 | Poco::Net::Context::PROTO_TLSV1_1);
        return context;
    } catch (const Poco::Exception& e) {
        throw ConsoleError("[console] tls_certificate and tls_key: " + e.displayText());
    }
}

} // namespace

struct ConsoleServer::Server {
    Poco::ThreadPool threads{2, 64, 60};
    std::unique_ptr<Poco::Net::HTTPServer> http;
    bool running = false;
};

ConsoleServer::ConsoleServer(PluginHost& host, const std::string& address)
    : host_(host), context_(std::make_unique<ConsoleContext>(host)), server_(std::make_unique<Server>())
{
    const auto& settings = host.config().console;
    const Poco::Net::SocketAddress where = parseAddress(address);
    if (!settings.tls() && !where.host().isLoopback())
        throw ConsoleError("--http " + address +
                           ": without TLS the console listens on a loopback address only (127.0.0.1 or ::1); "
                           "set [console] tls_certificate and tls_key to serve other addresses");
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(64);
    params->setMaxQueued(64);
    params->setKeepAlive(true);
    // An idle kept-alive connection holds one of the 64 threads: not for long.
    params->setKeepAliveTimeout(Poco::Timespan(10, 0));
    params->setMaxKeepAliveRequests(1000);
    params->setTimeout(Poco::Timespan(60, 0));
    try {
        if (settings.tls()) {
            Poco::Net::SecureServerSocket socket(where, 64, tlsContext(settings));
            server_->http =
                std::make_unique<Poco::Net::HTTPServer>(new Factory(*context_), server_->threads, socket, params);
        } else {
            Poco::Net::ServerSocket socket(where, 64);
            server_->http =
                std::make_unique<Poco::Net::HTTPServer>(new Factory(*context_), server_->threads, socket, params);
        }
    } catch (const Poco::Exception& e) {
        throw ConsoleError("--http " + address + ": cannot listen: " + e.displayText());
    }
    const Poco::Net::SocketAddress bound = server_->http->socket().address();
    const std::string hostText = bound.family() == Poco::Net::SocketAddress::IPv6 ? "[" + bound.host().toString() + "]"
                                                                                  : bound.host().toString();
    url_ = std::string(settings.tls() ? "https" : "http") + "://" + hostText + ":" + std::to_string(bound.port()) + "/";
    ConsoleContext* console = context_.get();
    host_.setEventListener(
        [console](const std::string& type, const std::string& payload) {
            console->hub.publish(type, payload, console->host.nowMs());
        });
}

ConsoleServer::~ConsoleServer()
{
    host_.setEventListener(nullptr);
    try {
        stop();
    } catch (...) {
        // stopping is best effort in a destructor
    }
}

void ConsoleServer::start()
{
    server_->http->start();
    server_->running = true;
}

void ConsoleServer::stop()
{
    context_->hub.close();
    if (server_->running) {
        server_->http->stopAll(true);
        server_->running = false;
    }
    server_->threads.joinAll();
}

} // namespace erphost
