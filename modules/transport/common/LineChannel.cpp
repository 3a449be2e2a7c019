#include "transport/common/LineChannel.h"

#include <cstring>

#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SecureStreamSocketImpl.h>
#include <Poco/Net/SocketAddress.h>

#include <openssl/ssl.h>

#include <algorithm>

namespace erpmail::transport {

namespace {

// What a server announces (an IMAP literal's size, a POP3 message's LIST
// size) is believed for 1 MiB before the bytes come, and in full once 1 MiB
// of them has come: "{250000000}" and three bytes reserve no 250 MB (address
// space that a system without overcommit, or a sanitizer's shadow, counts in
// full), while a large message is still copied once, not at every doubling.
constexpr std::size_t kBelievedAhead = 1 << 20;

// Room in `out` for `more` bytes, of `announced` in all; beyond what was
// announced the string grows as strings do.
void makeRoom(std::string& out, std::size_t more, std::size_t announced)
{
    const std::size_t needed = out.size() + more;
    if (needed <= out.capacity()) return;
    const std::size_t believed = needed > kBelievedAhead ? announced : std::min(announced, kBelievedAhead);
    if (believed >= needed) out.reserve(believed);
}

} // namespace

Security parseSecurity(const std::string& text)
{
    if (text == "none") return Security::None;
    if (text == "starttls") return Security::StartTls;
    if (text == "tls" || text == "ssl") return Security::Tls;
    throw std::invalid_argument("security must be none, starttls or tls");
}

const char* securityName(Security security)
{
    switch (security) {
    case Security::None: return "none";
    case Security::StartTls: return "starttls";
    case Security::Tls: return "tls";
    }
    return "?";
}

Poco::Net::StreamSocket openSocket(const std::string& host, unsigned port, Security security, const TlsSettings& tls,
                                   Poco::Timespan timeout, const Connector& connector)
{
    if (connector) {
        Poco::Net::StreamSocket socket = connector();
        socket.setReceiveTimeout(timeout);
        socket.setSendTimeout(timeout);
        if (security == Security::Tls) {
            socket = upgradeSocket(socket, host, port, tls);
            socket.setReceiveTimeout(timeout);
            socket.setSendTimeout(timeout);
        }
        return socket;
    }
    const std::string where = host + ":" + std::to_string(port);
    Poco::Net::SocketAddress address;
    try {
        address = Poco::Net::SocketAddress(host, static_cast<Poco::UInt16>(port));
    } catch (const Poco::Exception& e) {
        throw ConnectError("cannot resolve " + where + ": " + e.displayText());
    }
    Poco::Net::StreamSocket socket;
    try {
        if (security == Security::Tls) {
            clearTlsVerifyResult();
            Poco::Net::SecureStreamSocket secure(makeClientContext(tls, host));
            secure.setPeerHostName(host);
            secure.connect(address, timeout);
            secure.completeHandshake();
            socket = secure;
        } else {
            socket.connect(address, timeout);
        }
    } catch (const Poco::Net::ConnectionRefusedException&) {
        throw ConnectError("connection to " + where + " refused");
    } catch (const Poco::TimeoutException&) {
        throw ConnectError("connection to " + where + " timed out");
    } catch (const Poco::Net::SSLException&) {
        rethrowTlsFailure(host, port);
    } catch (const Poco::Net::NetException& e) {
        throw ConnectError("cannot connect to " + where + ": " + e.displayText());
    } catch (const Poco::Exception& e) {
        if (security == Security::Tls) rethrowTlsFailure(host, port);
        throw ConnectError("cannot connect to " + where + ": " + e.displayText());
    }
    socket.setReceiveTimeout(timeout);
    socket.setSendTimeout(timeout);
    return socket;
}

Poco::Net::StreamSocket upgradeSocket(const Poco::Net::StreamSocket& plain, const std::string& host, unsigned port,
                                      const TlsSettings& tls)
{
    try {
        clearTlsVerifyResult();
        Poco::Net::SecureStreamSocket secure =
            Poco::Net::SecureStreamSocket::attach(plain, host, makeClientContext(tls, host));
        secure.completeHandshake();
        return secure;
    } catch (const Poco::Exception&) {
        rethrowTlsFailure(host, port);
    }
}

std::string describeTls(const Poco::Net::StreamSocket& socket)
{
    auto* impl = dynamic_cast<Poco::Net::SecureStreamSocketImpl*>(socket.impl());
    if (!impl) return {};
    auto session = impl->currentSession();
    SSL_SESSION* ssl = session ? session->sslSession() : nullptr;
    if (!ssl) return "TLS";
    std::string text;
    switch (SSL_SESSION_get_protocol_version(ssl)) {
    case TLS1_3_VERSION: text = "TLSv1.3"; break;
    case TLS1_2_VERSION: text = "TLSv1.2"; break;
    default: text = "TLS"; break;
    }
    if (const SSL_CIPHER* cipher = SSL_SESSION_get0_cipher(ssl)) text += std::string(" ") + SSL_CIPHER_get_name(cipher);
    return text;
}

LineChannel::LineChannel(std::string host, unsigned port, Security security, const TlsSettings& tls,
                         Poco::Timespan timeout, std::size_t maxLine, const Connector& connector)
    : host_(std::move(host)), port_(port), tlsSettings_(tls), timeout_(timeout), maxLine_(maxLine),
      socket_(openSocket(host_, port_, security, tls, timeout, connector)), tls_(security == Security::Tls)
{
}

void LineChannel::upgradeToTls()
{
    if (consumed_ < buffer_.size())
        throw ProtocolError("server " + host_ + ":" + std::to_string(port_) +
                            " sent data after agreeing to STARTTLS; refusing the session (possible injection)");
    buffer_.clear();
    consumed_ = 0;
    socket_ = upgradeSocket(socket_, host_, port_, tlsSettings_);
    tls_ = true;
    socket_.setReceiveTimeout(timeout_);
    socket_.setSendTimeout(timeout_);
}

std::size_t LineChannel::receive(char* out, std::size_t size)
{
    int n = 0;
    try {
        n = socket_.receiveBytes(out, static_cast<int>(std::min<std::size_t>(size, 1 << 20)));
    } catch (const Poco::TimeoutException&) {
        throw ConnectError("no answer from " + host_ + ":" + std::to_string(port_) + " within " +
                           std::to_string(timeout_.totalSeconds()) + " s");
    } catch (const Poco::Net::SSLException& e) {
        // A peer that vanishes without closing TLS properly has closed the connection all the same.
        if (e.displayText().find("unexpected eof") != std::string::npos) return 0;
        throw ConnectError("connection to " + host_ + ":" + std::to_string(port_) + " broke: " + e.displayText());
    } catch (const Poco::Exception& e) {
        throw ConnectError("connection to " + host_ + ":" + std::to_string(port_) + " broke: " + e.displayText());
    }
    return n > 0 ? static_cast<std::size_t>(n) : 0;
}

bool LineChannel::fill()
{
    if (consumed_ > 0 && consumed_ == buffer_.size()) {
        buffer_.clear();
        consumed_ = 0;
    }
    // Received into a scratch buffer and appended: growing the string by a
    // whole chunk would zero it first, four times the bytes a TLS record brings.
    char chunk[65536];
    const std::size_t n = receive(chunk, sizeof chunk);
    buffer_.append(chunk, n);
    return n > 0;
}

void LineChannel::fillMore(const char* what)
{
    if (consumed_ > 0) {
        buffer_.erase(0, consumed_);
        consumed_ = 0;
    }
    if (!fill()) throw ConnectError("connection closed by " + host_ + ":" + std::to_string(port_) + " " + what);
}

bool LineChannel::readDotTerminated(std::string& out, std::size_t keep, bool stopWhenFull, std::size_t announced)
{
    const std::size_t start = out.size();
    const std::size_t expected = start + std::min(announced, keep);
    bool fits = true, lineStart = true, lastWasCr = false;
    std::size_t lineLength = 0; // of the current line, as received
    auto lineTooLong = [&] {
        return ProtocolError("line from " + host_ + " longer than " + std::to_string(maxLine_) + " bytes");
    };
    for (;;) {
        if (consumed_ == buffer_.size()) fillMore("in the middle of a message");
        const char* const data = buffer_.data() + consumed_;
        const std::size_t avail = buffer_.size() - consumed_;
        std::size_t run = 0, pos = 0; // bytes [run, pos) are copied as they are
        if (lineStart && data[0] == '.') {
            if (avail < 3 && !(avail == 2 && data[1] == '\n')) {
                fillMore("in the middle of a message");
                continue;
            }
            if (data[1] == '\n' || (data[1] == '\r' && data[2] == '\n')) { // the end
                consumed_ += data[1] == '\n' ? 2 : 3;
                return fits;
            }
            run = pos = 1; // dot-stuffed: the dot goes
            lineLength = 1;
        }
        lineStart = false;
        while (pos < avail) {
            const auto* nl = static_cast<const char*>(std::memchr(data + pos, '\n', avail - pos));
            if (!nl) {
                lineLength += avail - pos;
                if (lineLength > maxLine_ + 1) throw lineTooLong();
                pos = avail;
                break;
            }
            const auto eol = static_cast<std::size_t>(nl - data);
            const bool cr = eol > 0 ? data[eol - 1] == '\r' : lastWasCr;
            lineLength += eol - pos;
            if (lineLength - (cr ? 1 : 0) > maxLine_) throw lineTooLong();
            if (!cr) { // a bare LF
                if (fits) {
                    makeRoom(out, eol - run + 2, expected);
                    out.append(data + run, eol - run).append("\r\n");
                }
                run = eol + 1;
            }
            pos = eol + 1;
            lineLength = 0;
            if (pos == avail || data[pos] == '.') {
                lineStart = true;
                break;
            }
        }
        if (fits) {
            makeRoom(out, pos - run, expected);
            out.append(data + run, pos - run);
        }
        lastWasCr = data[pos - 1] == '\r';
        consumed_ += pos;
        if (fits && out.size() - start > keep) {
            // Whole lines only: cut after the last line that fits.
            const std::size_t cut = keep == 0 ? std::string::npos : out.rfind('\n', start + keep - 1);
            out.resize(cut == std::string::npos || cut < start ? start : cut + 1);
            fits = false;
            if (stopWhenFull) return false;
        }
    }
}

std::string LineChannel::readLine()
{
    return std::string(readLineView());
}

std::string_view LineChannel::readLineView()
{
    std::size_t scanFrom = consumed_;
    for (;;) {
        std::size_t eol = buffer_.find('\n', scanFrom);
        if (eol != std::string::npos) {
            std::size_t end = eol;
            if (end > consumed_ && buffer_[end - 1] == '\r') --end;
            if (end - consumed_ > maxLine_)
                throw ProtocolError("line from " + host_ + " longer than " + std::to_string(maxLine_) + " bytes");
            std::string_view line(buffer_.data() + consumed_, end - consumed_);
            consumed_ = eol + 1;
            return line;
        }
        if (buffer_.size() - consumed_ > maxLine_)
            throw ProtocolError("line from " + host_ + " longer than " + std::to_string(maxLine_) + " bytes");
        scanFrom = buffer_.size();
        if (consumed_ > 0) {
            buffer_.erase(0, consumed_);
            scanFrom -= consumed_;
            consumed_ = 0;
        }
        if (!fill()) throw ConnectError("connection closed by " + host_ + ":" + std::to_string(port_));
    }
}

bool LineChannel::waitReadable(Poco::Timespan timeout)
{
    if (consumed_ < buffer_.size()) return true;
    try {
        return socket_.available() > 0 || socket_.poll(timeout, Poco::Net::Socket::SELECT_READ | Poco::Net::Socket::SELECT_ERROR);
    } catch (const Poco::Exception& e) {
        throw ConnectError("connection to " + host_ + ":" + std::to_string(port_) + " broke: " + e.displayText());
    }
}

std::string LineChannel::readExactly(std::size_t n)
{
    // The size is the server's word: memory follows the bytes that arrive
    // (see makeRoom()), so that "{250000000}" and nothing after it costs no
    // 250 MB. A large literal is still held once, in the string it is
    // returned in.
    const std::size_t buffered = std::min(n, buffer_.size() - consumed_);
    std::string out;
    makeRoom(out, buffered, n);
    out.append(buffer_, consumed_, buffered);
    consumed_ += buffered;
    char chunk[65536];
    while (out.size() < n) {
        const std::size_t got = receive(chunk, std::min(n - out.size(), sizeof chunk));
        if (got == 0) throw ConnectError("connection closed by " + host_ + " in the middle of a literal");
        makeRoom(out, got, n);
        out.append(chunk, got);
    }
    return out;
}

void LineChannel::write(std::string_view bytes)
{
    try {
        std::size_t sent = 0;
        while (sent < bytes.size()) {
            int n = socket_.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent));
            if (n <= 0) throw ConnectError("connection to " + host_ + " closed while sending");
            sent += static_cast<std::size_t>(n);
        }
    } catch (const Poco::Exception& e) {
        throw ConnectError("sending to " + host_ + ":" + std::to_string(port_) + " failed: " + e.displayText());
    }
}

void LineChannel::writeLine(std::string_view text)
{
    // One command, one line: a CR, LF or NUL from a stored value would end it
    // and start another command of the value's choosing. (The text is not
    // quoted: it may hold a password.)
    if (text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos)
        throw ProtocolError("a command to " + host_ + " would hold a line break or NUL; nothing was sent");
    std::string line(text);
    line += "\r\n";
    write(line);
}

std::string LineChannel::tlsDescription() const
{
    return tls_ ? describeTls(socket_) : std::string();
}

void LineChannel::close() noexcept
{
    try {
        socket_.close();
    } catch (...) {
        // Closing a broken connection has nothing left to report.
    }
}

} // namespace erpmail::transport
