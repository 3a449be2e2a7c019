// The console's routes: sign-in, operations, the catalogue, events and the
// plugins' web screens.
#include "ConsoleContext.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <algorithm>
#include <sstream>

namespace erphost {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

namespace {

constexpr std::size_t kMaxBody = 64u << 20;  // what mail.send's largest mail may need in JSON
constexpr std::size_t kMaxSignInBody = 8192; // read before anyone is signed in

std::string text(const Poco::Dynamic::Var& value)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(value, out);
    return out.str();
}

// The body, or nullopt (answered 413) when it is larger than `limit`.
std::optional<std::string> readBody(HTTPServerRequest& request, HTTPServerResponse& response,
                                    std::size_t limit = kMaxBody)
{
    const std::string tooLarge = "the request body is larger than " + std::to_string(limit) + " bytes";
    if (request.hasContentLength() && request.getContentLength64() > static_cast<Poco::Int64>(limit)) {
        sendError(response, HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE, "too_large", tooLarge);
        return std::nullopt;
    }
    std::string body;
    char buffer[16384];
    auto& in = request.stream();
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        body.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (body.size() > limit) {
            sendError(response, HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE, "too_large", tooLarge);
            return std::nullopt;
        }
    }
    return body;
}

std::string cookieToken(HTTPServerRequest& request)
{
    Poco::Net::NameValueCollection cookies;
    request.getCookies(cookies);
    return cookies.get(kSessionCookie, "");
}

void setSessionCookie(ConsoleContext& console, HTTPServerResponse& response, const std::string& token)
{
    // Written out rather than through HTTPCookie, which ends a cookie with
    // "expires=<now>" and no Max-Age.
    std::string cookie = std::string(kSessionCookie) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict";
    if (console.tls) cookie += "; Secure";
    if (token.empty()) cookie += "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT";
    response.add("Set-Cookie", cookie);
}

std::string sessionJson(const ConsoleContext& console, const Session& session)
{
    Poco::JSON::Object o;
    o.set("user", session.user);
    auto u = console.host.config().users.find(session.user);
    o.set("name", u == console.host.config().users.end() ? session.user : u->second.name);
    o.set("admin", u != console.host.config().users.end() && u->second.admin);
    o.set("csrf_token", session.csrfToken);
    return text(o);
}

// The HTTP status of an operation's error code; the body stays the error as `erphost call` prints it.
HTTPResponse::HTTPStatus statusOf(const std::string& errorJson)
{
    std::string code;
    try {
        Poco::JSON::Parser parser;
        code = parser.parse(errorJson).extract<Poco::JSON::Object::Ptr>()->getObject("error")->getValue<std::string>(
            "code");
    } catch (const std::exception&) {
        return HTTPResponse::HTTP_INTERNAL_SERVER_ERROR;
    }
    if (code == "invalid_params" || code == "invalid_json") return HTTPResponse::HTTP_BAD_REQUEST;
    if (code == "forbidden" || code == "unknown_user") return HTTPResponse::HTTP_FORBIDDEN;
    if (code == "not_found" || code == "unknown_operation") return HTTPResponse::HTTP_NOT_FOUND;
    if (code == "conflict") return HTTPResponse::HTTP_CONFLICT;
    if (code == "module_disabled" || code == "unavailable") return HTTPResponse::HTTP_SERVICE_UNAVAILABLE;
    return HTTPResponse::HTTP_INTERNAL_SERVER_ERROR;
}

void signIn(ConsoleContext& console, HTTPServerRequest& request, HTTPServerResponse& response)
{
    // A page of another site can post a form or a no-cors fetch here, but
    // neither as application/json without a preflight this server never
    // grants; and a browser names the page's origin.
    const std::string type = Poco::toLower(request.getContentType());
    if (type.substr(0, type.find(';')) != "application/json")
        return sendError(response, HTTPResponse::HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                         "a sign-in is sent as application/json");
    const std::string origin = request.get("Origin", "");
    if (!origin.empty() && origin != std::string(console.tls ? "https://" : "http://") + request.getHost())
        return sendError(response, HTTPResponse::HTTP_FORBIDDEN, "foreign_origin",
                         "a sign-in from another site's page is refused");
    auto body = readBody(request, response, kMaxSignInBody);
    if (!body) return;
    std::string user, password;
    try {
        Poco::JSON::Parser parser;
        auto o = parser.parse(*body).extract<Poco::JSON::Object::Ptr>();
        user = o->optValue<std::string>("user", "");
        password = o->optValue<std::string>("password", "");
    } catch (const std::exception&) {
        return sendError(response, HTTPResponse::HTTP_BAD_REQUEST, "invalid_json",
                         "the sign-in is a JSON object {\"user\": ..., \"password\": ...}");
    }
    if (user.empty() || password.empty())
        return sendError(response, HTTPResponse::HTTP_BAD_REQUEST, "invalid_params",
                         user.empty() ? "user is missing" : "password is missing");
    const std::string userKey = "user:" + user, addressKey = "address:" + request.clientAddress().host().toString();
    std::unique_lock<std::mutex> lock(console.signIn);
    const long long wait = std::max(console.limiter.retryAfter(userKey), console.limiter.retryAfter(addressKey));
    if (wait > 0) {
        response.set("Retry-After", std::to_string(wait));
        return sendError(response, HTTPResponse::HTTP_TOO_MANY_REQUESTS, "rate_limited",
                         "too many failed sign-ins for this user or from this address; try again in " +
                             std::to_string(wait) + " seconds");
    }
    const bool known = console.host.config().users.count(user) > 0;
    const bool ok = console.passwords.verify(user, password) && known;
    if (!ok) {
        console.limiter.recordFailure(userKey);
        console.limiter.recordFailure(addressKey);
        lock.unlock();
        console.host.log(ERP_LOG_WARNING, "erphost.console",
                         "failed sign-in for '" + user + "' from " + request.clientAddress().host().toString());
        return sendError(response, HTTPResponse::HTTP_UNAUTHORIZED, "unauthenticated", "wrong user or password");
    }
    console.limiter.clear(userKey);
    lock.unlock();
    auto [token, session] = console.sessions.create(user);
    setSessionCookie(console, response, token);
    sendJson(response, HTTPResponse::HTTP_OK, sessionJson(console, session));
}

void servePluginFile(ConsoleContext& console, const std::string& rest, HTTPServerRequest& request,
                     HTTPServerResponse& response)
{
    const std::size_t slash = rest.find('/');
    const std::string plugin = rest.substr(0, slash);
    if (slash == std::string::npos) { // "/plugins/erpmail": relative links need the slash
        const auto withUi = console.host.pluginsWithUi();
        if (std::find(withUi.begin(), withUi.end(), plugin) == withUi.end())
            return sendError(response, HTTPResponse::HTTP_NOT_FOUND, "not_found",
                             "no plugin of that name brings screens");
        response.redirect("/plugins/" + plugin + "/", HTTPResponse::HTTP_FOUND);
        return;
    }
    std::string bytes, meta;
    const erp_status status = console.host.uiResource(plugin, rest.substr(slash + 1), bytes, meta);
    if (status == ERP_INVALID_ARGUMENT)
        return sendError(response, HTTPResponse::HTTP_BAD_REQUEST, "invalid_path", bytes);
    if (status == ERP_NOT_FOUND)
        return sendError(response, HTTPResponse::HTTP_NOT_FOUND, "not_found",
                         bytes.empty() ? "no such file in the screens of plugin " + plugin : bytes);
    if (status != ERP_OK) return sendError(response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, "internal", bytes);
    std::string type = "application/octet-stream", etag;
    try {
        Poco::JSON::Parser parser;
        auto info = parser.parse(meta).extract<Poco::JSON::Object::Ptr>();
        type = info->optValue<std::string>("content_type", type);
        etag = info->optValue<std::string>("etag", "");
    } catch (const std::exception&) {
    }
    setCommonHeaders(response);
    response.set("Cache-Control", "no-cache");
    // Remote images are allowed here only so that a mail frame, whose srcdoc
    // inherits this policy, can show them once the user asks: the frame's own
    // policy blocks them until then, and the screens never put mail HTML
    // into their own page.
    response.set("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data: http: https:; style-src 'self' 'unsafe-inline'; "
                 "object-src 'none'; base-uri 'none'; frame-ancestors 'self'");
    if (!etag.empty()) {
        response.set("ETag", etag);
        if (request.get("If-None-Match", "") == etag) {
            response.setStatusAndReason(HTTPResponse::HTTP_NOT_MODIFIED);
            response.setContentLength(0);
            response.send();
            return;
        }
    }
    response.setContentType(type);
    response.setContentLength64(static_cast<Poco::Int64>(bytes.size()));
    if (request.getMethod() == "HEAD") {
        response.send();
        return;
    }
    response.send().write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

} // namespace

void handleConsoleRequest(ConsoleContext& console, HTTPServerRequest& request, HTTPServerResponse& response)
{
    const std::string method = request.getMethod();
    std::string path;
    try {
        path = Poco::URI(request.getURI()).getPath();
    } catch (const Poco::Exception&) {
        return sendError(response, HTTPResponse::HTTP_BAD_REQUEST, "invalid_path", "the request's URI is not valid");
    }
    // The path comes decoded: a CR or LF in it must never reach a header.
    if (std::any_of(path.begin(), path.end(),
                    [](char ch) { return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f; }))
        return sendError(response, HTTPResponse::HTTP_BAD_REQUEST, "invalid_path",
                         "the path holds a control character");
    const bool reading = method == "GET" || method == "HEAD";

    if (path.rfind("/plugins/", 0) == 0) {
        if (!reading) return sendError(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "method", "use GET");
        return servePluginFile(console, path.substr(9), request, response);
    }
    if (path == "/") {
        const auto withUi = console.host.pluginsWithUi();
        if (withUi.empty())
            return sendError(response, HTTPResponse::HTTP_NOT_FOUND, "not_found", "no plugin brings screens");
        response.redirect("/plugins/" + withUi.front() + "/", HTTPResponse::HTTP_FOUND);
        return;
    }
    if (path.rfind("/api/", 0) != 0)
        return sendError(response, HTTPResponse::HTTP_NOT_FOUND, "not_found", "no such page: " + path);
    if (path == "/api/session" && method == "POST") return signIn(console, request, response);

    const std::string token = cookieToken(request);
    const auto session = console.sessions.find(token);
    if (!session)
        return sendError(response, HTTPResponse::HTTP_UNAUTHORIZED, "unauthenticated",
                         "sign in first (POST /api/session)");
    if (!reading && !sameSecret(request.get(kCsrfHeader, ""), session->csrfToken))
        return sendError(response, HTTPResponse::HTTP_FORBIDDEN, "csrf",
                         std::string("this request needs the session's CSRF token in the ") + kCsrfHeader + " header");

    if (path == "/api/session") {
        if (method == "GET") return sendJson(response, HTTPResponse::HTTP_OK, sessionJson(console, *session));
        if (method == "DELETE") {
            console.sessions.remove(token);
            setSessionCookie(console, response, "");
            return sendJson(response, HTTPResponse::HTTP_OK, "{\"signed_out\":true}");
        }
    } else if (path == "/api/catalogue") {
        if (reading) return sendJson(response, HTTPResponse::HTTP_OK, text(console.host.catalogue()));
    } else if (path == "/api/events") {
        if (method == "GET") return streamEvents(console, token, *session, request, response);
    } else if (path == "/api/events/recent") {
        if (method == "GET") return recentEvents(console, *session, response);
    } else if (path.rfind("/api/invoke/", 0) == 0) {
        if (method == "POST") {
            auto body = readBody(request, response);
            if (!body) return;
            // The same call as `erphost call OP --as USER --json BODY`: same checks, same answer.
            const CallResult result = console.host.call(path.substr(12), session->user, body->empty() ? "{}" : *body);
            return sendJson(response, result.ok ? HTTPResponse::HTTP_OK : statusOf(result.json), result.json);
        }
    } else {
        return sendError(response, HTTPResponse::HTTP_NOT_FOUND, "not_found", "no such endpoint: " + path);
    }
    sendError(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "method", method + " is not allowed on " + path);
}

} // namespace erphost
