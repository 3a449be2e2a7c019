// What mail.message.get shows of a received mail's S/MIME: the result
// recorded when it was stored, and an encrypted mail opened as it is read,
// apart from anything that was not encrypted.
#pragma once

#include "certificate/Smime.h"
#include "store/SecurityRepository.h"

#include <Poco/JSON/Object.h>

#include <functional>
#include <optional>

namespace erpmail::smime {

/// An account's encryption certificate with its private key.
struct AccountKey {
    Certificate certificate;
    PrivateKey key;
};
/// The account's key, nullopt when it has none; throws (any exception)
/// with the reason when it has one that cannot be opened.
using KeyOpener = std::function<std::optional<AccountKey>()>;

/// The "security" object of mail.message.get: kind, status, reason,
/// verified_at_ms, verified_before_attachment_removal and the signers as
/// recorded; for encrypted mail, "decrypted": each encrypted part opened
/// with the account's key (text, html, attachments, integrity_protected,
/// its inner signature) or the reason it did not open (no_key, corrupt).
Poco::JSON::Object::Ptr presentSecurity(const store::SecurityRecord& record, const std::string& raw,
                                        const KeyOpener& key, const std::function<X509_STORE*()>& trust,
                                        const std::string& fromEmail, std::int64_t nowMs);

} // namespace erpmail::smime
