#include "certificate/SigningKeys.h"

#include "certificate/CertificateFiles.h"
#include "certificate/TokenPin.h"
#include "erpmail/OperationError.h"

#include <openssl/crypto.h>

namespace erpmail {

smime::Signer SigningKey::signer() const
{
    smime::Signer s;
    s.certificate = certificate.get();
    s.key = key.get();
    for (const auto& c : chain)
        s.chain.push_back(c.get());
    return s;
}

SigningKey openSigningKey(const store::CertificateRecord& record, SecretSealer* sealer)
{
    const std::string which = "the private key of certificate '" + record.subject + "'";
    SigningKey out;
    out.certificate.reset(certificateFromDer(record.der));
    if (!out.certificate)
        throw OperationError("unavailable", "certificate '" + record.subject + "' does not read back");
    out.chain = certificatesFromDer(record.chainDer.value_or(""));
    if (record.sealedKey) {
        if (!sealer) throw OperationError("unavailable", which + " cannot be opened in this installation");
        std::string keyDer;
        try {
            keyDer = sealer->openSecret(*record.sealedKey, certificateKeyBinding(record.fingerprint));
        } catch (const std::exception& e) {
            // The reason names the secret key, never the key's bytes.
            throw OperationError("unavailable", which + " does not open: " + e.what());
        }
        out.key = keyFromDer(keyDer);
        if (!keyDer.empty()) OPENSSL_cleanse(&keyDer[0], keyDer.size());
        if (!out.key) throw OperationError("unavailable", which + " does not read back");
    } else if (record.keyUri) {
        if (!sealer) throw OperationError("unavailable", which + " cannot be opened in this installation");
        out.key = openCertificateTokenKey(record, *sealer);
    } else {
        throw OperationError("unavailable", "certificate '" + record.subject + "' has no private key in the store");
    }
    if (X509_check_private_key(out.certificate.get(), out.key.get()) != 1)
        throw OperationError("unavailable", which + " does not belong to it");
    return out;
}

} // namespace erpmail
