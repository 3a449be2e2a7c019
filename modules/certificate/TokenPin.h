// Opening the key of a stored certificate whose private key is on a PKCS#11
// token: its sealed PIN, then the key at its pkcs11: URI.
#pragma once

#include "certificate/Smime.h"
#include "erpmail/SecretSealer.h"

namespace erpmail {

namespace store {
struct CertificateRecord;
}

/// The private key of `record` (record.keyUri set) on its token, logged in
/// with the PIN sealed in record.sealedPin for certificatePinBinding(
/// record.fingerprint). The PIN is wiped after use. Throws
/// OperationError("unavailable", ...) naming the certificate when it has no
/// token key or PIN, when the PIN does not open (sealed for another
/// certificate, no secrets key) or the token refuses it (changed on the
/// card: import the certificate again with the new PIN), or when the engine,
/// the module, the token or the key is missing.
smime::PrivateKey openCertificateTokenKey(const store::CertificateRecord& record, SecretSealer& sealer);

} // namespace erpmail
