// What a received message's S/MIME is, found once when it is stored:
// signed as a whole, signed only in part, encrypted (opened when read).
#pragma once

#include "certificate/Smime.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace erpmail::smime {

struct ScannedSigner {
    SignerCheck check;
    std::string part; ///< where its signature is: "" for the whole message, else "2", "2.1", ...
};

struct MessageSecurity {
    /// Empty: no S/MIME at all. signed, partly_signed (a signed part inside
    /// an unsigned multipart), encrypted, partly_encrypted (an encrypted part
    /// beside plain parts).
    std::string kind;
    /// signed: valid, invalid, untrusted, weak. partly_signed: partly_signed.
    /// encrypted kinds: encrypted. error when the check itself failed.
    std::string status;
    std::string reason;
    std::vector<ScannedSigner> signers;
    /// application/pkcs7-mime signed-data as the whole message: the entity
    /// it carries, which is what the reader is shown.
    std::optional<std::string> signedContent;
};

/// Finds and checks the S/MIME structures of `raw` (at most 8 levels deep,
/// 200 parts). `trust` is asked only when there is a signature. Never
/// throws: a failure is status error with its reason.
MessageSecurity scanMessage(const std::string& raw, const std::function<X509_STORE*()>& trust,
                            const std::string& fromEmail, std::int64_t nowMs);

struct EncryptedPart {
    std::string part;   ///< "" for the whole message, else "2", "2.1", ...
    std::string entity; ///< the application/pkcs7-mime entity, CRLF form
};

/// The enveloped parts of `raw`, within the limits of scanMessage().
std::vector<EncryptedPart> encryptedParts(const std::string& raw);

/// True when `raw` may hold S/MIME (names pkcs7 somewhere): a cheap test
/// before scanMessage().
bool mayHoldSmime(const std::string& raw);

/// The signers as the stored JSON array (status, reason, subject, emails,
/// digest, certificate_pem, part).
std::string signersJson(const std::vector<ScannedSigner>& signers);

} // namespace erpmail::smime
