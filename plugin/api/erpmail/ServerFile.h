// Files of the server named in operation parameters (CA files, attachments,
// imports): an admin's tool, read only as regular files within a limit.
#pragma once

#include "erpmail/OperationError.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <system_error>

namespace erpmail {

/// The largest CA or certificate file read (PEM text).
inline constexpr std::size_t kMaxCertificateFileBytes = std::size_t(1) << 20;
/// The largest attachment or message file read.
inline constexpr std::size_t kMaxMailFileBytes = std::size_t(64) << 20;

/// A server file that cannot be used; what() says why, naming the path.
class ServerFileError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Reads the regular file at path, of at most maxBytes. A directory, device
/// (/dev/zero), FIFO or socket, a larger file or a read error throws
/// ServerFileError. Never blocks on a FIFO: it is opened without waiting
/// for a writer and refused.
inline std::string readServerFile(const std::string& path, std::size_t maxBytes)
{
    auto failure = [&](const std::string& why) { return ServerFileError(path + " " + why); };
    auto limit = [&] {
        return maxBytes % (std::size_t(1) << 20) == 0 ? std::to_string(maxBytes >> 20) + " MiB"
                                                      : std::to_string(maxBytes) + " bytes";
    };
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) throw failure("cannot be opened: " + std::error_code(errno, std::generic_category()).message());
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        throw failure("cannot be read: " + std::error_code(errno, std::generic_category()).message());
    if (S_ISDIR(st.st_mode)) throw failure("is a directory, not a file");
    if (!S_ISREG(st.st_mode)) throw failure("is not a regular file (a device, FIFO or socket)");
    if (static_cast<std::size_t>(st.st_size) > maxBytes) throw failure("is larger than " + limit());
    std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t have = 0;
    while (true) {
        if (have == bytes.size()) bytes.resize(have + 4096 > maxBytes + 1 ? maxBytes + 1 : have + 4096);
        if (have == bytes.size()) throw failure("is larger than " + limit()); // it grew while read
        const ssize_t n = ::read(fd, &bytes[have], bytes.size() - have);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw failure("cannot be read: " + std::error_code(errno, std::generic_category()).message());
        if (n == 0) break;
        have += static_cast<std::size_t>(n);
    }
    bytes.resize(have);
    return bytes;
}

/// readServerFile() for the operation parameter `field`. Only admins may
/// name files of the server: anyone else gets forbidden before the path is
/// looked at, so the answer is the same whether or not the file exists. A
/// file that cannot be used is invalid_params. Both name field.
inline std::string readServerFileParam(bool userIsAdmin, const std::string& path, std::size_t maxBytes,
                                       const std::string& field)
{
    if (!userIsAdmin) throw OperationError("forbidden", field + ": only admins may name files of the server", field);
    try {
        return readServerFile(path, maxBytes);
    } catch (const ServerFileError& e) {
        throw invalidParam(field, field + ": " + e.what());
    }
}

} // namespace erpmail
