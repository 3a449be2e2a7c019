// What the console's request handlers share, and how they answer.
#pragma once

#include "ConsoleEvents.h"
#include "ConsoleSessions.h"
#include "ConsoleUsers.h"
#include "PluginHost.h"

#include <Poco/Net/HTTPResponse.h>

#include <map>
#include <mutex>
#include <string>

namespace erphost {

struct ConsoleContext {
    explicit ConsoleContext(PluginHost& h)
        : host(h), passwords(h.config().console.usersFile),
          sessions(std::chrono::minutes(h.config().console.sessionIdleMinutes),
                   std::chrono::seconds(h.config().console.sessionMaxSeconds)),
          limiter(h.config().console.signInAttempts, std::chrono::seconds(h.config().console.signInWindowSeconds)),
          tls(h.config().console.tls())
    {
    }

    PluginHost& host;
    PasswordFile passwords;
    SessionStore sessions;
    SignInLimiter limiter;
    EventHub hub;
    bool tls;
    std::mutex signIn; ///< one password check at a time: scrypt's memory stays bounded, the limiter exact
    std::mutex streamsMutex;
    std::map<std::string, int> streams; ///< open event streams per user
};

/// The event streams one user may hold open at once: each holds a thread
/// of the server, and the rest must stay free for requests.
constexpr int kStreamsPerUser = 8;

/// The session cookie's name.
inline const char* kSessionCookie = "erphost_session";
/// The header that carries the CSRF token.
inline const char* kCsrfHeader = "X-CSRF-Token";

/// Answers status with a JSON body (and the headers every answer carries).
void sendJson(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
              const std::string& body);
/// Answers status with {"error":{"code","message"}}.
void sendError(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
               const std::string& code, const std::string& message);
/// The headers every answer carries: no sniffing, no framing by others, no referrer.
void setCommonHeaders(Poco::Net::HTTPServerResponse& response);

/// Routes one request (ConsoleHandlers.cpp).
void handleConsoleRequest(ConsoleContext& console, Poco::Net::HTTPServerRequest& request,
                          Poco::Net::HTTPServerResponse& response);

} // namespace erphost
