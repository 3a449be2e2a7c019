// The send path's second stage: the composed MIME entity as it goes on the
// wire, and as the sender's Sent copy keeps it.
#pragma once

#include <optional>
#include <string>

namespace erpmail {

/// How the sender asks a mail to be protected. It asks nothing yet: every
/// mail goes out as composed.
struct SecureOptions {};

/// A composed entity, secured.
struct SecuredMessage {
    std::string wire; ///< the bytes the outbox keeps and the server receives
    /// What the Sent copy keeps when it cannot be `wire` (the sender could not
    /// read an entity encrypted for its recipients only); unset, the Sent
    /// copy is `wire`.
    std::optional<std::string> sentCopy;
};

/// Secures the composed entity (CRLF line ends) as `options` ask. With
/// nothing asked, the wire bytes are the entity itself and the Sent copy is
/// the same.
SecuredMessage secure(std::string entity, const SecureOptions& options);

} // namespace erpmail
