#include "certificate/TokenPin.h"

#include "certificate/TokenKey.h"
#include "erpmail/OperationError.h"
#include "store/CertificateRepository.h"

#include <openssl/crypto.h>

namespace erpmail {

smime::PrivateKey openCertificateTokenKey(const store::CertificateRecord& record, SecretSealer& sealer)
{
    const std::string which = "certificate " + record.id + " (" + record.subject + ")";
    if (!record.keyUri || !record.sealedPin)
        throw OperationError("unavailable", which + " has no private key on a token");
    std::string pin;
    try {
        pin = sealer.openSecret(*record.sealedPin, certificatePinBinding(record.fingerprint));
    } catch (const std::exception& e) {
        throw OperationError("unavailable", "the stored token PIN of " + which + " does not open: " + e.what());
    }
    try {
        smime::PrivateKey key = smime::openTokenKey(*record.keyUri, pin);
        OPENSSL_cleanse(&pin[0], pin.size());
        return key;
    } catch (const smime::TokenError& e) {
        OPENSSL_cleanse(&pin[0], pin.size());
        const std::string hint = e.kind() == smime::TokenError::Kind::Pin
                                     ? "; import the certificate again with the token's new PIN"
                                     : "";
        throw OperationError("unavailable", "the private key of " + which + " on its token: " + e.what() + hint);
    }
}

} // namespace erpmail
