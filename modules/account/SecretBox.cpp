// The secret box: values sealed with AES-256-GCM under the current key, opened
// with whichever key of the ring they name, and the rotation of the key file.
#include "account/SecretBox.h"

#include "account/SecretKeyFile.h"
#include "encoding/Hex.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace erpmail {

namespace {

using keyfile::createKeyFile;
using keyfile::errnoText;
using keyfile::kKeyIdSize;
using keyfile::readKeyFile;
using keyfile::syncFolder;

constexpr std::size_t kNonceSize = 12, kTagSize = 16;
constexpr char kVersion1 = 1, kVersion2 = 2;
constexpr std::size_t kHeader1 = 1 + kNonceSize + kTagSize;
constexpr std::size_t kHeader2 = 1 + kKeyIdSize + kNonceSize + kTagSize;

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

/// AES-256-GCM over `size` bytes of `in` into `out` (as many), with `ad`
/// authenticated too: sealing writes the tag, opening checks it and fails
/// when it does not match.
bool aead(bool seal, const SecretKey& key, const unsigned char* nonce, const std::string& ad, const unsigned char* in,
          std::size_t size, unsigned char* out, unsigned char* tag)
{
    CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    const int enc = seal ? 1 : 0;
    int len = 0, last = 0;
    if (!ctx || EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, enc) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) != 1 ||
        EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.bytes.data(), nonce, enc) != 1 ||
        EVP_CipherUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(ad.data()),
                         static_cast<int>(ad.size())) != 1 ||
        EVP_CipherUpdate(ctx.get(), out, &len, in, static_cast<int>(size)) != 1)
        return false;
    if (!seal && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag) != 1) return false;
    if (EVP_CipherFinal_ex(ctx.get(), out + len, &last) != 1) return false;
    return !seal || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, tag) == 1;
}

/// The plaintext, or false when the tag does not match.
bool aeadOpen(const SecretKey& key, const unsigned char* nonce, const std::string& ad, const unsigned char* tag,
              const unsigned char* cipher, std::size_t cipherLen, SecretBytes& plain)
{
    plain = SecretBytes(cipherLen);
    return aead(false, key, nonce, ad, cipher, cipherLen, plain.data(), const_cast<unsigned char*>(tag));
}

} // namespace

std::string SecretKey::idHex() const
{
    return encoding::hexOf(id);
}

SecretBox::SecretBox(std::string keyPath, bool mayCreate) : keyPath_(std::move(keyPath))
{
    if (mayCreate) createKeyIfMissing();
    std::lock_guard<std::mutex> lock(mutex_);
    reload();
}

std::string SecretBox::defaultKeyPath(const std::string& dataFolder)
{
    return dataFolder + "/erpmail-secrets.key";
}

void SecretBox::reload() const
{
    current_.reset();
    ring_.clear();
    loadError_.clear();
    inode_ = 0;
    mtimeNs_ = 0;
    try {
        struct stat st {};
        if (auto key = readKeyFile(keyPath_, &st)) {
            current_ = key;
            ring_.push_back(key);
            inode_ = st.st_ino;
            mtimeNs_ = st.st_mtim.tv_sec * 1000000000L + st.st_mtim.tv_nsec;
        } else {
            loadError_ = "the key file " + keyPath_ + " is missing";
        }
    } catch (const SecretError& e) {
        loadError_ = e.what();
    }
    for (const char* suffix : {".next", ".old"}) {
        try {
            if (auto key = readKeyFile(keyPath_ + suffix)) ring_.push_back(key);
        } catch (const SecretError&) {
            // A half-finished rotation's file that cannot be read adds no key.
        }
    }
}

void SecretBox::reloadIfChanged() const
{
    struct stat st {};
    const bool exists = ::stat(keyPath_.c_str(), &st) == 0;
    const long mtime = exists ? st.st_mtim.tv_sec * 1000000000L + st.st_mtim.tv_nsec : 0;
    if (!current_ || !exists || st.st_ino != inode_ || mtime != mtimeNs_) reload();
}

std::shared_ptr<const SecretKey> SecretBox::current() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    reloadIfChanged();
    if (!current_) throw SecretKeyUnavailable(loadError_);
    return current_;
}

std::shared_ptr<const SecretKey> SecretBox::keyWithId(const std::string& id) const
{
    std::lock_guard<std::mutex> lock(mutex_);
    reloadIfChanged(); // the files are the truth: a key replaced or rotated elsewhere counts at once
    for (int attempt = 0; attempt < 2; ++attempt) {
        for (const auto& key : ring_)
            if (key->id == id) return key;
        if (attempt == 0) reload(); // restored, or rotated by another process
    }
    return nullptr;
}

bool SecretBox::hasKey() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    reloadIfChanged();
    return current_ != nullptr;
}

std::string SecretBox::problem() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    reloadIfChanged();
    return current_ ? std::string() : loadError_;
}

std::string SecretBox::keyIdHex() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    reloadIfChanged();
    return current_ ? current_->idHex() : std::string();
}

void SecretBox::createKeyIfMissing()
{
    createKeyFile(keyPath_);
    std::lock_guard<std::mutex> lock(mutex_);
    reload();
}

std::string SecretBox::seal(const std::string& plaintext, const std::string& associatedData) const
{
    return sealWith(*current(), plaintext, associatedData);
}

std::string SecretBox::sealWith(const SecretKey& key, const std::string& plaintext,
                                const std::string& associatedData) const
{
    std::string out(kHeader2 + plaintext.size(), '\0');
    out[0] = kVersion2;
    std::memcpy(&out[1], key.id.data(), kKeyIdSize);
    auto* nonce = reinterpret_cast<unsigned char*>(&out[1 + kKeyIdSize]);
    auto* tag = nonce + kNonceSize;
    auto* cipher = tag + kTagSize;
    if (RAND_bytes(nonce, kNonceSize) != 1) throw SecretError("no randomness for a nonce");
    if (!aead(true, key, nonce, associatedData, reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
              cipher, tag))
        throw SecretError("encryption failed");
    return out;
}

std::string SecretBox::keyIdOf(const std::string& sealed)
{
    if (sealed.size() < kHeader2 || sealed[0] != kVersion2) return "";
    return encoding::hexOf(std::string_view(sealed).substr(1, kKeyIdSize));
}

std::string SecretBox::open(const std::string& sealed, const std::string& associatedData,
                            const std::string& legacyAssociatedData) const
{
    SecretBytes plain;
    if (sealed.size() >= kHeader2 && sealed[0] == kVersion2) {
        const std::string id = sealed.substr(1, kKeyIdSize);
        auto key = keyWithId(id);
        if (!key) {
            std::lock_guard<std::mutex> lock(mutex_);
            throw SecretKeyUnavailable(
                "a stored secret was sealed under key " + encoding::hexOf(id) + ", and " +
                (current_ ? "the key file " + keyPath_ + " holds key " + current_->idHex() : loadError_));
        }
        const auto* nonce = reinterpret_cast<const unsigned char*>(&sealed[1 + kKeyIdSize]);
        if (!aeadOpen(*key, nonce, associatedData, nonce + kNonceSize, nonce + kNonceSize + kTagSize,
                      sealed.size() - kHeader2, plain))
            throw SecretError("a stored secret does not open with key " + key->idHex() + " of " + keyPath_ +
                              ": it was altered, or the settings it is bound to were changed");
        return plain.str();
    }
    if (sealed.size() < kHeader1 || sealed[0] != kVersion1) throw SecretError("sealed secret has an unknown format");
    std::vector<std::shared_ptr<const SecretKey>> keys;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        reloadIfChanged();
        keys = ring_;
        if (keys.empty()) throw SecretKeyUnavailable("a stored secret cannot be opened: " + loadError_);
    }
    const auto* nonce = reinterpret_cast<const unsigned char*>(&sealed[1]);
    for (const auto& key : keys)
        if (aeadOpen(*key, nonce, legacyAssociatedData, nonce + kNonceSize, nonce + kNonceSize + kTagSize,
                     sealed.size() - kHeader1, plain))
            return plain.str();
    throw SecretKeyUnavailable("a stored secret does not open with the key in " + keyPath_ +
                               ": the key file was replaced, or the value altered");
}

std::shared_ptr<const SecretKey> SecretBox::beginRotation()
{
    const std::string next = keyPath_ + ".next";
    current();           // no rotation without the key that opens what is stored
    createKeyFile(next); // keeps the .next of a rotation that did not finish
    auto key = readKeyFile(next);
    if (!key) throw SecretError("cannot read the new key " + next);
    std::lock_guard<std::mutex> lock(mutex_);
    reload();
    return key;
}

void SecretBox::promoteNextKey()
{
    const std::string next = keyPath_ + ".next", old = keyPath_ + ".old";
    // An .old left by a rotation that stopped after its promotion holds a
    // key nothing is sealed under any more: every value is under .next now.
    if (::unlink(old.c_str()) != 0 && errno != ENOENT) throw SecretError("cannot remove " + old + ": " + errnoText());
    if (::link(keyPath_.c_str(), old.c_str()) != 0)
        throw SecretError("cannot keep the old key as " + old + ": " + errnoText());
    syncFolder(keyPath_);
    if (::rename(next.c_str(), keyPath_.c_str()) != 0)
        throw SecretError("cannot put the new key in place of " + keyPath_ + ": " + errnoText());
    syncFolder(keyPath_);
    std::lock_guard<std::mutex> lock(mutex_);
    reload();
}

void SecretBox::retireOldKey()
{
    const std::string old = keyPath_ + ".old";
    if (::unlink(old.c_str()) != 0 && errno != ENOENT) throw SecretError("cannot remove " + old + ": " + errnoText());
    syncFolder(keyPath_);
    std::lock_guard<std::mutex> lock(mutex_);
    reload();
}

std::shared_ptr<void> SecretBox::lockRotation() const
{
    const std::string path = keyPath_ + ".lock";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) throw SecretError("cannot open " + path + ": " + errnoText());
    if (::flock(fd, LOCK_EX) != 0) {
        ::close(fd);
        throw SecretError("cannot lock " + path + ": " + errnoText());
    }
    return std::shared_ptr<void>(nullptr, [fd](void*) { ::close(fd); });
}

} // namespace erpmail
