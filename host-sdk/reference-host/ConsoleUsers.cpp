#include "ConsoleUsers.h"
#include "ConsoleSessions.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace erphost {

namespace {

// scrypt with N = 2^15, r = 8, p = 1: 32 MiB and about 0.1 s per hash
// (RFC 7914's interactive setting, raised once).
constexpr int kLogN = 15;
constexpr unsigned kR = 8, kP = 1;
constexpr std::size_t kSaltBytes = 16, kHashBytes = 32;

std::vector<unsigned char> unhex(const std::string& text)
{
    std::vector<unsigned char> out;
    if (text.size() % 2) return out;
    for (std::size_t i = 0; i < text.size(); i += 2) {
        int byte = 0;
        if (std::sscanf(text.c_str() + i, "%2x", &byte) != 1) return {};
        out.push_back(static_cast<unsigned char>(byte));
    }
    return out;
}

std::vector<unsigned char> scrypt(const std::string& password, const std::vector<unsigned char>& salt, int logN,
                                  unsigned r, unsigned p)
{
    EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "SCRYPT", nullptr);
    if (!kdf) throw std::runtime_error("OpenSSL offers no scrypt");
    EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);
    if (!ctx) throw std::runtime_error("cannot start scrypt");
    uint64_t n = uint64_t(1) << logN;
    uint32_t rr = r, pp = p;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, const_cast<char*>(password.data()), password.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<unsigned char*>(salt.data()), salt.size()),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &rr),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &pp),
        OSSL_PARAM_construct_end()};
    std::vector<unsigned char> out(kHashBytes);
    const int ok = EVP_KDF_derive(ctx, out.data(), out.size(), params);
    EVP_KDF_CTX_free(ctx);
    if (ok != 1) throw std::runtime_error("scrypt failed");
    return out;
}

// The lines of the file but user's own; throws when it is open to others.
std::vector<std::string> otherLines(const std::string& path, const std::string& user, std::string* own)
{
    std::vector<std::string> lines;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return lines;
    if (st.st_mode & 077) {
        std::ostringstream mode;
        mode << std::oct << (st.st_mode & 0777);
        throw std::runtime_error("users file " + path + " is open to other users (mode " + mode.str() +
                                 "); chmod 600 it");
    }
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read users file " + path);
    for (std::string line; std::getline(in, line);) {
        if (line.compare(0, user.size() + 1, user + ":") == 0) {
            if (own) *own = line.substr(user.size() + 1);
        } else if (!line.empty()) {
            lines.push_back(line);
        }
    }
    return lines;
}

bool matches(const std::string& stored, const std::string& password)
{
    // $scrypt$ln=15,r=8,p=1$salt$hash
    int logN = 0;
    unsigned r = 0, p = 0;
    char salt[129] = {0}, hash[129] = {0};
    if (std::sscanf(stored.c_str(), "$scrypt$ln=%d,r=%u,p=%u$%128[0-9a-f]$%128[0-9a-f]", &logN, &r, &p, salt, hash) !=
            5 ||
        logN < 10 || logN > 22 || r < 1 || r > 32 || p < 1 || p > 16)
        return false;
    const auto expected = unhex(hash);
    const auto got = scrypt(password, unhex(salt), logN, r, p);
    return expected.size() == got.size() && CRYPTO_memcmp(expected.data(), got.data(), got.size()) == 0;
}

std::string readPassword(const std::string& prompt)
{
    if (!::isatty(STDIN_FILENO)) {
        std::string line;
        std::getline(std::cin, line);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
    }
    std::cerr << prompt << std::flush;
    termios old{};
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    std::string line;
    std::getline(std::cin, line);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    std::cerr << '\n';
    return line;
}

} // namespace

void PasswordFile::set(const std::string& user, const std::string& password) const
{
    std::vector<unsigned char> salt(kSaltBytes);
    if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) throw std::runtime_error("no random bytes");
    const auto hash = scrypt(password, salt, kLogN, kR, kP);
    std::string content;
    for (const auto& line : otherLines(path_, user, nullptr))
        content += line + "\n";
    content += user + ":$scrypt$ln=" + std::to_string(kLogN) + ",r=" + std::to_string(kR) + ",p=" + std::to_string(kP) +
               "$" + toHex(salt.data(), salt.size()) + "$" + toHex(hash.data(), hash.size()) + "\n";
    const std::string temp = path_ + ".new";
    ::unlink(temp.c_str());
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) throw std::runtime_error("cannot write " + temp);
    const bool written =
        ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!written || ::rename(temp.c_str(), path_.c_str()) != 0) {
        ::unlink(temp.c_str());
        throw std::runtime_error("cannot write users file " + path_);
    }
}

bool PasswordFile::verify(const std::string& user, const std::string& password) const
{
    std::string stored;
    otherLines(path_, user, &stored);
    if (stored.empty() || user.find(':') != std::string::npos) {
        // The same work as a real check, so that timing tells no user names.
        static const std::vector<unsigned char> salt(kSaltBytes, 0);
        scrypt(password, salt, kLogN, kR, kP);
        return false;
    }
    return matches(stored, password);
}

int passwdCommand(const HostConfig& config, const std::string& user)
{
    if (!config.users.count(user)) {
        std::cerr << "erphost: passwd: no [user." << user << "] in " << config.path << "\n";
        return 2;
    }
    const std::string password = readPassword("new password for " + user + ": ");
    if (::isatty(STDIN_FILENO) && readPassword("again: ") != password) {
        std::cerr << "erphost: passwd: the two passwords differ; nothing changed\n";
        return 1;
    }
    if (password.size() < 8) {
        std::cerr << "erphost: passwd: the password must have at least 8 characters; nothing changed\n";
        return 1;
    }
    try {
        PasswordFile(config.console.usersFile).set(user, password);
    } catch (const std::exception& e) {
        std::cerr << "erphost: passwd: " << e.what() << "\n";
        return 3;
    }
    std::cerr << "erphost: password of " << user << " stored in " << config.console.usersFile << "\n";
    return 0;
}

} // namespace erphost
