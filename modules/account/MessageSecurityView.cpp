// mail.message.get's "security": the S/MIME result recorded when the mail
// was stored; an encrypted mail opened with the account's encryption key
// (account_certificates.encryption_id: its key sealed like a password, or on
// a PKCS#11 token).
#include "account/MessageService.h"

#include "certificate/SecurityPresentation.h"
#include "certificate/SigningKeys.h"
#include "mime/MessageParser.h"
#include "store/CertificateRepository.h"
#include "store/MessageRepository.h"
#include "store/SecurityRepository.h"


namespace erpmail {

namespace {

// The one From address of the mail as it arrived, read by the MIME parser
// (the stored From text is for display: a quoted name holding "<...>" would
// read as an address there). Empty with several or none.
std::string fromOf(const std::string& raw)
{
    if (raw.empty()) return {};
    const mime::ParsedMessage parsed = mime::parseMessage(raw);
    return parsed.from.size() == 1 ? parsed.from.front().email : std::string();
}

} // namespace

Poco::JSON::Object::Ptr MessageService::securityOf(const store::AccountRecord& account,
                                                   const store::MessageRecord& message)
{
    auto record = accounts_.withMailbox(
        account, [&](store::Connection& c) { return store::SecurityRepository(c).find(account.id, message.id); });
    if (!record) return nullptr;
    std::string raw;
    if (record->kind == "encrypted" || record->kind == "partly_encrypted") {
        auto whole = accounts_.withMailbox(account, [&](store::Connection& c) {
            return store::MessageRepository(c).get(account.id, message.id, true);
        });
        if (whole) raw = std::move(whole->raw);
    }
    Context& context = accounts_.context();
    smime::KeyOpener key = [&]() -> std::optional<smime::AccountKey> {
        auto system = context.databases().acquire(context.systemDatabaseId(), store::Scope::System);
        store::CertificateRepository certificates(*system);
        const auto selection = certificates.ofAccount(account.id);
        if (!selection.encryptionId) return std::nullopt;
        const auto certificate = certificates.find(*selection.encryptionId);
        if (!certificate) return std::nullopt;
        // A sealed key or one on a token, as signing opens it.
        SigningKey opened = openSigningKey(*certificate, &accounts_);
        return smime::AccountKey{std::move(opened.certificate), std::move(opened.key)};
    };
    smime::TrustAnchors anchors;
    auto trust = [&]() -> X509_STORE* {
        if (!anchors) anchors = accounts_.smimeTrust().anchors();
        return anchors.get();
    };
    return smime::presentSecurity(*record, raw, key, trust, fromOf(raw), context.host().nowMs());
}

} // namespace erpmail
