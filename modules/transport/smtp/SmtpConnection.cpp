#include "transport/smtp/SmtpConnection.h"

#include "erpmail/Base64.h"
#include "transport/common/ServerText.h"

#include <Poco/Net/DialogSocket.h>
#include <Poco/Net/MailStream.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureSMTPClientSession.h>
#include <Poco/Net/SocketStream.h>

#include <algorithm>
#include <sstream>

namespace erpmail::transport {

namespace {

using Kind = SmtpOutcome::Kind;

// An SMTP reply kept in an outcome: multi-line replies are long, and each
// outcome ends up in the outbox and the log.
std::string reply(const std::string& text)
{
    return serverText(text, 2000);
}

SmtpOutcome outcomeFor(int code, const std::string& what, const std::string& answer)
{
    Kind kind = code >= 500 ? Kind::Permanent : Kind::Temporary;
    return {kind, code, what + ": " + reply(answer)};
}

std::vector<std::string> ehloLines(const std::string& response)
{
    // Poco joins the lines of a multi-line reply with "\n", each still "250-..."/"250 ...".
    std::vector<std::string> out;
    std::istringstream in(response);
    bool first = true;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.size() > 4) line = line.substr(4);
        else line.clear();
        if (first) {
            first = false; // the greeting line names the server
            continue;
        }
        if (!line.empty()) out.push_back(line);
    }
    return out;
}

bool offers(const std::vector<std::string>& caps, const std::string& word)
{
    for (const auto& c : caps) {
        std::string upper = c;
        std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char ch) { return std::toupper(ch); });
        if (upper == word || upper.rfind(word + " ", 0) == 0) return true;
    }
    return false;
}

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

} // namespace

// Poco's session with access to what it keeps protected: the EHLO reply,
// the individual AUTH mechanisms, and the socket for the final reply.
class SmtpConnection::Session : public Poco::Net::SecureSMTPClientSession {
public:
    using SecureSMTPClientSession::loginUsingCRAMMD5;
    using SecureSMTPClientSession::loginUsingLogin;
    using SecureSMTPClientSession::loginUsingPlain;
    using SecureSMTPClientSession::SecureSMTPClientSession;
    using SecureSMTPClientSession::socket;

    /// SASL with an OAuth 2.0 bearer token, the initial response on the
    /// AUTH line: XOAUTH2 (Microsoft, Google) or OAUTHBEARER (RFC 7628).
    /// A refusal comes as a 334 carrying the error in JSON, answered with
    /// an empty response (XOAUTH2) or %x01 (RFC 7628 section 3.2.3) to get
    /// the final reply. Throws SMTPException with the server's words.
    void loginWithToken(const std::string& mechanism, const std::string& user, const std::string& token,
                        const std::string& host, unsigned port)
    {
        const std::string ctrlA(1, '\x01');
        const std::string bearer = "auth=Bearer " + token + ctrlA + ctrlA;
        const std::string initial = mechanism == "XOAUTH2"
                                        ? "user=" + user + ctrlA + bearer
                                        : "n,a=" + saslName(user) + "," + ctrlA + "host=" + host + ctrlA +
                                              "port=" + std::to_string(port) + ctrlA + bearer;
        std::string response;
        int status = sendCommand("AUTH", mechanism + " " + toBase64(initial), response);
        if (status == 235) return;
        std::string why = response;
        if (status == 334) {
            if (auto json = decodeBase64(response.size() > 4 ? response.substr(4) : std::string())) why = *json;
            status = sendCommand(mechanism == "XOAUTH2" ? "" : "AQ==", response);
            why += " " + response;
        }
        throw Poco::Net::SMTPException("Login using " + mechanism + " failed", why, status);
    }

    std::vector<std::string> ehlo(const std::string& name)
    {
        std::string response;
        login(name, response);
        return ehloLines(response);
    }

    /// Whether the server has sent anything beyond its last reply, in the
    /// dialog's buffer or on the socket; looks without waiting.
    bool hasUnreadBytes()
    {
        Poco::Net::DialogSocket& dialog = socket();
        dialog.setBlocking(false);
        int next = -1; // what peek() answers when nothing has come
        try {
            next = dialog.peek();
        } catch (...) {
            dialog.setBlocking(true);
            throw;
        }
        dialog.setBlocking(true);
        return next >= 0;
    }
};

SmtpConnection::SmtpConnection(const SmtpSettings& settings) : settings_(settings)
{
    const std::string where = settings.host + ":" + std::to_string(settings.port);
    const Poco::Timespan timeout(settings.timeoutSeconds, 0);
    try {
        Poco::Net::StreamSocket socket = openSocket(settings.host, settings.port, settings.security, settings.tls, timeout);
        session_ = std::make_unique<Session>(socket);
        session_->setTimeout(timeout);
        session_->open();
        capabilities_ = session_->ehlo(settings.heloName);
        if (settings.security == Security::StartTls) {
            if (!offers(capabilities_, "STARTTLS"))
                throw SmtpSetupError({Kind::Permanent, 0, "server " + where +
                                                              " does not offer STARTTLS, which this account requires; "
                                                              "nothing was sent and no password went out"});
            std::string response;
            int status = session_->sendCommand("STARTTLS", response);
            if (status != 220)
                throw SmtpSetupError({Kind::Permanent, status,
                                      "server " + where + " refused STARTTLS (" + reply(response) +
                                          "); nothing was sent and no password went out"});
            // Bytes after the 220 and before the handshake can only be an
            // injection (RFC 3207 section 4.2, CVE-2011-0411): the session ends.
            if (session_->hasUnreadBytes())
                throw SmtpSetupError({Kind::Permanent, 0, "server " + where +
                                                              " sent data after agreeing to STARTTLS; refusing the "
                                                              "session (possible injection); nothing was sent and no "
                                                              "password went out"});
            session_->socket() = upgradeSocket(session_->socket(), settings.host, settings.port, settings.tls);
            session_->socket().setReceiveTimeout(timeout);
            session_->socket().setSendTimeout(timeout);
            capabilities_ = session_->ehlo(settings.heloName);
        }
        const bool tls = settings.security != Security::None;
        if (settings.authenticate) {
            if (!tls)
                throw SmtpSetupError({Kind::Permanent, 0, "a password is never sent without TLS; configure "
                                                          "STARTTLS or TLS for " + where});
            if (!settings.oauthToken.empty()) {
                mechanism_ = offersAuth(capabilities_, "XOAUTH2")       ? "XOAUTH2"
                             : offersAuth(capabilities_, "OAUTHBEARER") ? "OAUTHBEARER"
                                                                        : "";
                if (mechanism_.empty())
                    throw SmtpSetupError({Kind::Permanent, 0,
                                          "server " + where +
                                              " offers neither XOAUTH2 nor OAUTHBEARER, which "
                                              "this account signs in with; nothing was sent"});
                try {
                    session_->loginWithToken(mechanism_, settings.user, settings.oauthToken, settings.host,
                                             settings.port);
                } catch (const Poco::Net::SMTPException& e) {
                    if (e.code() >= 500 && settings.tokenRefused) settings.tokenRefused();
                    throw;
                }
            } else if (offersAuth(capabilities_, "PLAIN")) {
                mechanism_ = "PLAIN";
                session_->loginUsingPlain(settings.user, settings.password);
            } else if (offersAuth(capabilities_, "LOGIN")) {
                mechanism_ = "LOGIN";
                session_->loginUsingLogin(settings.user, settings.password);
            } else if (offersAuth(capabilities_, "CRAM-MD5")) {
                mechanism_ = "CRAM-MD5";
                session_->loginUsingCRAMMD5(settings.user, settings.password);
            } else {
                throw SmtpSetupError({Kind::Permanent, 0, "server " + where +
                                                              " offers no authentication mechanism erpmail knows "
                                                              "(PLAIN, LOGIN, CRAM-MD5)"});
            }
        }
        usable_ = true;
    } catch (const SmtpSetupError&) {
        throw;
    } catch (const TlsError& e) {
        throw SmtpSetupError({Kind::Permanent, 0, e.what()});
    } catch (const ConnectError& e) {
        throw SmtpSetupError({Kind::Temporary, 0, e.what()});
    } catch (const Poco::Net::SMTPException& e) {
        const int code = e.code();
        std::string what = mechanism_.empty() ? "server " + where + " refused the session"
                                              : "authentication (" + mechanism_ + ") at " + where + " failed";
        throw SmtpSetupError(outcomeFor(code, what, e.message()));
    } catch (const Poco::TimeoutException&) {
        throw SmtpSetupError({Kind::Temporary, 0, "no answer from " + where + " within " +
                                                      std::to_string(settings.timeoutSeconds) + " s"});
    } catch (const Poco::Exception& e) {
        throw SmtpSetupError({Kind::Temporary, 0, "connection to " + where + " failed: " + reply(e.displayText())});
    }
}

SmtpConnection::~SmtpConnection()
{
    quit();
}

std::string SmtpConnection::tlsDescription() const
{
    return session_ ? describeTls(session_->socket()) : std::string();
}

SmtpOutcome SmtpConnection::send(const std::string& envelopeFrom, const std::vector<std::string>& recipients,
                                 const std::string& raw)
{
    if (!usable_) return {Kind::Temporary, 0, "connection is closed"};
    try {
        std::string response;
        if (needsReset_) {
            int status = session_->sendCommand("RSET", response);
            if (status != 250) {
                usable_ = false;
                return {Kind::Temporary, status, "RSET refused: " + reply(response)};
            }
        }
        needsReset_ = true;
        int status = session_->sendCommand("MAIL FROM:<" + envelopeFrom + ">", response);
        if (status / 100 != 2) return outcomeFor(status, "sender <" + envelopeFrom + "> refused", response);
        for (const auto& rcpt : recipients) {
            status = session_->sendCommand("RCPT TO:<" + rcpt + ">", response);
            if (status / 100 != 2) return outcomeFor(status, "recipient <" + rcpt + "> refused", response);
        }
        status = session_->sendCommand("DATA", response);
        if (status != 354) return outcomeFor(status, "DATA refused", response);
        {
            Poco::Net::SocketOutputStream socketStream(session_->socket());
            Poco::Net::MailOutputStream mail(socketStream);
            mail.write(raw.data(), static_cast<std::streamsize>(raw.size()));
            mail.close(); // CRLF . CRLF, after dot-stuffing every line
            socketStream.flush();
        }
        status = session_->socket().receiveStatusMessage(response);
        if (status == 250) return {Kind::Sent, status, reply(response)};
        return outcomeFor(status == 0 ? 451 : status, "message refused", response);
    } catch (const Poco::TimeoutException&) {
        usable_ = false;
        return {Kind::Temporary, 0, "no answer from " + settings_.host + " within " +
                                        std::to_string(settings_.timeoutSeconds) + " s"};
    } catch (const Poco::Exception& e) {
        usable_ = false;
        return {Kind::Temporary, 0, "connection to " + settings_.host + " broke: " + reply(e.displayText())};
    }
}

void SmtpConnection::quit() noexcept
{
    if (!session_) return;
    try {
        if (usable_) session_->close(); // QUIT
    } catch (...) {
        // The server may already be gone; nothing is left to report.
    }
    usable_ = false;
    session_.reset();
}

} // namespace erpmail::transport
