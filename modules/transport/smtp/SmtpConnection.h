// One SMTP connection on Poco's SecureSMTPClientSession: TLS, EHLO,
// authentication, and any number of messages (RSET between them).
#pragma once

#include "transport/common/LineChannel.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace erpmail::transport {

struct SmtpSettings {
    std::string host;
    unsigned port = 587;
    Security security = Security::StartTls;
    TlsSettings tls;
    bool authenticate = true;
    std::string user;
    std::string password;    ///< used with PLAIN, LOGIN or CRAM-MD5
    std::string oauthToken;  ///< when set, XOAUTH2 (or OAUTHBEARER) instead of a password
    std::function<void()> tokenRefused; ///< optional: called when the server refuses oauthToken
    std::string heloName = "erpmail.localdomain";
    int timeoutSeconds = 60;
};

/// How a delivery attempt ended. Temporary ones are retried; permanent ones
/// are not, and keep the server's words.
struct SmtpOutcome {
    enum class Kind { Sent, Temporary, Permanent };
    Kind kind = Kind::Temporary;
    int code = 0;       ///< the server's reply code, 0 when there was none
    std::string answer; ///< the server's reply, or why nothing was sent
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

class SmtpConnection {
public:
    /// Connects, verifies TLS (STARTTLS must succeed when required; without
    /// TLS no credentials are ever sent), asks EHLO again after TLS, and
    /// authenticates with the best mechanism the server offers. Throws
    /// SmtpSetupError.
    explicit SmtpConnection(const SmtpSettings& settings);
    ~SmtpConnection();
    SmtpConnection(const SmtpConnection&) = delete;
    SmtpConnection& operator=(const SmtpConnection&) = delete;

    /// Sends one message (CRLF text; dot-stuffed here). Sent only on the
    /// final 250. A broken connection makes usable() false.
    SmtpOutcome send(const std::string& envelopeFrom, const std::vector<std::string>& recipients,
                     const std::string& raw);

    bool usable() const { return usable_; }
    const std::vector<std::string>& capabilities() const { return capabilities_; }
    std::string tlsDescription() const;
    std::string authMechanism() const { return mechanism_; }
    void quit() noexcept;

private:
    class Session;
    std::unique_ptr<Session> session_;
    SmtpSettings settings_;
    std::vector<std::string> capabilities_;
    std::string mechanism_;
    bool usable_ = false;
    bool needsReset_ = false;
};

} // namespace erpmail::transport
