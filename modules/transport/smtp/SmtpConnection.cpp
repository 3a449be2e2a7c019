#include "transport/smtp/SmtpConnection.h"
#include "transport/smtp/SmtpReplyReader.h"
#include "transport/smtp/SmtpSession.h"
#include "transport/smtp/SmtpSignIn.h"

#include "transport/common/ServerText.h"

#include <Poco/Net/MailStream.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketStream.h>

#include <algorithm>

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

bool offers(const std::vector<std::string>& caps, const std::string& word)
{
    for (const auto& c : caps) {
        std::string upper = c;
        std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char ch) { return std::toupper(ch); });
        if (upper == word || upper.rfind(word + " ", 0) == 0) return true;
    }
    return false;
}

} // namespace

SmtpConnection::SmtpConnection(const SmtpSettings& settings)
    : settings_(settings), report_(settings.report ? settings.report : &unreported_)
{
    const std::string where = settings.host + ":" + std::to_string(settings.port);
    const Poco::Timespan timeout(settings.timeoutSeconds, 0);
    try {
        report_->begin(settings.security == Security::Tls ? "connect+tls" : "connect");
        Poco::Net::StreamSocket socket =
            openSocket(settings.host, settings.port, settings.security, settings.tls, timeout, settings.connector);
        session_ = std::make_unique<SmtpSession>(socket);
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
                throw SmtpSetupError({Kind::Permanent, 0,
                                      "server " + where +
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
                throw SmtpSetupError({Kind::Permanent, 0,
                                      "server " + where +
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
                throw SmtpSetupError({Kind::Permanent, 0,
                                      "a password is never sent without TLS; configure "
                                      "STARTTLS or TLS for " +
                                          where});
            mechanism_ = chooseSignIn(capabilities_, settings, where);
            signIn(*session_, mechanism_, settings);
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
