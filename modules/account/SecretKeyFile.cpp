// The key files of the secret box: read, created without a race, and the
// folder synced after each change.
#include "account/SecretKeyFile.h"

#include "encoding/Hex.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace erpmail::keyfile {

namespace {

std::string keyIdOfBytes(const unsigned char* key)
{
    static const char label[] = "erpmail-secrets-key-id";
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!md || EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) != 1 ||
        EVP_DigestUpdate(md.get(), label, sizeof label) != 1 || EVP_DigestUpdate(md.get(), key, kKeySize) != 1 ||
        EVP_DigestFinal_ex(md.get(), digest, &len) != 1)
        throw SecretError("cannot compute the key id");
    return std::string(reinterpret_cast<const char*>(digest), kKeyIdSize);
}

std::shared_ptr<SecretKey> keyFromBytes(SecretBytes bytes)
{
    auto key = std::make_shared<SecretKey>();
    key->id = keyIdOfBytes(bytes.data());
    key->bytes = std::move(bytes);
    return key;
}

std::string folderOf(const std::string& path)
{
    auto slash = path.rfind('/');
    return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

std::string errnoText()
{
    return std::strerror(errno);
}

std::shared_ptr<SecretKey> readKeyFile(const std::string& path, struct stat* info)
{
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return nullptr;
        throw SecretError("cannot read key file " + path + ": " + errnoText());
    }
    struct stat st {};
    ::fstat(fd, &st);
    if (info) *info = st;
    if ((st.st_mode & 077) != 0) {
        ::close(fd);
        throw SecretError("key file " + path + " is readable by others; it must have mode 0600");
    }
    SecretBytes key(kKeySize + 1);
    ssize_t n = ::read(fd, key.data(), key.size());
    ::close(fd);
    if (n != static_cast<ssize_t>(kKeySize)) throw SecretError("key file " + path + " does not hold a 32-byte key");
    key.shrink(kKeySize);
    return keyFromBytes(std::move(key));
}

void syncFolder(const std::string& path)
{
    int fd = ::open(folderOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

void createKeyFile(const std::string& path)
{
    unsigned char suffix[8];
    if (RAND_bytes(suffix, sizeof suffix) != 1) throw SecretError("no randomness for a new key");
    const std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." +
                            encoding::hexOf(suffix, sizeof suffix);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) throw SecretError("cannot create key file " + path + ": " + errnoText());
    SecretBytes key(kKeySize);
    bool ok = RAND_bytes(key.data(), static_cast<int>(key.size())) == 1 &&
              ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
    const std::string writeError = errnoText();
    ::close(fd);
    if (!ok) {
        ::unlink(tmp.c_str());
        throw SecretError("cannot write key file " + path + ": " + writeError);
    }
    const int linked = ::link(tmp.c_str(), path.c_str());
    const int linkErrno = errno;
    ::unlink(tmp.c_str());
    if (linked != 0 && linkErrno != EEXIST)
        throw SecretError("cannot create key file " + path + ": " + std::strerror(linkErrno));
    syncFolder(path);
}

} // namespace erpmail::keyfile
