// A mail server on loopback whose every word is one fuzz input: the client
// under test connects as it would to Dovecot or Postfix and reads the input
// through its own socket code, while what it sends is read and dropped.
#pragma once

#include <netinet/in.h>
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
    /// How the server's side ends after the input.
    enum class End {
        Close, ///< FIN, then the server waits for the client to close
        Reset, ///< RST at once: the client reads what came, then a reset connection
    };

    /// Serves data[0, size) to the next connection on port(): all of it,
    /// then ends the server's side as `end` says.
    ScriptServer(const std::uint8_t* data, std::size_t size, End end = End::Close) : data_(data), size_(size), end_(end)
    {
        thread_ = std::thread([this] { serve(); });
    }
    ~ScriptServer() { thread_.join(); }
    ScriptServer(const ScriptServer&) = delete;
    ScriptServer& operator=(const ScriptServer&) = delete;

    /// The loopback port, the same for the whole run.
    static unsigned port() { return listener().port; }

private:
    struct Listener {
        int fd = -1;
        unsigned port = 0;
    };

    static const Listener& listener()
    {
        static const Listener l = [] {
            std::signal(SIGPIPE, SIG_IGN);
            Listener made;
            made.fd = ::socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in address{};
            address.sin_family = AF_INET;
            address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            socklen_t length = sizeof address;
            if (made.fd < 0 || ::bind(made.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
                ::listen(made.fd, 16) != 0 ||
                ::getsockname(made.fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
                std::abort();
            made.port = ntohs(address.sin_port);
            return made;
        }();
        return l;
    }

    void serve()
    {
        pollfd waiting{listener().fd, POLLIN, 0};
        if (::poll(&waiting, 1, 5000) <= 0) return;
        const int fd = ::accept(listener().fd, nullptr, nullptr);
        if (fd < 0) return;
        char sink[65536];
        bool clientOpen = true;
        // Sending and reading at once: a client that writes much (pipelined
        // commands) must not block while the input is still going out.
        for (std::size_t sent = 0; sent < size_ && clientOpen;) {
            pollfd p{fd, POLLIN | POLLOUT, 0};
            if (::poll(&p, 1, 5000) <= 0) break;
            if (p.revents & POLLIN) clientOpen = ::recv(fd, sink, sizeof sink, 0) > 0;
            if (clientOpen && (p.revents & POLLOUT)) {
                const ssize_t n = ::send(fd, data_ + sent, size_ - sent, MSG_NOSIGNAL);
                if (n <= 0) break;
                sent += static_cast<std::size_t>(n);
            }
            if (p.revents & (POLLERR | POLLHUP)) break;
        }
        if (end_ == End::Close) {
            ::shutdown(fd, SHUT_WR);
            for (pollfd p{fd, POLLIN, 0}; clientOpen && ::poll(&p, 1, 5000) > 0;)
                clientOpen = ::recv(fd, sink, sizeof sink, 0) > 0;
        }
        // No TIME_WAIT left behind (a run makes millions of connections); with
        // End::Reset the client is still reading.
        const linger abort{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
        ::close(fd);
    }

    const std::uint8_t* data_;
    std::size_t size_;
    End end_;
    std::thread thread_;
};

} // namespace erpmail::fuzz
