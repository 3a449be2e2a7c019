#include "transport/oauth/OAuthTokens.h"

#include "transport/common/ServerText.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <openssl/crypto.h>

#include <map>
#include <mutex>
#include <vector>

namespace erpmail::transport {

namespace {

struct Cached {
    std::string accessToken;
    std::int64_t validUntilMs = 0;
    std::string serverSettings; ///< the account's servers it was bought for
};

std::mutex& cacheMutex()
{
    static std::mutex m;
    return m;
}

std::map<std::string, Cached>& cache()
{
    static std::map<std::string, Cached> c;
    return c;
}

/// Held while an account's token is bought: a rotated refresh token is
/// spent by the first purchase, so two at once would lock the account out.
std::mutex& purchaseMutex()
{
    static std::mutex m;
    return m;
}

/// Opened secrets are wiped when they go, also when a purchase fails.
struct WipedOnExit {
    std::vector<std::string*> strings;
    ~WipedOnExit()
    {
        for (std::string* s : strings)
            if (s->capacity()) OPENSSL_cleanse(&(*s)[0], s->capacity());
    }
};

} // namespace

OAuthGrant refreshAccessToken(const OAuthRequest& request)
{
    Poco::URI uri(request.tokenUrl);
    if (uri.getScheme() != "https")
        throw OAuthError("the OAuth token endpoint must be an https:// address, not '" + serverText(request.tokenUrl) +
                         "'");
    const std::string host = uri.getHost();
    const unsigned port = uri.getPort();
    Poco::Net::HTMLForm form;
    form.set("grant_type", "refresh_token");
    form.set("client_id", request.clientId);
    form.set("refresh_token", request.refreshToken);
    if (!request.scope.empty()) form.set("scope", request.scope);
    if (!request.clientSecret.empty()) form.set("client_secret", request.clientSecret);
    std::string answer;
    int status = 0;
    try {
        clearTlsVerifyResult();
        Poco::Net::HTTPSClientSession session(host, static_cast<Poco::UInt16>(port), makeClientContext(request.tls, host));
        session.setTimeout(Poco::Timespan(request.timeoutSeconds, 0));
        Poco::Net::HTTPRequest post(Poco::Net::HTTPRequest::HTTP_POST, uri.getPathEtc(), Poco::Net::HTTPMessage::HTTP_1_1);
        post.setContentType("application/x-www-form-urlencoded");
        post.set("Accept", "application/json");
        form.prepareSubmit(post);
        form.write(session.sendRequest(post));
        Poco::Net::HTTPResponse response;
        std::istream& body = session.receiveResponse(response);
        Poco::StreamCopier::copyToString(body, answer, 8192);
        status = response.getStatus();
    } catch (const Poco::Net::SSLException&) {
        try {
            rethrowTlsFailure(host, port);
        } catch (const TlsError& e) {
            throw OAuthError(std::string("OAuth token endpoint: ") + e.what());
        }
    } catch (const Poco::Exception& e) {
        throw OAuthError("the OAuth token endpoint " + host + ":" + std::to_string(port) + " cannot be reached: " +
                         e.displayText());
    }
    Poco::JSON::Object::Ptr json;
    try {
        Poco::JSON::Parser parser;
        json = parser.parse(answer).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
        throw OAuthError("the OAuth token endpoint " + host + " answered HTTP " + std::to_string(status) +
                         " without JSON: " + serverText(answer));
    }
    if (status != 200 || !json->has("access_token")) {
        const std::string error = json->optValue<std::string>("error", "HTTP " + std::to_string(status));
        const std::string description = json->optValue<std::string>("error_description", "");
        std::string advice = error == "invalid_grant" ? "; the refresh token is no longer valid: grant access again "
                                                        "and store the new refresh token in the account"
                           : error == "invalid_client" ? "; check the account's client id and client secret"
                                                       : "";
        throw OAuthError("the OAuth server " + host + " refused the refresh token: " + serverText(error, 100) +
                         (description.empty() ? "" : " (" + serverText(description) + ")") + advice);
    }
    OAuthGrant grant;
    grant.accessToken = json->getValue<std::string>("access_token");
    grant.expiresInSeconds = json->optValue<std::int64_t>("expires_in", 3600);
    grant.refreshToken = json->optValue<std::string>("refresh_token", "");
    return grant;
}

std::string accessTokenFor(Context& context, SecretStore& secrets, const store::AccountRecord& account,
                           const IncomingSettings& incoming)
{
    auto cached = [&]() -> std::string {
        std::lock_guard<std::mutex> lock(cacheMutex());
        auto it = cache().find(account.id);
        // A token bought before the account's servers changed goes nowhere:
        // the purchase below checks the stored secrets' binding again.
        return it != cache().end() && it->second.validUntilMs > context.host().nowMs() &&
                       it->second.serverSettings == account.serverSettings
                   ? it->second.accessToken
                   : std::string();
    };
    if (std::string token = cached(); !token.empty()) return token;
    // Threads of this process queue here; other processes wait for the row
    // lock that lockedAccessToken() takes in the system database.
    std::lock_guard<std::mutex> purchase(purchaseMutex());
    if (std::string token = cached(); !token.empty()) return token; // bought meanwhile

    if (!incoming.oauth2) throw OAuthError("account '" + account.label + "' signs in with OAuth but has no oauth2 settings");
    OAuthAccess access =
        secrets.lockedAccessToken(account, context.host().nowMs(), [&](const AccountCredentials& stored) {
            if (stored.oauthRefreshToken.empty())
                throw OAuthError("account '" + account.label +
                                 "' has no OAuth refresh token: grant access and "
                                 "store it (incoming.oauth2.refresh_token)");
            OAuthRequest request;
            WipedOnExit wiped{{&request.refreshToken, &request.clientSecret}};
            request.tokenUrl = incoming.oauth2->tokenUrl;
            request.clientId = incoming.oauth2->clientId;
            request.scope = incoming.oauth2->scope;
            request.clientSecret = stored.oauthClientSecret;
            request.refreshToken = stored.oauthRefreshToken;
            request.tls.caFile = incoming.caFile;
            request.tls.caPem = incoming.caPem;
            OAuthGrant grant = refreshAccessToken(request);
            WipedOnExit wipedGrant{{&grant.refreshToken, &grant.accessToken}};
            OAuthAccess bought;
            bought.accessToken = grant.accessToken;
            // Renewed a minute before the server's deadline, so that a token
            // never expires between the check here and the login.
            bought.validUntilMs =
                context.host().nowMs() + std::max<std::int64_t>(grant.expiresInSeconds - 60, 0) * 1000;
            if (grant.refreshToken != request.refreshToken) bought.rotatedRefreshToken = grant.refreshToken;
            return bought;
        });
    std::lock_guard<std::mutex> lock(cacheMutex());
    cache()[account.id] = {access.accessToken, access.validUntilMs, account.serverSettings};
    return access.accessToken;
}

void forgetAccessToken(SecretStore& secrets, const std::string& accountId)
{
    std::string refused;
    {
        std::lock_guard<std::mutex> lock(cacheMutex());
        auto it = cache().find(accountId);
        if (it == cache().end()) return;
        refused = std::move(it->second.accessToken);
        cache().erase(it);
    }
    WipedOnExit wiped{{&refused}};
    try {
        secrets.dropAccessToken(accountId, refused);
    } catch (const std::exception&) {
        // The login's own error is what the caller reports; a token left
        // stored is refused once more and dropped then.
    }
}

} // namespace erpmail::transport
