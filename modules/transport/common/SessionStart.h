// What an IMAP and a POP3 client session share up to their login: the
// settings of the connection and the login, and the reported steps of
// connecting, reading capabilities and upgrading to TLS.
#pragma once

#include "erpmail/StepReport.h"
#include "transport/common/LineChannel.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace erpmail::transport {

/// Where a mail session connects and how it logs in; each protocol's
/// settings add its own defaults and limits.
struct SessionSettings {
    SessionSettings() = default;
    SessionSettings(unsigned defaultPort, std::size_t lineLimit) : port(defaultPort), maxLineBytes(lineLimit) {}

    std::string host;
    unsigned port = 0;
    Security security = Security::Tls; ///< Tls (from the first byte) or StartTls (required)
    TlsSettings tls;
    std::string user;
    std::string password;
    std::string oauthToken; ///< when set: XOAUTH2 instead of the password
    int timeoutSeconds = 60;
    std::size_t maxLineBytes = 64 * 1024;
    bool authenticate = true;     ///< false: the session stops before the login (a probe without credentials)
    StepReport* report = nullptr; ///< when set, each phase is reported there as it runs
    Connector connector;          ///< when set, the connection instead of TCP to host:port (see openSocket())
};

/// The server refused the login: the password or token is wrong (each
/// protocol throws its own subclass).
class LoginRefused : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Connects as the report's first step ("connect+tls" for Security::Tls,
/// else "connect"), notes the address and the TLS there, and begins the
/// "greeting" step. Throws ConnectError or TlsError.
std::unique_ptr<LineChannel> openSessionChannel(const SessionSettings& settings, StepReport& report);

/// Keeps the capabilities a server offered (as sent) in the report and
/// notes them in its open step.
void noteCapabilities(StepReport& report, std::vector<std::string> offered);

/// Switches the channel to TLS after the server agreed to STARTTLS or STLS
/// (`agreed`: its words), noted in the report's open step. Throws
/// ProtocolError or TlsError (see LineChannel::upgradeToTls()).
void upgradeSessionChannel(LineChannel& channel, StepReport& report, const std::string& agreed);

/// Throws ProtocolError unless the channel is TLS: a password or token is
/// never sent in plain text.
void requireTlsForLogin(const LineChannel& channel);

} // namespace erpmail::transport
