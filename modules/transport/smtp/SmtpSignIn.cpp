#include "transport/smtp/SmtpSignIn.h"

#include "erpmail/Base64.h"
#include "transport/smtp/SmtpSession.h"

#include <Poco/Net/NetException.h>

#include <algorithm>
#include <sstream>

namespace erpmail::transport {

namespace {

// An authzid in a GS2 header (RFC 5801 section 4): "," and "=" escaped.
std::string saslName(const std::string& user)
{
    std::string out;
    for (char c : user)
        out += c == ',' ? "=2C" : c == '=' ? "=3D" : std::string(1, c);
    return out;
}

bool offersAuth(const std::vector<std::string>& caps, const std::string& mechanism)
{
    for (const auto& c : caps) {
        std::string upper = c;
        std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char ch) { return std::toupper(ch); });
        if (upper.rfind("AUTH ", 0) != 0 && upper.rfind("AUTH=", 0) != 0) continue;
        std::istringstream words(upper.substr(5));
        for (std::string w; words >> w;)
            if (w == mechanism) return true;
    }
    return false;
}

// SASL with an OAuth 2.0 bearer token, the initial response on the AUTH
// line: XOAUTH2 (Microsoft, Google) or OAUTHBEARER (RFC 7628). A refusal
// comes as a 334 carrying the error in JSON, answered with an empty
// response (XOAUTH2) or %x01 (RFC 7628 section 3.2.3) to get the final
// reply. Throws SMTPException with the server's words.
void loginWithToken(SmtpSession& session, const std::string& mechanism, const std::string& user,
                    const std::string& token, const std::string& host, unsigned port)
{
    const std::string ctrlA(1, '\x01');
    const std::string bearer = "auth=Bearer " + token + ctrlA + ctrlA;
    const std::string initial = mechanism == "XOAUTH2" ? "user=" + user + ctrlA + bearer
                                                       : "n,a=" + saslName(user) + "," + ctrlA + "host=" + host +
                                                             ctrlA + "port=" + std::to_string(port) + ctrlA + bearer;
    std::string response;
    int status = session.sendCommand("AUTH", mechanism + " " + toBase64(initial), response);
    if (status == 235) return;
    std::string why = response;
    if (status == 334) {
        if (auto json = decodeBase64(response.size() > 4 ? response.substr(4) : std::string())) why = *json;
        status = session.sendCommand(mechanism == "XOAUTH2" ? "" : "AQ==", response);
        why += " " + response;
    }
    throw Poco::Net::SMTPException("Login using " + mechanism + " failed", why, status);
}

} // namespace

std::string chooseSignIn(const std::vector<std::string>& capabilities, const SmtpSettings& settings,
                         const std::string& where)
{
    using Kind = SmtpOutcome::Kind;
    if (!settings.oauthToken.empty()) {
        if (offersAuth(capabilities, "XOAUTH2")) return "XOAUTH2";
        if (offersAuth(capabilities, "OAUTHBEARER")) return "OAUTHBEARER";
        throw SmtpSetupError({Kind::Permanent, 0,
                              "server " + where +
                                  " offers neither XOAUTH2 nor OAUTHBEARER, which "
                                  "this account signs in with; nothing was sent"});
    }
    for (const char* mechanism : {"PLAIN", "LOGIN", "CRAM-MD5"})
        if (offersAuth(capabilities, mechanism)) return mechanism;
    throw SmtpSetupError({Kind::Permanent, 0,
                          "server " + where +
                              " offers no authentication mechanism erpmail knows "
                              "(PLAIN, LOGIN, CRAM-MD5)"});
}

void signIn(SmtpSession& session, const std::string& mechanism, const SmtpSettings& settings)
{
    if (mechanism == "XOAUTH2" || mechanism == "OAUTHBEARER") {
        try {
            loginWithToken(session, mechanism, settings.user, settings.oauthToken, settings.host, settings.port);
        } catch (const Poco::Net::SMTPException& e) {
            if (e.code() >= 500 && settings.tokenRefused) settings.tokenRefused();
            throw;
        }
    } else if (mechanism == "PLAIN") {
        session.loginUsingPlain(settings.user, settings.password);
    } else if (mechanism == "LOGIN") {
        session.loginUsingLogin(settings.user, settings.password);
    } else { // CRAM-MD5, the last chooseSignIn names
        session.loginUsingCRAMMD5(settings.user, settings.password);
    }
}

} // namespace erpmail::transport
