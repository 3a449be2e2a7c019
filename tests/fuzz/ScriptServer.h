// A mail server whose every word is one fuzz input, at the other end of a
// connected socket pair: the client under test gets its end through its
// settings' Connector (in place of a TCP connect) and reads the input through
// its own socket code (LineChannel, Poco's sockets), while what it sends is
// left unread. No listener, no TCP handshake and, as long as the input fits
// into the pair's buffer (a 1 MiB input does where the system allows a 2 MiB
// send buffer), no thread: the input is written before the client starts,
// then the server's side is shut down for writing, so the client reads the
// input and then the end of the connection, as from a server that closed.
#pragma once

#include "transport/common/LineChannel.h"

#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/StreamSocketImpl.h>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <thread>

namespace erpmail::fuzz {

class ScriptServer {
public:
    /// Serves data[0, size) to the client end: all of it, then the end of
    /// the server's side.
    ScriptServer(const std::uint8_t* data, std::size_t size) : data_(data), size_(size)
    {
        static const bool noSigpipe = [] { return std::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
        (void)noSigpipe;
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
        client_ = fds[0];
        server_ = fds[1];
        // Capped by the system (net.core.wmem_max); what does not fit goes
        // from a thread below.
        const int buffer = 2 << 20;
        ::setsockopt(server_, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
        // The client's commands wait in the pair unread: a few KB per session
        // (the targets send at most 64 pipelined commands and two small
        // messages), far below the default send buffer.
        while (sent_ < size_) {
            const ssize_t n = ::send(server_, data_ + sent_, size_ - sent_, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n <= 0) break;
            sent_ += static_cast<std::size_t>(n);
        }
        if (sent_ == size_)
            ::shutdown(server_, SHUT_WR);
        else
            thread_ = std::thread([this] { serveRest(); });
    }
    ~ScriptServer()
    {
        if (!handedOver_) ::close(client_);
        if (thread_.joinable()) thread_.join();
        ::close(server_);
    }
    ScriptServer(const ScriptServer&) = delete;
    ScriptServer& operator=(const ScriptServer&) = delete;

    /// The client's connection, to be given once (the socket then owns it).
    transport::Connector connector()
    {
        return [this] {
            if (handedOver_) std::abort();
            handedOver_ = true;
            return Poco::Net::StreamSocket(new Poco::Net::StreamSocketImpl(client_));
        };
    }

private:
    // An input larger than the pair holds: the rest is sent as the client
    // reads, while what it sends is read and dropped (a client that writes
    // much must not block while the input is still going out), until the
    // client closes its end.
    void serveRest()
    {
        char sink[65536];
        bool clientOpen = true;
        while (sent_ < size_ && clientOpen) {
            pollfd p{server_, POLLIN | POLLOUT, 0};
            if (::poll(&p, 1, 5000) <= 0) break;
            if (p.revents & POLLIN) clientOpen = ::recv(server_, sink, sizeof sink, 0) > 0;
            if (clientOpen && (p.revents & POLLOUT)) {
                const ssize_t n = ::send(server_, data_ + sent_, size_ - sent_, MSG_NOSIGNAL);
                if (n <= 0) break;
                sent_ += static_cast<std::size_t>(n);
            }
            if (p.revents & (POLLERR | POLLHUP)) break;
        }
        ::shutdown(server_, SHUT_WR);
        for (pollfd p{server_, POLLIN, 0}; clientOpen && ::poll(&p, 1, 5000) > 0;)
            clientOpen = ::recv(server_, sink, sizeof sink, 0) > 0;
    }

    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t sent_ = 0;
    int client_ = -1;
    int server_ = -1;
    bool handedOver_ = false;
    std::thread thread_;
};

} // namespace erpmail::fuzz
