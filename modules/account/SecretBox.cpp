#include "account/SecretBox.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace erpmail {

namespace {

constexpr std::size_t kKeySize = 32, kNonceSize = 12, kTagSize = 16;
constexpr char kVersion = 1;

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

std::string readKey(const std::string& path)
{
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw SecretError("cannot read key file " + path + ": " + std::strerror(errno));
    struct stat st {};
    ::fstat(fd, &st);
    if ((st.st_mode & 077) != 0) {
        ::close(fd);
        throw SecretError("key file " + path + " is readable by others; it must have mode 0600");
    }
    std::string key(kKeySize + 1, '\0');
    ssize_t n = ::read(fd, key.data(), key.size());
    ::close(fd);
    if (n != static_cast<ssize_t>(kKeySize)) throw SecretError("key file " + path + " does not hold a 32-byte key");
    key.resize(kKeySize);
    return key;
}

} // namespace

SecretBox::SecretBox(const std::string& dataFolder) : keyPath_(dataFolder + "/erpmail-secrets.key")
{
    int fd = ::open(keyPath_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        std::string key(kKeySize, '\0');
        if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1) {
            ::close(fd);
            ::unlink(keyPath_.c_str());
            throw SecretError("no randomness for a new key");
        }
        bool ok = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
        ::close(fd);
        if (!ok) {
            ::unlink(keyPath_.c_str());
            throw SecretError("cannot write key file " + keyPath_ + ": " + std::strerror(errno));
        }
    } else if (errno != EEXIST) {
        throw SecretError("cannot create key file " + keyPath_ + ": " + std::strerror(errno));
    }
    key_ = readKey(keyPath_);
}

std::string SecretBox::seal(const std::string& plaintext, const std::string& associatedData) const
{
    std::string out(1 + kNonceSize + kTagSize + plaintext.size(), '\0');
    out[0] = kVersion;
    auto* nonce = reinterpret_cast<unsigned char*>(&out[1]);
    auto* tag = nonce + kNonceSize;
    auto* cipher = tag + kTagSize;
    if (RAND_bytes(nonce, kNonceSize) != 1) throw SecretError("no randomness for a nonce");
    CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    int len = 0;
    bool ok = ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) == 1 &&
              EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, reinterpret_cast<const unsigned char*>(key_.data()),
                                 nonce) == 1 &&
              EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(associatedData.data()),
                                static_cast<int>(associatedData.size())) == 1 &&
              EVP_EncryptUpdate(ctx.get(), cipher, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                                static_cast<int>(plaintext.size())) == 1 &&
              EVP_EncryptFinal_ex(ctx.get(), cipher + len, &len) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, tag) == 1;
    if (!ok) throw SecretError("encryption failed");
    return out;
}

std::string SecretBox::open(const std::string& sealed, const std::string& associatedData) const
{
    if (sealed.size() < 1 + kNonceSize + kTagSize || sealed[0] != kVersion)
        throw SecretError("sealed secret has an unknown format");
    const auto* nonce = reinterpret_cast<const unsigned char*>(&sealed[1]);
    const auto* tag = nonce + kNonceSize;
    const auto* cipher = tag + kTagSize;
    const int cipherLen = static_cast<int>(sealed.size() - 1 - kNonceSize - kTagSize);
    std::string plain(static_cast<std::size_t>(cipherLen), '\0');
    CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    int len = 0;
    bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) == 1 &&
              EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, reinterpret_cast<const unsigned char*>(key_.data()),
                                 nonce) == 1 &&
              EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(associatedData.data()),
                                static_cast<int>(associatedData.size())) == 1 &&
              EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, cipher, cipherLen) ==
                  1 &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, const_cast<unsigned char*>(tag)) == 1 &&
              EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &len) == 1;
    if (!ok) throw SecretError("sealed secret does not open: altered, or sealed with another key or for another account");
    return plain;
}

} // namespace erpmail
