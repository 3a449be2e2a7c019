// What erpmail reads from an X.509 certificate.
#pragma once

#include <openssl/x509.h>

#include <cstdint>
#include <string>
#include <vector>

namespace erpmail {

struct X509Info {
    std::string subject;
    std::string issuer;
    std::string serialHex;
    std::string notBeforeIso;
    std::string notAfterIso;
    std::int64_t notBeforeMs = 0;
    std::int64_t notAfterMs = 0;
    bool selfSigned = false;
    std::vector<std::string> emails; ///< rfc822Name entries of subjectAltName, then the subject's emailAddress
    std::vector<std::string> keyUsage;         ///< digital_signature, key_encipherment, ... (empty: not restricted)
    std::vector<std::string> extendedKeyUsage; ///< email_protection, client_auth, ... (empty: not restricted)

    /// Parses the first certificate of a PEM text. Throws
    /// OperationError(invalid_params) naming `field` when it is none.
    static X509Info fromPem(const std::string& pem, const std::string& field);
    /// Reads a parsed certificate.
    static X509Info of(X509* certificate);
};

} // namespace erpmail
