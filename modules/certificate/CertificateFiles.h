// Certificates as files come: PEM, DER or PKCS#12 with its key, in and out.
#pragma once

#include "certificate/Smime.h"

#include <optional>
#include <string>
#include <vector>

namespace erpmail {

struct CertificateFile {
    smime::Certificate leaf;
    std::vector<smime::Certificate> chain; ///< the others in the file
    smime::PrivateKey key;                 ///< PKCS#12 only
};

/// Reads a .cer/.crt/.pem (PEM or DER) or a .p12/.pfx with `password`.
/// Throws OperationError(invalid_params): on `password` when it is wrong,
/// on `field` when the bytes are none of these or are cut.
CertificateFile readCertificateFile(const std::string& bytes, const std::optional<std::string>& password,
                                    const std::string& field);

std::string derOf(X509* certificate);
std::string pemOf(X509* certificate);
/// SHA-256 over the DER, lower-case hex.
std::string fingerprintOf(X509* certificate);
X509* certificateFromDer(const std::string& der);
/// Certificates written one after another as DER, read back.
std::vector<smime::Certificate> certificatesFromDer(const std::string& ders);
/// The key as unencrypted PKCS#8 DER (to be sealed), and back.
std::string keyDerOf(EVP_PKEY* key);
smime::PrivateKey keyFromDer(const std::string& der);
/// A PKCS#12 file of the certificate, its chain and its key, under password (AES-256).
std::string pkcs12Of(X509* certificate, const std::vector<X509*>& chain, EVP_PKEY* key, const std::string& password);

} // namespace erpmail
