// What a signature's check reads off certificates that do not change: a
// certificate's own facts, kept with the certificate, and the verdict on
// its chain, kept with the trust store it was checked against. The
// certificates of a signature come from SignedDataReader's cache, so the
// same signer's next mail finds both here.
#pragma once

#include "certificate/X509Info.h"

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <ctime>
#include <string>

namespace erpmail::smime {

struct CertificateFacts {
    X509Info info;
    std::string pem;
    std::string der;
    std::string fingerprint; ///< SHA-256 of the DER, as fingerprintOf() writes it
};

/// The facts of `certificate`, read on first use and kept as long as the
/// certificate lives. Thread-safe.
const CertificateFacts& factsOf(X509* certificate);

struct ChainVerdict {
    bool trusted = false;
    int error = X509_V_OK; ///< X509_STORE_CTX_get_error() when not trusted
};

/// X509_verify_cert() of `leaf` with the `carried` certificates against
/// `trust` at `when`, for S/MIME signing. The same question in the same
/// second of the same trust store is answered once: the verdict depends on
/// nothing else. Thread-safe.
ChainVerdict verifyChain(X509_STORE* trust, X509* leaf, STACK_OF(X509) * carried, std::time_t when);

} // namespace erpmail::smime
