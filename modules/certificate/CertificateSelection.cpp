// mail.certificate.select: an account's signing and encryption
// certificates, checked against its sender e-mail and copied into the
// plugin's store, with its always-sign, always-encrypt and cipher choices.
#include "certificate/CertificateModule.h"

#include "certificate/CertificateFiles.h"
#include "certificate/CertificateUse.h"
#include "certificate/SigningKeys.h"
#include "certificate/X509Info.h"
#include "erpmail/OperationError.h"
#include "store/CertificateRepository.h"
#include "store/RandomId.h"


namespace erpmail {

using Poco::JSON::Object;

namespace {

Poco::Dynamic::Var selectedJson(store::CertificateRepository& certificates, const std::optional<std::string>& id,
                                std::int64_t nowMs)
{
    if (!id) return {};
    auto record = certificates.find(*id);
    if (!record) return {};
    Object::Ptr o = new Object;
    smime::Certificate c(certificateFromDer(record->der));
    o->set("id", record->id);
    o->set("subject", record->subject);
    o->set("fingerprint_sha256", record->fingerprint);
    if (c) o->set("not_after", X509Info::of(c.get()).notAfterIso);
    o->set("days_left", (record->notAfterMs - nowMs) / 86400000);
    return o;
}

} // namespace

store::CertificateRecord CertificateModule::selectable(const std::string& field, const std::string& id,
                                                       CertificatePurpose purpose, const std::string& email,
                                                       const Request& request)
{
    store::CertificateRecord record;
    try {
        record = requireVisible(id, request);
    } catch (const OperationError& e) {
        throw OperationError(e.code(), e.what(), field);
    }
    smime::Certificate c(certificateFromDer(record.der));
    if (!c) throw invalidParam(field, "the certificate '" + record.subject + "' does not read back");
    const std::string problem = unusableBecause(c.get(), email, purpose, context_.host().nowMs());
    if (!problem.empty()) throw invalidParam(field, problem);
    if (!record.sealedKey && !record.keyUri)
        throw invalidParam(field, "the certificate '" + record.subject +
                                      "' has no private key in the store: import its PKCS#12 file (.p12, .pfx)");
    {
        try {
            openSigningKey(record, sealer_);
        } catch (const OperationError& e) {
            throw OperationError(e.code(), e.what(), field);
        }
    }
    return record;
}

std::string CertificateModule::intoPluginStore(const store::CertificateRecord& record, const Request& request,
                                               store::CertificateRepository& certificates)
{
    if (record.owner.empty()) return record.id;
    // As the seed does: a certificate chosen from a personal store is
    // copied into the plugin's store, which the account's senders share.
    if (auto known = certificates.findByFingerprint("", record.fingerprint)) {
        if (!known->sealedKey && record.sealedKey) certificates.setSealedKey(known->id, *record.sealedKey);
        return known->id;
    }
    store::CertificateRecord copy = record;
    copy.id = store::randomUuid();
    copy.owner = "";
    copy.createdAtMs = context_.host().nowMs();
    copy.createdBy = request.user;
    certificates.insert(copy);
    return copy.id;
}

Object::Ptr CertificateModule::select(const Request& request)
{
    const auto& p = request.params;
    const store::AccountRecord account = accounts_.requireVisible(p->getValue<std::string>("account"), request);
    if (!authorizer_.allows(account, request, AccountRight::Configure))
        throw OperationError("forbidden", "you may not change the settings of account '" + account.label + "'",
                             "account");
    if (!account.senderEmail)
        throw invalidParam("account", "account '" + account.label + "' has no sender e-mail to sign for");
    const std::string email = *account.senderEmail;

    // Checked first, then copied and chosen in one transaction.
    auto checked = [&](const char* field, CertificatePurpose purpose) -> std::optional<store::CertificateRecord> {
        if (!p->has(field) || p->isNull(field)) return std::nullopt;
        return selectable(field, p->getValue<std::string>(field), purpose, email, request);
    };
    const auto signing = checked("signing", CertificatePurpose::Signing);
    const auto encryption = checked("encryption", CertificatePurpose::Encryption);

    auto system = context_.databases().acquire(context_.systemDatabaseId(), store::Scope::System);
    store::CertificateRepository certificates(*system);
    store::Transaction tx(*system);
    store::AccountCertificates selection = certificates.ofAccount(account.id);
    auto choose = [&](const char* field, const std::optional<store::CertificateRecord>& record,
                      std::optional<std::string>& slot) {
        if (!p->has(field)) return;
        if (record)
            slot = intoPluginStore(*record, request, certificates);
        else
            slot.reset();
    };
    choose("signing", signing, selection.signingId);
    choose("encryption", encryption, selection.encryptionId);
    selection.alwaysSign = p->optValue<bool>("always_sign", selection.alwaysSign);
    selection.alwaysEncrypt = p->optValue<bool>("always_encrypt", selection.alwaysEncrypt);
    selection.cipher = p->optValue<std::string>("cipher", selection.cipher);
    if (selection.alwaysSign && !selection.signingId)
        throw invalidParam("always_sign", "always signing needs a signing certificate: select one");
    if (selection.alwaysEncrypt && !selection.encryptionId)
        throw invalidParam("always_encrypt",
                           "always encrypting needs the account's encryption certificate, so that its sent mail "
                           "stays readable: select one");
    certificates.setOfAccount(account.id, selection);
    tx.commit();

    const std::int64_t now = context_.host().nowMs();
    Object::Ptr result = new Object;
    result->set("account", account.id);
    result->set("signing", selectedJson(certificates, selection.signingId, now));
    result->set("encryption", selectedJson(certificates, selection.encryptionId, now));
    result->set("always_sign", selection.alwaysSign);
    result->set("always_encrypt", selection.alwaysEncrypt);
    result->set("cipher", selection.cipher);
    context_.log(ERP_LOG_INFO, "erpmail.certificate",
                 "user " + request.user + " chose the certificates of account " + account.id);
    return result;
}

} // namespace erpmail
