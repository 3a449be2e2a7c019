// Secrets at rest: AES-256-GCM with a key file in the host's data folder.
#pragma once

#include <stdexcept>
#include <string>

namespace erpmail {

class SecretError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Seals and opens small secrets (passwords, tokens). The 32-byte key lives in
/// <data folder>/erpmail-secrets.key, created with mode 0600 on first use and
/// never rewritten. A sealed value is: version byte, 12-byte nonce, 16-byte
/// tag, ciphertext. The associated data (an account id) binds a sealed value
/// to its owner: moved to another account it does not open.
class SecretBox {
public:
    /// Loads the key, creating it if the file does not exist. Throws
    /// SecretError when the file is unreadable, has the wrong size or is
    /// readable by others.
    explicit SecretBox(const std::string& dataFolder);

    std::string seal(const std::string& plaintext, const std::string& associatedData) const;
    /// Throws SecretError when the value was altered, or sealed with another
    /// key or for other associated data.
    std::string open(const std::string& sealed, const std::string& associatedData) const;

    const std::string& keyPath() const { return keyPath_; }

private:
    std::string keyPath_;
    std::string key_;
};

} // namespace erpmail
