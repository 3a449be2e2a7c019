// A line-oriented client connection (SMTP, POP3, IMAP) with bounded reads
// and an in-place upgrade to TLS.
#pragma once

#include "transport/common/Tls.h"

#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace erpmail::transport {

/// The server could not be reached or the connection broke.
class ConnectError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The server said something the protocol does not allow, or too much of it.
class ProtocolError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

enum class Security {
    None,     ///< plain text; only when configured explicitly
    StartTls, ///< plain connect, then STARTTLS/STLS is required
    Tls       ///< TLS from the first byte (465, 993, 995)
};

/// Makes the plain connection in place of a TCP connect to host:port: for
/// a test or a fuzz target, its end of a socket pair. TLS, when configured,
/// is then started on that connection as on a TCP one.
using Connector = std::function<Poco::Net::StreamSocket()>;

/// Connects to host:port (through `connector` when one is given); for
/// Security::Tls also completes a verified TLS handshake. Throws
/// ConnectError (refused, timeout, unreachable) or TlsError (which check
/// failed).
Poco::Net::StreamSocket openSocket(const std::string& host, unsigned port, Security security, const TlsSettings& tls,
                                   Poco::Timespan timeout, const Connector& connector = {});

/// Puts a verified TLS session on an open connection (after STARTTLS).
/// Throws TlsError.
Poco::Net::StreamSocket upgradeSocket(const Poco::Net::StreamSocket& plain, const std::string& host, unsigned port,
                                      const TlsSettings& tls);

/// "TLSv1.3 TLS_AES_256_GCM_SHA384" for a TLS socket, empty for a plain one.
std::string describeTls(const Poco::Net::StreamSocket& socket);

/// Parses "none", "starttls", "tls"; throws std::invalid_argument otherwise.
Security parseSecurity(const std::string& text);
const char* securityName(Security security);

class LineChannel {
public:
    /// Connects (through `connector` when one is given, see openSocket()),
    /// and for Security::Tls completes the handshake. Throws ConnectError or
    /// TlsError.
    LineChannel(std::string host, unsigned port, Security security, const TlsSettings& tls,
                Poco::Timespan timeout = Poco::Timespan(30, 0), std::size_t maxLine = 64 * 1024,
                const Connector& connector = {});

    /// Switches the open connection to TLS after the server agreed to
    /// STARTTLS. Throws ProtocolError when the server already sent more
    /// bytes (they could only be an injection: RFC 3207 section 4.2 and
    /// CVE-2011-0411), TlsError when the handshake fails.
    void upgradeToTls();

    /// One line without its CRLF. Throws ProtocolError for a line over the
    /// limit, ConnectError when the connection ends.
    std::string readLine();
    /// The same, as a view into the channel's buffer: valid until the next read.
    std::string_view readLineView();
    /// True when a read would find data within `timeout` (buffered here, in
    /// TLS, or on the socket); for waiting in slices (IMAP IDLE).
    bool waitReadable(Poco::Timespan timeout);
    /// A dot-terminated block (POP3's multi-line answers, RFC 1939 section
    /// 3) up to and including its "." line, appended to `out`: each line
    /// with CRLF (a bare LF becomes CRLF), a leading dot removed. Runs of
    /// ordinary lines are copied at once. At most `keep` bytes are appended,
    /// whole lines only; when more come, it returns false: at once with
    /// `stopWhenFull` (the rest is left unread, so the caller must drop the
    /// connection), else after reading and dropping the rest. `announced`:
    /// the size the server gave for the block (POP3 LIST), which memory is
    /// reserved for once 1 MiB of it has come.
    bool readDotTerminated(std::string& out, std::size_t keep, bool stopWhenFull, std::size_t announced = 0);
    /// Exactly n bytes (an IMAP literal), bounded by the caller.
    std::string readExactly(std::size_t n);
    /// Sends text followed by CRLF. Throws ProtocolError, sending nothing,
    /// when text holds CR, LF or NUL.
    void writeLine(std::string_view text);
    void write(std::string_view bytes);

    bool tls() const { return tls_; }
    /// "TLSv1.3 TLS_AES_256_GCM_SHA384" once TLS is up, else empty.
    std::string tlsDescription() const;
    const std::string& host() const { return host_; }
    unsigned port() const { return port_; }
    void close() noexcept;

private:
    bool fill();
    /// Keeps the unread bytes and receives more; throws when the peer closed.
    void fillMore(const char* what);
    /// Receives up to size bytes into out; 0 when the peer closed.
    std::size_t receive(char* out, std::size_t size);

    std::string host_;
    unsigned port_;
    TlsSettings tlsSettings_;
    Poco::Timespan timeout_;
    std::size_t maxLine_;
    Poco::Net::StreamSocket socket_;
    std::string buffer_;
    std::size_t consumed_ = 0;
    bool tls_ = false;
};

} // namespace erpmail::transport
