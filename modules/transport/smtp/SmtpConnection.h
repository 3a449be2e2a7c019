// One SMTP connection on Poco's SecureSMTPClientSession: TLS, EHLO,
// authentication, and any number of messages (RSET between them).
#pragma once

#include "erpmail/StepReport.h"
#include "transport/common/LineChannel.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace erpmail::transport {

/// The waits of RFC 5321 section 4.5.3.2, in seconds: a server that takes
/// long over a command (a content filter after the final dot) is waited for,
/// so that a mail it accepted is not sent again.
struct SmtpTimeouts {
    int greeting = 300;  ///< the 220 greeting
    int mail = 300;      ///< the reply to MAIL FROM
    int rcpt = 300;      ///< the reply to each RCPT TO
    int data = 120;      ///< the 354 reply to DATA
    int dataBlock = 180; ///< each block of the message written
    int dataEnd = 600;   ///< the reply to the final dot
};

struct SmtpSettings {
    std::string host;
    unsigned port = 587;
    Security security = Security::StartTls;
    TlsSettings tls;
    bool authenticate = true;
    std::string user;
    std::string password;               ///< used with PLAIN, LOGIN or CRAM-MD5
    std::string oauthToken;             ///< when set, XOAUTH2 (or OAUTHBEARER) instead of a password
    std::function<void()> tokenRefused; ///< optional: called when the server refuses oauthToken
    std::string heloName = "erpmail.localdomain";
    int timeoutSeconds = 60; ///< connect, TLS, EHLO, AUTH, RSET and QUIT
    SmtpTimeouts timeouts;
    StepReport* report = nullptr; ///< when set, each phase is reported there as it runs
    Connector connector;          ///< when set, the connection instead of TCP to host:port (see openSocket())
};

/// How a delivery attempt ended. Temporary ones are retried; permanent ones
/// are not, and keep the server's words.
struct SmtpOutcome {
    enum class Kind { Sent, Temporary, Permanent };
    /// The server's reply to one RCPT TO: Sent when it accepted the recipient.
    struct Recipient {
        std::string address;
        Kind kind = Kind::Temporary;
        int code = 0;
        std::string answer;
    };
    Kind kind = Kind::Temporary;
    int code = 0;       ///< the server's reply code, 0 when there was none
    std::string answer; ///< the server's reply, or why nothing was sent
    /// Each recipient's reply, once every RCPT TO was answered; empty when the
    /// attempt ended before (then the outcome stands for every recipient).
    /// Sent means the mail went to the accepted ones; without any accepted
    /// recipient the outcome is Permanent only when every refusal was.
    std::vector<Recipient> recipients = {};
};

/// Thrown when the connection cannot be set up; carries the outcome for
/// every message that was to go over it.
class SmtpSetupError : public std::runtime_error {
public:
    explicit SmtpSetupError(SmtpOutcome outcome) : std::runtime_error(outcome.answer), outcome_(std::move(outcome)) {}
    const SmtpOutcome& outcome() const { return outcome_; }

private:
    SmtpOutcome outcome_;
};

class SmtpSession;

class SmtpConnection {
public:
    /// Connects, verifies TLS (STARTTLS must succeed when required; without
    /// TLS no credentials are ever sent), asks EHLO again after TLS, and
    /// authenticates with the best mechanism the server offers. Throws
    /// SmtpSetupError. With settings.report, each phase (connect, greeting,
    /// capabilities, starttls, login) is a step there.
    explicit SmtpConnection(const SmtpSettings& settings);
    ~SmtpConnection();
    SmtpConnection(const SmtpConnection&) = delete;
    SmtpConnection& operator=(const SmtpConnection&) = delete;

    /// Sends one message (CRLF text; dot-stuffed here) to the recipients the
    /// server accepts; refused ones do not stop it. Sent only on the final
    /// 250. A broken connection makes usable() false.
    SmtpOutcome send(const std::string& envelopeFrom, const std::vector<std::string>& recipients,
                     const std::string& raw);

    bool usable() const { return usable_; }
    const std::vector<std::string>& capabilities() const { return capabilities_; }
    std::string tlsDescription() const;
    std::string authMechanism() const { return mechanism_; }
    void quit() noexcept;
    /// MAIL FROM for the sender, then RSET: whether the server would take
    /// mail from it. Sends no mail.
    SmtpOutcome checkSender(const std::string& envelopeFrom);

private:
    /// EHLO as a step of the report.
    void reportCapabilities();

    std::unique_ptr<SmtpSession> session_;
    SmtpSettings settings_;
    StepReport unreported_;
    StepReport* report_;
    std::vector<std::string> capabilities_;
    std::string mechanism_;
    bool usable_ = false;
    bool needsReset_ = false;

    /// Sets how long the next reply may take; `what` names the wait in a timeout's answer.
    void expectReplyWithin(int seconds, const char* what);
    std::string timeoutAnswer() const;
    int waitSeconds_ = 0;
    const char* waitName_ = "";
};

} // namespace erpmail::transport
