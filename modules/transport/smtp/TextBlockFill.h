// Composing from a text block: mail.send's `textblock` filled from the
// mail's host document, and the account's signature added exactly once.
#pragma once

#include "mime/MessageComposer.h"
#include "transport/smtp/SendPath.h"

#include <optional>
#include <string>

namespace erpmail {

/// Fills the block mail.send names (`textblock`: its id, or its name in the
/// sending account) for the first of the request's `documents`, as the
/// caller reads it, into the message's subject and bodies. The caller's
/// `text` goes where the block has {{ body }}. Throws OperationError naming
/// the field: the block unknown or of another account, text given to a
/// block without {{ body }}, a value missing in the document.
void fillFromTextBlock(const SendPath& path, const Request& request, const store::AccountRecord& sender,
                       mime::OutgoingMessage& message);

/// Appends the account's signature to each body when the account always
/// signs and the request does not say `signature: false`: its signature
/// block, filled like the mail, or else its signature text. A body that
/// holds the signature already does not get it twice.
void addSignature(const SendPath& path, const Request& request, const store::AccountRecord& sender,
                  mime::OutgoingMessage& message);

} // namespace erpmail
