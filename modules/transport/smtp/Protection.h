// What mail.send asks of S/MIME and what the sending account holds for it:
// sign and/or encrypt, the signing key, the sender's own certificate.
#pragma once

#include "certificate/SigningKeys.h"
#include "transport/smtp/Compose.h"
#include "transport/smtp/Secure.h"

#include <optional>

namespace erpmail {

/// How the mails of one request are protected, with the keys opened once.
struct Protection {
    bool sign = false;
    bool encrypt = false;
    bool accountAsksGcm = false;
    std::optional<SigningKey> signing; ///< set when signing
    smime::Certificate ownCertificate; ///< the account's encryption certificate, set when encrypting
    smime::Signer signer;              ///< the view of `signing`

    /// Whether the composition must be relay-safe: a signed mail.
    bool relaySafe() const { return sign; }
};

/// Reads mail.send's "sign" and "encrypt" (by default the account's
/// always_sign and always_encrypt), opens the signing key and reads the
/// account's encryption certificate. Throws OperationError naming "sign"
/// or "encrypt" when the account has no certificate for it, or
/// unavailable when the signing key does not open: nothing is queued.
Protection protectionFor(const SendPath& path, const Request& request, const store::AccountRecord& account);

/// Secures a composed mail as `protection` says: signed with the account's
/// key; encrypted to every recipient's certificate and the sender's own,
/// with AES-256-GCM when the account asks for it or every recipient is
/// known to read it, else AES-256-CBC. Throws what recipientCertificates()
/// and secure() throw.
SecuredMessage protect(const SendPath& path, const Request& request, const store::AccountRecord& account,
                       const Protection& protection, ComposedMail& composed);

} // namespace erpmail
