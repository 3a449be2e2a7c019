// The certificates mail to its recipients is encrypted to.
#pragma once

#include "certificate/Smime.h"
#include "transport/smtp/SendPath.h"

#include <optional>
#include <string>
#include <vector>

namespace erpmail {

struct RecipientCertificate {
    std::string email;
    smime::Certificate certificate;
    /// Whether the recipient's SMIMECapabilities (from a signed mail of
    /// theirs) list AES-256-GCM; unset when they are not known.
    std::optional<bool> acceptsGcm;
};

/// A certificate for each address (To, Cc and Bcc), the newest that may
/// encrypt to it now, of the plugin's store and the acting user's
/// personal store. Throws OperationError(invalid_params) on "encrypt" naming
/// every address without one, before anything is queued.
std::vector<RecipientCertificate> recipientCertificates(const SendPath& path, const Request& request,
                                                        const store::AccountRecord& account,
                                                        const std::vector<std::string>& emails);

} // namespace erpmail
