// A stored certificate with its private key opened, ready to sign (and to
// read what was encrypted to it).
#pragma once

#include "certificate/Smime.h"
#include "erpmail/SecretSealer.h"
#include "store/CertificateRepository.h"

#include <vector>

namespace erpmail {

/// The certificate, the chain sent along with it and its opened private
/// key; the handles are owned here and wiped when it goes.
struct SigningKey {
    smime::Certificate certificate;
    std::vector<smime::Certificate> chain;
    smime::PrivateKey key;

    /// The signer view of the handles; valid while this lives.
    smime::Signer signer() const;
};

/// Opens the private key of `record`: a sealed key with `sealer`, a key on
/// a PKCS#11 token at its `key_uri`. Throws OperationError(unavailable)
/// saying why it cannot: no key in the store, the sealed key does not open
/// (the plugin's secret key changed or is gone), it does not belong to the
/// certificate, the token cannot be reached.
SigningKey openSigningKey(const store::CertificateRecord& record, SecretSealer* sealer);

} // namespace erpmail
