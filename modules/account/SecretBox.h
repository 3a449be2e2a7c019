// Secrets at rest: AES-256-GCM under a key file that is never silently
// replaced, with the keys kept out of core dumps.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace erpmail {

class SecretError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The key that opens a value is missing or is not the one in the key file;
/// the message names the key file.
class SecretKeyUnavailable : public SecretError {
public:
    using SecretError::SecretError;
};

/// Bytes on OpenSSL's secure heap (locked pages, excluded from core dumps
/// where the system allows it), wiped when freed.
class SecretBytes {
public:
    SecretBytes() = default;
    explicit SecretBytes(std::size_t size);
    SecretBytes(const SecretBytes&) = delete;
    SecretBytes& operator=(const SecretBytes&) = delete;
    SecretBytes(SecretBytes&& other) noexcept;
    SecretBytes& operator=(SecretBytes&& other) noexcept;
    ~SecretBytes();

    unsigned char* data() { return data_; }
    const unsigned char* data() const { return data_; }
    std::size_t size() const { return size_; }
    /// Shortens to `size` (the rest is wiped).
    void shrink(std::size_t size);
    std::string str() const { return std::string(reinterpret_cast<const char*>(data_), size_); }

private:
    unsigned char* data_ = nullptr;
    std::size_t size_ = 0;
};

/// Wipes a string's bytes (all of its capacity) before it is freed.
void wipe(std::string& s);

/// One 32-byte key and its id (the first 8 bytes of a SHA-256 over it,
/// which names the key without revealing it).
struct SecretKey {
    SecretBytes bytes;
    std::string id; ///< 8 bytes
    std::string idHex() const;
};

/// Seals and opens small secrets (passwords, tokens).
///
/// The 32-byte key lives in a file (mode 0600), by default
/// <data folder>/erpmail-secrets.key. It is created only when the caller
/// says no sealed value exists yet, with an exclusive create: a second
/// process that starts at the same time reads the first one's key, and no
/// reader ever sees a half-written file. A missing or replaced key is never
/// regenerated: seal() and open() then throw SecretKeyUnavailable naming
/// the file, and the file is read again on the next use, so a restored key
/// is picked up without a restart.
///
/// A sealed value (format 2) is: version byte 2, 8-byte key id, 12-byte
/// nonce, 16-byte tag, ciphertext. Format 1 values (version byte, nonce,
/// tag, ciphertext, without key id) still open. The associated data binds
/// a value to what it was given for.
///
/// Rotation keeps a key ring on disk: <key file>.next holds the new key
/// while values are resealed, <key file>.old the previous one while the
/// new key takes its place. Both are read with the key file, so a value
/// opens at every step, also after a crash.
class SecretBox {
public:
    /// Reads the key ring at keyPath. When the key file is missing and
    /// mayCreate, creates it. A key file that is missing, unreadable, of the
    /// wrong size or readable by others leaves the box without a key
    /// (problem() says why); throws SecretError only when creating fails.
    SecretBox(std::string keyPath, bool mayCreate);

    /// The key file a host uses when erpmail.secrets.key_file is not set.
    static std::string defaultKeyPath(const std::string& dataFolder);

    /// Seals under the current key. Throws SecretKeyUnavailable without one.
    std::string seal(const std::string& plaintext, const std::string& associatedData) const;
    /// Opens a value of either format (`legacyAssociatedData` for format 1).
    /// Throws SecretKeyUnavailable when no key of the ring has the value's
    /// key id, SecretError when the value was altered or is bound to other
    /// associated data.
    std::string open(const std::string& sealed, const std::string& associatedData,
                     const std::string& legacyAssociatedData) const;
    /// The key id a sealed value names (hex), empty for format 1.
    static std::string keyIdOf(const std::string& sealed);

    /// Creates the key file when it is missing (exclusively; see above).
    void createKeyIfMissing();
    /// Whether the current key was loaded.
    bool hasKey() const;
    /// Why there is no current key (naming the key file), empty with one.
    std::string problem() const;
    /// The current key's id in hex, empty without a key.
    std::string keyIdHex() const;
    const std::string& keyPath() const { return keyPath_; }

    /// Rotation, step 1: the new key, written to <key file>.next (or the one
    /// a rotation that did not finish left there). Throws SecretError.
    std::shared_ptr<const SecretKey> beginRotation();
    /// Seals under `key` (a key from beginRotation()).
    std::string sealWith(const SecretKey& key, const std::string& plaintext, const std::string& associatedData) const;
    /// Rotation, once every value is resealed under the new key and
    /// committed: the key file is kept as <key file>.old, and .next takes
    /// its place (one rename). Throws SecretError.
    void promoteNextKey();
    /// Rotation, last step: removes <key file>.old.
    void retireOldKey();
    /// Held for a whole rotation: a second one, in this process or in
    /// another host sharing the key file, waits for it.
    std::shared_ptr<void> lockRotation() const;

private:
    void reload() const;
    void reloadIfChanged() const;
    std::shared_ptr<const SecretKey> current() const;
    std::shared_ptr<const SecretKey> keyWithId(const std::string& id) const;

    std::string keyPath_;
    mutable std::mutex mutex_;
    mutable std::shared_ptr<const SecretKey> current_;
    mutable std::vector<std::shared_ptr<const SecretKey>> ring_;
    mutable std::string loadError_;
    mutable ino_t inode_ = 0;
    mutable long mtimeNs_ = 0;
};

} // namespace erpmail
