// Whether a certificate may sign or encrypt mail for an address: its
// validity, its e-mail addresses and the usages its CA set.
#pragma once

#include <openssl/x509.h>

#include <cstdint>
#include <string>

namespace erpmail {

enum class CertificatePurpose {
    Signing,    ///< the account signs its mail with it
    Encryption, ///< mail to its address is encrypted to it
};

/// Why `certificate` cannot serve `email` for `purpose` at `nowMs`, as a
/// sentence; empty when it can. It must be valid then, be issued to the
/// address (an rfc822Name or the subject's e-mail), carry emailProtection
/// when its CA set extended key usages, and digitalSignature (signing) or
/// keyEncipherment (encryption) when its CA set key usages.
std::string unusableBecause(X509* certificate, const std::string& email, CertificatePurpose purpose,
                            std::int64_t nowMs);

} // namespace erpmail
