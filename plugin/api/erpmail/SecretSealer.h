// Sealing a secret under the plugin's secret key, bound to what it is for.
#pragma once

#include <string>

namespace erpmail {

/// What a certificate's private key is sealed for: that certificate only.
inline std::string certificateKeyBinding(const std::string& fingerprint)
{
    return "certificate:" + fingerprint;
}

/// What the PIN of the token holding a certificate's key is sealed for: that
/// certificate's token PIN only, never its key.
inline std::string certificatePinBinding(const std::string& fingerprint)
{
    return certificateKeyBinding(fingerprint) + "/pin";
}

class SecretSealer {
public:
    virtual ~SecretSealer() = default;
    /// Seals `secret`; it opens only with the same `boundTo`. Throws when
    /// the secret key is unavailable.
    virtual std::string sealSecret(const std::string& secret, const std::string& boundTo) = 0;
    /// Opens what sealSecret() made for `boundTo`. Throws when the key is
    /// unavailable or the value was sealed for something else.
    virtual std::string openSecret(const std::string& sealed, const std::string& boundTo) = 0;
};

} // namespace erpmail
