// The send path's second stage: the composed MIME entity as it goes on the
// wire, and as the sender's Sent copy keeps it.
#pragma once

#include "certificate/Smime.h"

#include <optional>
#include <string>
#include <vector>

namespace erpmail {

/// How a mail is protected. The handles belong to the caller and live
/// through secure().
struct SecureOptions {
    const smime::Signer* signer = nullptr; ///< signs when set
    /// Encrypts to these when not empty; the sender's own certificate is
    /// one of them, so that the Sent copy stays readable.
    std::vector<X509*> recipients;
    smime::Cipher cipher = smime::Cipher::Aes256Cbc;
};

/// A composed entity, secured.
struct SecuredMessage {
    std::string wire; ///< the bytes the outbox keeps and the server receives
    /// What the Sent copy keeps when it cannot be `wire` (the sender could not
    /// read an entity encrypted for its recipients only); unset, the Sent
    /// copy is `wire`.
    std::optional<std::string> sentCopy;
};

/// Secures the composed message (CRLF line ends) as `options` ask: its
/// headers stay outside, its MIME entity is signed (multipart/signed over
/// exactly the entity's bytes), then encrypted. With nothing asked, the
/// wire bytes are the message itself. The Sent copy is the wire bytes: an
/// encrypted mail is encrypted to the sender too. Throws
/// OperationError(unavailable) when OpenSSL cannot sign or encrypt it.
SecuredMessage secure(std::string message, const SecureOptions& options);

} // namespace erpmail
