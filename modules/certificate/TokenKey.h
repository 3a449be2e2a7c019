// Keys and certificates on a PKCS#11 token (a smart card, an HSM, softhsm2),
// opened through OpenSSL's pkcs11 engine (libp11). The key never leaves the
// token: the EVP_PKEY signs through it.
#pragma once

#include "certificate/Smime.h"

#include <string>

namespace erpmail::smime {

/// A token that cannot be used, and why, so that a caller names the field.
class TokenError : public SmimeError {
public:
    enum class Kind {
        Unavailable, ///< no pkcs11 engine, no PKCS#11 module
        Pin,         ///< the token refused the PIN, or it is locked
        Object,      ///< no such token or object, or no pkcs11: URI
    };
    TokenError(Kind kind, const std::string& message) : SmimeError(message), kind_(kind) {}
    Kind kind() const { return kind_; }

private:
    Kind kind_;
};

/// softhsm2's PKCS#11 module, used when erpmail.pkcs11.module names none.
constexpr const char* kDefaultTokenModule = "/usr/lib/softhsm/libsofthsm2.so";

/// The PKCS#11 module the engine loads. The engine is bound to one module per
/// process: a path set after the first token was opened takes effect at the
/// next start. Thread-safe.
void setTokenModule(const std::string& modulePath);

/// The private key at a `pkcs11:` URI (RFC 7512), logged in with `pin`.
/// Thread-safe; the engine is initialised once. Throws TokenError saying what
/// failed: the pkcs11 engine is not installed, the module is missing, the
/// PIN is wrong or locked, or there is no such key. The message never holds
/// the PIN.
PrivateKey openTokenKey(const std::string& uri, const std::string& pin);

/// The certificate at a `pkcs11:` URI. Throws TokenError as openTokenKey.
Certificate openTokenCertificate(const std::string& uri, const std::string& pin);

/// The URI without a `type=` attribute, so that it names the certificate and
/// the key stored under the same id or label. Throws TokenError (Object) when it is no
/// `pkcs11:` URI or carries a PIN (`pin-value`, `pin-source`): a PIN is
/// given apart, to be sealed.
std::string tokenObjectUri(const std::string& uri);

} // namespace erpmail::smime
