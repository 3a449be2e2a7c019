#include "certificate/CertificateModule.h"

#include "certificate/CertificateFiles.h"
#include "certificate/CertificateJson.h"
#include "certificate/ExpiryWatch.h"
#include "certificate/SystemCertificates.h"
#include "certificate/TokenKey.h"
#include "certificate/X509Info.h"
#include "erpmail/Base64.h"
#include "erpmail/OperationError.h"
#include "erpmail/ServerFile.h"
#include "mime/HeaderSafety.h"
#include "store/CertificateRepository.h"
#include "store/RandomId.h"

#include <openssl/crypto.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <Poco/JSON/Array.h>

namespace erpmail {

using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

constexpr const char* kIdParam = R"({"type":"object","additionalProperties":false,"required":["id"],
    "properties":{"id":{"type":"string","minLength":1,"maxLength":36}}})";

bool matchesEmail(const X509Info& info, const std::string& email)
{
    for (const auto& e : info.emails)
        if (Poco::icompare(e, email) == 0) return true;
    return false;
}

} // namespace

CertificateModule::CertificateModule(Context& context, AccountDirectory& accounts, Authorizer& authorizer,
                                     MessageStore& messages, SecretSealer* sealer)
    : context_(context), accounts_(accounts), authorizer_(authorizer), messages_(messages), sealer_(sealer), expiryWatch_(std::make_unique<ExpiryWatch>(context))
{
}

CertificateModule::~CertificateModule() = default;

void CertificateModule::start()
{
    smime::setTokenModule(context_.host().config("erpmail.pkcs11.module").value_or(smime::kDefaultTokenModule));
    expiryWatch_->start();
}

void CertificateModule::stop() noexcept
{
    expiryWatch_->stop();
}

std::vector<Operation> CertificateModule::operations()
{
    auto bind = [this](Object::Ptr (CertificateModule::*fn)(const Request&)) {
        return [this, fn](const Request& r) { return (this->*fn)(r); };
    };
    return {
        {"mail.certificate.inspect",
         "Reads a PEM certificate (text or file) and reports subject, issuer, e-mail addresses and expiry",
         R"({"type":"object","additionalProperties":false,
             "properties":{"pem":{"type":"string","minLength":1,"maxLength":200000},
                           "path":{"type":"string","minLength":1,"maxLength":4096},
                           "warn_days":{"type":"integer","minimum":0,"maximum":3650}}})",
         permission::Use, bind(&CertificateModule::inspect)},
        {"mail.certificate.import",
         "Imports a certificate into the plugin's store (admins) or the user's personal store: PEM or DER "
         "(.cer, .crt, .pem) as text or base64, a PKCS#12 file (.p12, .pfx) with its password and private key, "
         "a certificate on a PKCS#11 token (key_uri, a pkcs11: URI, with the token's pin) whose key stays there, "
         "or the signer's certificate of a signed mail the account holds",
         R"({"type":"object","additionalProperties":false,
             "properties":{"store":{"enum":["plugin","personal"]},
                           "account":{"type":"string","minLength":1,"maxLength":36},
                           "message_id":{"type":"integer","minimum":1},
                           "signer":{"type":"integer","minimum":1,"maximum":16},
                           "pem":{"type":"string","minLength":1,"maxLength":1000000},
                           "data_base64":{"type":"string","minLength":1,"maxLength":2000000},
                           "password":{"type":"string","maxLength":1000},
                           "key_uri":{"type":"string","minLength":8,"maxLength":2000},
                           "pin":{"type":"string","minLength":1,"maxLength":256}}})",
         permission::Use, bind(&CertificateModule::import)},
        {"mail.certificate.list",
         "The certificates of one store or of all (plugin, personal, system), or those an account's address book "
         "collected from valid signatures of incoming mail (address_book, with account), optionally only those "
         "issued to an e-mail address: subject, issuer, validity, key usages, fingerprint, whether a private key is "
         "there; an address book's also whether the signer reads AES-256-GCM and the mail it came with when",
         R"({"type":"object","additionalProperties":false,
             "properties":{"store":{"enum":["plugin","personal","system","address_book","all"]},
                           "account":{"type":"string","minLength":1,"maxLength":36},
                           "email":{"type":"string","minLength":3,"maxLength":320}}})",
         permission::Use, bind(&CertificateModule::list)},
        {"mail.certificate.show",
         "One stored certificate in detail, with its chain as far as the trust store builds it", kIdParam,
         permission::Use, bind(&CertificateModule::show)},
        {"mail.certificate.export",
         "A stored certificate as PEM or DER; as PKCS#12 with its private key only for admins, under a new password",
         R"({"type":"object","additionalProperties":false,"required":["id"],
             "properties":{"id":{"type":"string","minLength":1,"maxLength":36},
                           "format":{"enum":["pem","der","pkcs12"]},
                           "password":{"type":"string","minLength":8,"maxLength":1000}}})",
         permission::Use, bind(&CertificateModule::exportCertificate)},
        {"mail.certificate.delete", "Removes a certificate from its store, unless an account uses it", kIdParam,
         permission::Use, bind(&CertificateModule::remove)},
        {"mail.certificate.select",
         "Chooses an account's signing and/or encryption certificate (null clears one; one from a personal store is "
         "copied into the plugin's store), whether it always signs or encrypts, and its cipher (cbc or gcm)",
         R"({"type":"object","additionalProperties":false,"required":["account"],
             "properties":{"account":{"type":"string","minLength":1,"maxLength":36},
                           "signing":{"type":["string","null"],"minLength":1,"maxLength":36},
                           "encryption":{"type":["string","null"],"minLength":1,"maxLength":36},
                           "always_sign":{"type":"boolean"},
                           "always_encrypt":{"type":"boolean"},
                           "cipher":{"enum":["cbc","gcm"]}}})",
         permission::Use, bind(&CertificateModule::select)},
    };
}

std::string CertificateModule::storeOwner(const std::string& storeName, const Request& request, bool change) const
{
    if (storeName == "plugin") {
        if (change && !request.userIsAdmin)
            throw OperationError("forbidden", "only admins change the plugin's certificate store, which every user shares",
                                 "store");
        return "";
    }
    return request.user;
}

store::CertificateRecord CertificateModule::requireVisible(const std::string& id, const Request& request)
{
    auto system = context_.databases().acquire(context_.systemDatabaseId(), store::Scope::System);
    auto record = store::CertificateRepository(*system).find(id);
    // Another user's personal certificate does not exist for the caller.
    if (!record || (!record->owner.empty() && record->owner != request.user && !request.userIsAdmin))
        throw OperationError("not_found", "no certificate '" + id + "'", "id");
    return *record;
}

Object::Ptr CertificateModule::inspect(const Request& request)
{
    const auto& p = request.params;
    std::string pem = p->optValue<std::string>("pem", "");
    const std::string path = p->optValue<std::string>("path", "");
    if (pem.empty() == path.empty()) throw invalidParam("pem", "give exactly one of pem or path");
    if (!path.empty()) pem = readServerFileParam(request.userIsAdmin, path, kMaxCertificateFileBytes, "path");
    const int warnDays = p->optValue<int>("warn_days", 30);
    X509Info info = X509Info::fromPem(pem, path.empty() ? "pem" : "path");
    const std::int64_t now = context_.host().nowMs();
    Object::Ptr result = certificateInfoJson(info, now);
    result->set("self_signed", info.selfSigned);
    const std::int64_t msLeft = info.notAfterMs - now;
    result->set("expiring", msLeft >= 0 && msLeft < static_cast<std::int64_t>(warnDays) * 86400000);
    return result;
}

Object::Ptr CertificateModule::import(const Request& request)
{
    const auto& p = request.params;
    const std::string owner = storeOwner(p->optValue<std::string>("store", "personal"), request, true);
    if (p->has("key_uri")) return importTokenKey(request, owner);
    if (p->has("pin")) throw invalidParam("pin", "a PIN goes with key_uri, the token that holds the key");
    const bool fromMail = p->has("message_id");
    const bool hasPem = p->has("pem") || fromMail, hasData = p->has("data_base64");
    if (hasPem == hasData || (fromMail && p->has("pem")))
        throw invalidParam("pem", "give exactly one of pem, data_base64 or account with message_id");
    std::string bytes = fromMail ? signerCertificateOf(request) : p->optValue<std::string>("pem", "");
    if (hasData) bytes = fromBase64Param(p->getValue<std::string>("data_base64"), "data_base64");
    std::optional<std::string> password;
    if (p->has("password")) password = p->getValue<std::string>("password");
    CertificateFile file = readCertificateFile(bytes, password, hasPem ? "pem" : "data_base64");
    return storeImported(file, owner, hasPem ? "pem" : "data_base64", request);
}

Object::Ptr CertificateModule::storeImported(const CertificateFile& file, const std::string& owner,
                                             const std::string& field, const Request& request,
                                             const std::optional<std::string>& keyUri, const std::string& pin)
{
    store::CertificateRecord record;
    record.id = store::randomUuid();
    record.owner = owner;
    record.fingerprint = fingerprintOf(file.leaf.get());
    const X509Info info = X509Info::of(file.leaf.get());
    record.subject = info.subject;
    record.issuer = info.issuer;
    for (const auto& e : info.emails) {
        // The store keeps addresses as a comma list; a certificate whose
        // address holds a comma or a control character could pose as another.
        if (e.find(',') != std::string::npos || mime::hasControlCharacters(e))
            throw invalidParam(field,
                               "the certificate's e-mail address '" + e + "' holds a comma or a control character");
        record.emails.push_back(Poco::toLower(e));
    }
    record.notAfterMs = info.notAfterMs;
    record.der = derOf(file.leaf.get());
    if (!file.chain.empty()) {
        std::string chain;
        for (const auto& c : file.chain) chain += derOf(c.get());
        record.chainDer = chain;
    }
    if (file.key) {
        if (X509_check_private_key(file.leaf.get(), file.key.get()) != 1)
            throw invalidParam("data_base64", "the PKCS#12 file's key does not belong to its certificate");
        if (!sealer_) throw OperationError("unavailable", "private keys cannot be sealed in this installation");
        std::string keyDer = keyDerOf(file.key.get());
        record.sealedKey = sealer_->sealSecret(keyDer, certificateKeyBinding(record.fingerprint));
        OPENSSL_cleanse(&keyDer[0], keyDer.size());
    }
    if (keyUri) {
        if (!sealer_) throw OperationError("unavailable", "token PINs cannot be sealed in this installation");
        record.keyUri = keyUri;
        record.sealedPin = sealer_->sealSecret(pin, certificatePinBinding(record.fingerprint));
    }
    record.createdAtMs = context_.host().nowMs();
    record.createdBy = request.user;

    auto system = context_.databases().acquire(context_.systemDatabaseId(), store::Scope::System);
    store::CertificateRepository certificates(*system);
    if (auto known = certificates.findByFingerprint(owner, record.fingerprint)) {
        // The store holds it already; a key the file brings is kept.
        bool keyAdded = record.sealedKey && !known->sealedKey;
        if (keyAdded) {
            certificates.setSealedKey(known->id, *record.sealedKey);
            known->sealedKey = record.sealedKey;
        }
        // A token reference (again, e.g. after a PIN change) replaces the old one.
        if (record.keyUri && !known->sealedKey) {
            certificates.setTokenKey(known->id, *record.keyUri, *record.sealedPin);
            keyAdded = !known->keyUri;
            known->keyUri = record.keyUri;
        }
        Object::Ptr result = certificateRecordJson(*known, context_.host().nowMs());
        result->set("imported", false);
        result->set("key_added", keyAdded);
        return result;
    }
    certificates.insert(record);
    Object::Ptr result = certificateRecordJson(record, context_.host().nowMs());
    result->set("imported", true);
    return result;
}

Object::Ptr CertificateModule::list(const Request& request)
{
    const auto& p = request.params;
    const std::string which = p->optValue<std::string>("store", "all");
    std::optional<std::string> email;
    if (p->has("email")) email = Poco::toLower(p->getValue<std::string>("email"));
    if (which == "address_book") return addressBook(request, email);
    if (p->has("account"))
        throw invalidParam("account", "account goes with store address_book, the certificates the account collected");
    const std::int64_t now = context_.host().nowMs();
    Array::Ptr items = new Array;
    auto system = context_.databases().acquire(context_.systemDatabaseId(), store::Scope::System);
    store::CertificateRepository certificates(*system);
    if (which == "plugin" || which == "all")
        for (const auto& r : certificates.list("", email))
            items->add(certificateRecordJson(r, now));
    if (which == "personal" || which == "all")
        for (const auto& r : certificates.list(request.user, email))
            items->add(certificateRecordJson(r, now));
    if (which == "system" || which == "all") {
        for (const auto& c : systemCertificates()) {
            X509Info info = X509Info::of(c.get());
            if (email && !matchesEmail(info, *email)) continue;
            Object::Ptr o = certificateInfoJson(info, now);
            o->set("store", "system");
            o->set("fingerprint_sha256", fingerprintOf(c.get()));
            o->set("private_key", false);
            items->add(o);
        }
    }
    Object::Ptr result = new Object;
    result->set("items", items);
    return result;
}

Object::Ptr CertificateModule::show(const Request& request)
{
    auto record = requireVisible(request.params->getValue<std::string>("id"), request);
    const std::int64_t now = context_.host().nowMs();
    Object::Ptr result = certificateRecordJson(record, now);
    result->set("pem", pemOf(smime::Certificate(certificateFromDer(record.der)).get()));

    // The chain as the system's CAs and the certificates sent along build it.
    smime::Certificate leaf(certificateFromDer(record.der));
    X509_STORE* trust = X509_STORE_new();
    X509_STORE_set_default_paths(trust);
    STACK_OF(X509)* untrusted = sk_X509_new_null();
    auto carried = certificatesFromDer(record.chainDer.value_or(""));
    for (auto& c : carried) sk_X509_push(untrusted, c.get());
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, trust, leaf.get(), untrusted);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SMIME_SIGN);
    X509_STORE_CTX_set_time(ctx, 0, static_cast<time_t>(now / 1000));
    const bool trusted = X509_verify_cert(ctx) == 1;
    Array::Ptr chain = new Array;
    STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(ctx);
    for (int i = 0; built && i < sk_X509_num(built); ++i) {
        Object::Ptr link = new Object;
        X509Info info = X509Info::of(sk_X509_value(built, i));
        link->set("subject", info.subject);
        link->set("not_after", info.notAfterIso);
        chain->add(link);
    }
    result->set("chain", chain);
    result->set("trusted", trusted);
    if (!trusted) result->set("untrusted_because", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted);
    X509_STORE_free(trust);
    return result;
}

Object::Ptr CertificateModule::exportCertificate(const Request& request)
{
    const auto& p = request.params;
    auto record = requireVisible(p->getValue<std::string>("id"), request);
    const std::string format = p->optValue<std::string>("format", "pem");
    smime::Certificate c(certificateFromDer(record.der));
    Object::Ptr result = new Object;
    result->set("id", record.id);
    result->set("format", format);
    if (format == "pem") {
        result->set("pem", pemOf(c.get()));
        return result;
    }
    if (format == "der") {
        result->set("data_base64", toBase64(record.der));
        return result;
    }
    if (!request.userIsAdmin)
        throw OperationError("forbidden", "only admins export a private key (PKCS#12)", "format");
    if (record.keyUri) throw invalidParam("format", "this certificate's private key is on a token and never leaves it");
    if (!record.sealedKey) throw invalidParam("format", "this certificate has no private key in the store");
    if (!p->has("password")) throw invalidParam("password", "a PKCS#12 export needs a new password");
    if (!sealer_) throw OperationError("unavailable", "private keys cannot be opened in this installation");
    std::string keyDer = sealer_->openSecret(*record.sealedKey, certificateKeyBinding(record.fingerprint));
    smime::PrivateKey key = keyFromDer(keyDer);
    OPENSSL_cleanse(&keyDer[0], keyDer.size());
    if (!key) throw OperationError("unavailable", "the stored private key of this certificate does not read back");
    auto carried = certificatesFromDer(record.chainDer.value_or(""));
    std::vector<X509*> chain;
    for (auto& x : carried) chain.push_back(x.get());
    result->set("data_base64", toBase64(pkcs12Of(c.get(), chain, key.get(), p->getValue<std::string>("password"))));
    context_.log(ERP_LOG_INFO, "erpmail.certificate",
                 "user " + request.user + " exported the private key of certificate " + record.fingerprint);
    return result;
}

Object::Ptr CertificateModule::remove(const Request& request)
{
    auto record = requireVisible(request.params->getValue<std::string>("id"), request);
    if (record.owner.empty() && !request.userIsAdmin)
        throw OperationError("forbidden", "only admins change the plugin's certificate store");
    auto system = context_.databases().acquire(context_.systemDatabaseId(), store::Scope::System);
    store::CertificateRepository certificates(*system);
    auto users = certificates.usedBy(record.id);
    if (!users.empty())
        throw OperationError("conflict", "account " + users.front() + " uses this certificate; select another first");
    certificates.remove(record.id);
    Object::Ptr result = new Object;
    result->set("id", record.id);
    result->set("deleted", true);
    return result;
}

} // namespace erpmail
