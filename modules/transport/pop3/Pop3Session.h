// A POP3 client session (RFC 1939, 2449 CAPA, 2595 STLS, 5034 SASL).
#pragma once

#include "transport/common/SessionStart.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace erpmail::transport {

/// A POP3 session's settings: port 995 for Tls, 110 for StartTls (STLS
/// required); an oauthToken logs in with AUTH XOAUTH2 (two-step, as Exchange
/// needs). Real mail breaks the 998-character rule: a line up to
/// maxLineBytes (32 MiB here) is read, and such a mail stored raw with a
/// warning, not refused.
struct Pop3Settings : SessionSettings {
    Pop3Settings() : SessionSettings(995, 32 * 1024 * 1024) {}
    std::size_t maxMessageBytes = 256 * 1024 * 1024;
};

/// The server refused the login: the password (or token) is wrong.
class Pop3AuthError : public LoginRefused {
public:
    using LoginRefused::LoginRefused;
};

class Pop3Session {
public:
    /// Connects, reads the greeting, asks CAPA, upgrades with STLS when
    /// required (and asks CAPA again), logs in. Throws ConnectError,
    /// TlsError, ProtocolError or Pop3AuthError. With settings.report, each
    /// phase (connect, greeting, capabilities, starttls, login) is a step there.
    explicit Pop3Session(const Pop3Settings& settings);
    ~Pop3Session();

    /// STAT: the number of messages in the maildrop and their octets.
    std::pair<std::int64_t, std::int64_t> stat();
    /// Message number -> unique id, for every message in the maildrop.
    std::vector<std::pair<int, std::string>> uidl();
    /// Message number -> size in octets, for every message in the maildrop
    /// (empty when the server refuses LIST).
    std::map<int, std::int64_t> list();
    /// The header and the first `lines` lines of the body of a message (a
    /// header beyond 1 MB is cut); empty when the server does not offer TOP.
    std::string top(int number, int lines);
    /// The messages, each exactly as stored on the server (dot-unstuffed,
    /// CRLF line ends), handed to sink in order with its index in numbers.
    /// Pipelined when the server offers PIPELINING: a window of RETRs is
    /// kept in flight.
    void retrieve(const std::vector<int>& numbers, const std::function<void(std::size_t, std::string)>& sink);
    /// Marks messages for deletion; they go when quit() succeeds.
    void markDeleted(const std::vector<int>& numbers);
    /// QUIT: the server deletes what was marked. Before it, nothing is deleted.
    void quit();

    bool pipelining() const { return pipelining_; }
    const std::vector<std::string>& capabilities() const { return capabilities_; }

private:
    std::string expectOk(const std::string& context);
    std::vector<std::string> readCapabilities();
    /// readCapabilities() as a step of the report.
    void reportCapabilities();
    std::vector<std::string> readMultiline(std::size_t maxBytes);
    /// Reads a multi-line message answer: keeps up to `keep` bytes, then
    /// fails (failBeyond) or reads the rest and drops it.
    std::string readMessage(std::size_t expected, std::size_t keep, bool failBeyond);
    void login();

    Pop3Settings settings_;
    StepReport unreported_;
    StepReport* report_;
    std::unique_ptr<LineChannel> channel_;
    std::vector<std::string> capabilities_;
    std::map<int, std::int64_t> sizes_; ///< from the last LIST: what each RETR reserves
    bool pipelining_ = false;
    bool open_ = false;
};

} // namespace erpmail::transport
