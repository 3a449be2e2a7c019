#include "transport/smtp/SmtpConnection.h"
#include "transport/smtp/SmtpReplyReader.h"

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
    return {kind, code, what + ": " + reply(answer), {}};
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

    /// A command and its reply, read by readReply (hides Poco's).
    int sendCommand(const std::string& command, std::string& response)
    {
        socket().sendMessage(command);
        return readReply(socket(), response);
    }
    int sendCommand(const std::string& command, const std::string& arg, std::string& response)
    {
        socket().sendMessage(command, arg);
        return readReply(socket(), response);
    }

    /// Reads the greeting (Poco's open() would keep it to itself); throws
    /// SMTPException unless it is positive. Returns its text.
    std::string greet()
    {
        std::string response;
        const int status = readReply(socket(), response);
        if (!isPositiveCompletion(status)) throw Poco::Net::SMTPException("the server is not ready", response, status);
        return response;
    }

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

    /// EHLO, HELO when the server does not know EHLO; the capabilities.
    std::vector<std::string> ehlo(const std::string& name)
    {
        std::string response;
        int status = sendCommand("EHLO", name, response);
        if (isPermanentNegative(status)) status = sendCommand("HELO", name, response);
        if (!isPositiveCompletion(status)) throw Poco::Net::SMTPException("EHLO refused", response, status);
        return ehloLines(response);
    }

    /// QUIT, then the connection is closed.
    void goodbye()
    {
        std::string response;
        sendCommand("QUIT", response);
        socket().close();
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

SmtpConnection::SmtpConnection(const SmtpSettings& settings)
    : settings_(settings), report_(settings.report ? settings.report : &unreported_)
{
    const std::string where = settings.host + ":" + std::to_string(settings.port);
    const Poco::Timespan timeout(settings.timeoutSeconds, 0);
    try {
        report_->begin(settings.security == Security::Tls ? "connect+tls" : "connect");
        Poco::Net::StreamSocket socket = openSocket(settings.host, settings.port, settings.security, settings.tls, timeout);
        session_ = std::make_unique<Session>(socket);
        session_->socket().setSendTimeout(timeout);
        report_->tls = describeTls(session_->socket());
        report_->note(where + (report_->tls.empty() ? "" : " (" + report_->tls + ")"));
        report_->begin("greeting");
        expectReplyWithin(settings.timeouts.greeting, "its greeting (erpmail.smtp.greeting_timeout_seconds)");
        const std::string greeting = session_->greet();
        report_->greeting = reply(greeting.size() > 4 ? greeting.substr(4) : greeting);
        report_->note(report_->greeting, reply(greeting));
        expectReplyWithin(settings.timeoutSeconds, "the session set-up (erpmail.smtp.timeout_seconds)");
        reportCapabilities();
        if (settings.security == Security::StartTls) {
            report_->begin("starttls");
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
            report_->tls = describeTls(session_->socket());
            report_->note(report_->tls, reply(response));
            reportCapabilities();
        }
        const bool tls = settings.security != Security::None;
        if (settings.authenticate) {
            report_->begin("login");
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
        throw SmtpSetupError({Kind::Temporary, 0, timeoutAnswer()});
    } catch (const Poco::Exception& e) {
        throw SmtpSetupError({Kind::Temporary, 0, "connection to " + where + " failed: " + reply(e.displayText())});
    }
}

void SmtpConnection::reportCapabilities()
{
    report_->begin("capabilities");
    report_->capabilities = capabilities_ = session_->ehlo(settings_.heloName);
    std::string joined;
    for (const auto& c : capabilities_)
        joined += (joined.empty() ? "" : " ") + c;
    report_->note(reply(joined));
}

SmtpConnection::~SmtpConnection()
{
    quit();
}

std::string SmtpConnection::tlsDescription() const
{
    return session_ ? describeTls(session_->socket()) : std::string();
}

void SmtpConnection::expectReplyWithin(int seconds, const char* what)
{
    session_->socket().setReceiveTimeout(Poco::Timespan(seconds, 0));
    waitSeconds_ = seconds;
    waitName_ = what;
}

std::string SmtpConnection::timeoutAnswer() const
{
    return "no answer from " + settings_.host + ":" + std::to_string(settings_.port) + " to " + waitName_ + " within " +
           std::to_string(waitSeconds_) + " s";
}

SmtpOutcome SmtpConnection::send(const std::string& envelopeFrom, const std::vector<std::string>& recipients,
                                 const std::string& raw)
{
    if (!usable_) return {Kind::Temporary, 0, "connection is closed", {}};
    const SmtpTimeouts& waits = settings_.timeouts;
    try {
        std::string response;
        if (needsReset_) {
            expectReplyWithin(settings_.timeoutSeconds, "RSET (erpmail.smtp.timeout_seconds)");
            int status = session_->sendCommand("RSET", response);
            if (status != 250) {
                usable_ = false;
                return {Kind::Temporary, status, "RSET refused: " + reply(response), {}};
            }
        }
        needsReset_ = true;
        expectReplyWithin(waits.mail, "MAIL FROM (erpmail.smtp.mail_timeout_seconds)");
        int status = session_->sendCommand("MAIL FROM:<" + envelopeFrom + ">", response);
        if (status / 100 != 2) return outcomeFor(status, "sender <" + envelopeFrom + "> refused", response);

        // Each RCPT is answered before the next is sent, so each reply belongs to its recipient.
        expectReplyWithin(waits.rcpt, "RCPT TO (erpmail.smtp.rcpt_timeout_seconds)");
        SmtpOutcome result;
        std::string refusals;
        bool anyAccepted = false, anyTemporary = false;
        for (const auto& rcpt : recipients) {
            status = session_->sendCommand("RCPT TO:<" + rcpt + ">", response);
            SmtpOutcome::Recipient r{rcpt, Kind::Sent, status, reply(response)};
            if (status / 100 == 2) {
                anyAccepted = true;
            } else {
                r.kind = status >= 500 ? Kind::Permanent : Kind::Temporary;
                anyTemporary = anyTemporary || r.kind == Kind::Temporary;
                const std::string refusal = "recipient <" + rcpt + "> refused: " + r.answer;
                refusals += (refusals.empty() ? "" : "; ") + refusal;
                if (result.code == 0 || (r.kind == Kind::Temporary && result.code >= 500)) result.code = status;
            }
            result.recipients.push_back(std::move(r));
        }
        if (!anyAccepted) {
            result.kind = anyTemporary ? Kind::Temporary : Kind::Permanent;
            result.answer = refusals;
            return result;
        }
        // The message itself refused: the accepted recipients share that outcome.
        auto messageRefused = [&](int code, const std::string& what) {
            SmtpOutcome refused = outcomeFor(code, what, response);
            for (auto& r : result.recipients)
                if (r.kind == Kind::Sent) r = {r.address, refused.kind, refused.code, refused.answer};
            refused.recipients = std::move(result.recipients);
            if (refused.kind == Kind::Permanent)
                for (const auto& r : refused.recipients)
                    if (r.kind == Kind::Temporary) refused.kind = Kind::Temporary;
            return refused;
        };
        expectReplyWithin(waits.data, "DATA (erpmail.smtp.data_timeout_seconds)");
        status = session_->sendCommand("DATA", response);
        if (status != 354) return messageRefused(status, "DATA refused");
        {
            waitName_ = "the message being written (erpmail.smtp.data_block_timeout_seconds)";
            waitSeconds_ = waits.dataBlock;
            session_->socket().setSendTimeout(Poco::Timespan(waits.dataBlock, 0));
            Poco::Net::SocketOutputStream socketStream(session_->socket());
            Poco::Net::MailOutputStream mail(socketStream);
            mail.write(raw.data(), static_cast<std::streamsize>(raw.size()));
            mail.close(); // CRLF . CRLF, after dot-stuffing every line
            socketStream.flush();
            // The stream keeps a write error (a timeout, a closed connection) in its state.
            if (!socketStream) throw Poco::IOException("writing the message failed");
            session_->socket().setSendTimeout(Poco::Timespan(settings_.timeoutSeconds, 0));
        }
        expectReplyWithin(waits.dataEnd, "the end of the message (erpmail.smtp.data_end_timeout_seconds)");
        status = readReply(session_->socket(), response);
        if (status != 250) return messageRefused(status == 0 ? 451 : status, "message refused");
        result.kind = Kind::Sent;
        result.code = status;
        result.answer = reply(response);
        if (!refusals.empty()) result.answer += " (" + refusals + ")";
        return result;
    } catch (const Poco::TimeoutException&) {
        usable_ = false;
        return {Kind::Temporary, 0, timeoutAnswer(), {}};
    } catch (const Poco::Exception& e) {
        usable_ = false;
        return {Kind::Temporary, 0, "connection to " + settings_.host + " broke: " + reply(e.displayText()), {}};
    }
}

SmtpOutcome SmtpConnection::checkSender(const std::string& envelopeFrom)
{
    if (!usable_) return {Kind::Temporary, 0, "connection is closed"};
    try {
        std::string response;
        const int status = session_->sendCommand("MAIL FROM:<" + envelopeFrom + ">", response);
        // Kind::Sent stands for "accepted" here: nothing is sent.
        SmtpOutcome outcome = status / 100 == 2 ? SmtpOutcome{Kind::Sent, status, reply(response)}
                                                : outcomeFor(status, "sender <" + envelopeFrom + "> refused", response);
        std::string ignored;
        if (session_->sendCommand("RSET", ignored) != 250) usable_ = false;
        return outcome;
    } catch (const Poco::Exception& e) {
        usable_ = false;
        return {Kind::Temporary, 0, "connection to " + settings_.host + " broke: " + reply(e.displayText())};
    }
}

void SmtpConnection::quit() noexcept
{
    if (!session_) return;
    try {
        if (usable_) session_->goodbye();
    } catch (...) {
        // The server may already be gone; nothing is left to report.
    }
    usable_ = false;
    session_.reset();
}

} // namespace erpmail::transport
