#include "transport/smtp/Protection.h"

#include "certificate/CertificateFiles.h"
#include "erpmail/OperationError.h"
#include "store/CertificateRepository.h"
#include "transport/smtp/RecipientCertificates.h"

namespace erpmail {

Protection protectionFor(const SendPath& path, const Request& request, const store::AccountRecord& account)
{
    const auto& p = request.params;
    auto system = path.context.databases().acquire(path.context.systemDatabaseId(), store::Scope::System);
    store::CertificateRepository certificates(*system);
    const store::AccountCertificates chosen = certificates.ofAccount(account.id);
    Protection out;
    out.sign = p->optValue<bool>("sign", chosen.alwaysSign);
    out.encrypt = p->optValue<bool>("encrypt", chosen.alwaysEncrypt);
    out.accountAsksGcm = chosen.cipher == "gcm";
    const std::string select = ": choose one with mail.certificate.select";
    if (out.sign) {
        auto record = chosen.signingId ? certificates.find(*chosen.signingId) : std::nullopt;
        if (!record) throw invalidParam("sign", "account '" + account.label + "' has no signing certificate" + select);
        try {
            out.signing = openSigningKey(*record, path.sealer);
        } catch (const OperationError& e) {
            throw OperationError(e.code(), std::string("the mail cannot be signed: ") + e.what(), "sign");
        }
        out.signer = out.signing->signer();
    }
    if (out.encrypt) {
        auto record = chosen.encryptionId ? certificates.find(*chosen.encryptionId) : std::nullopt;
        if (!record)
            throw invalidParam("encrypt", "account '" + account.label +
                                              "' has no encryption certificate, so its Sent copy could not be read" +
                                              select);
        out.ownCertificate.reset(certificateFromDer(record->der));
        if (!out.ownCertificate)
            throw OperationError("unavailable", "the account's encryption certificate does not read back", "encrypt");
    }
    return out;
}

SecuredMessage protect(const SendPath& path, const Request& request, const store::AccountRecord& account,
                       const Protection& protection, ComposedMail& composed)
{
    SecureOptions options;
    if (protection.sign) options.signer = &protection.signer;
    std::vector<RecipientCertificate> recipients;
    if (protection.encrypt) {
        // The envelope names each recipient's certificate for every reader,
        // which would show the To and Cc recipients who else got the mail.
        const auto& p = request.params;
        if (p->has("bcc") && p->getArray("bcc") && p->getArray("bcc")->size() > 0)
            throw invalidParam("bcc", "an encrypted mail names the certificate of each recipient to all of them, so "
                                      "Bcc recipients would be seen: send them their copy separately");
        recipients = recipientCertificates(path, request, account, composed.message.recipients);
        bool everyoneReadsGcm = !recipients.empty();
        for (const auto& r : recipients) {
            options.recipients.push_back(r.certificate.get());
            everyoneReadsGcm = everyoneReadsGcm && r.acceptsGcm.value_or(false);
        }
        options.recipients.push_back(protection.ownCertificate.get());
        options.cipher =
            protection.accountAsksGcm || everyoneReadsGcm ? smime::Cipher::Aes256Gcm : smime::Cipher::Aes256Cbc;
    }
    return secure(std::move(composed.message.raw), options);
}

} // namespace erpmail
