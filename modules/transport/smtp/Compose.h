// The send path's first stage: mail.send's parameters become a MIME message
// from the account that sends it.
#pragma once

#include "mime/MessageComposer.h"
#include "transport/smtp/SendPath.h"

#include <cstdint>

namespace erpmail {

/// A mail.send request composed.
struct ComposedMail {
    mime::ComposedMessage message; ///< the MIME entity, its Message-ID and envelope
    std::int64_t dateMs = 0;       ///< its Date: when it is queued and first due
};

/// The account mail.send sends from: the one named, else the caller's main
/// account. It must be online, let the caller send, have a sender e-mail and
/// an SMTP server; E-Printing needs a public account. Throws OperationError
/// naming the field.
store::AccountRecord senderAccount(const SendPath& path, const Request& request);

/// Composes mail.send's parameters into a message from `sender`: the
/// addresses, the bodies with the account's signature where it always goes,
/// and the attachments from their sources, the whole at most
/// erpmail.send.max_message_mb; relay-safe (mime::OutgoingMessage) when
/// asked, for a mail that is signed. Throws OperationError(invalid_params)
/// naming the field at fault, and what attachmentFrom() throws.
ComposedMail compose(const SendPath& path, const Request& request, const store::AccountRecord& sender,
                     bool relaySafe = false);

} // namespace erpmail
