// The system's trusted CAs for a certificate store: TLS connections and
// S/MIME signatures check their chains against the same ones.
#pragma once

#include <openssl/x509_vfy.h>

namespace erpmail {

/// Lets `store` find the system's trusted CAs: those of a hashed directory
/// (SSL_CERT_DIR, else OpenSSL's default) read one by one as a chain names
/// them, and those of the bundle (SSL_CERT_FILE, else OpenSSL's default
/// file) parsed once per process, the first time a chain needs a CA that
/// neither the store's own certificates nor the directory hold. With
/// SSL_CERT_FILE set the bundle is asked before the directory. Thread-safe.
void trustSystemCertificates(X509_STORE* store);

} // namespace erpmail
