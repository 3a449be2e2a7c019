// Securing a composed mail: the one place where a MIME entity becomes what
// goes on the wire, signed and/or encrypted.
#include "transport/smtp/Secure.h"

#include "erpmail/OperationError.h"

namespace erpmail {

SecuredMessage secure(std::string message, const SecureOptions& options)
{
    SecuredMessage out;
    if (!options.signer && options.recipients.empty()) {
        out.wire = std::move(message);
        return out;
    }
    smime::MessageParts parts = smime::splitMessage(message);
    try {
        // Signed, then encrypted: the signature stays inside, over what the reader sees.
        if (options.signer) parts.entity = smime::signEntity(parts.entity, *options.signer);
        if (!options.recipients.empty())
            parts.entity = smime::encryptEntity(parts.entity, options.recipients, options.cipher);
    } catch (const smime::SmimeError& e) {
        throw OperationError("unavailable", std::string("the mail could not be secured: ") + e.what());
    }
    out.wire = smime::joinMessage(parts);
    return out;
}

} // namespace erpmail
