#include "certificate/SmimeTrust.h"

#include "certificate/CertificateFiles.h"
#include "erpmail/SystemTrust.h"
#include "store/CertificateRepository.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <chrono>

namespace erpmail::smime {

namespace {

std::int64_t steadyMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

} // namespace

TrustAnchors SmimeTrust::anchors()
{
    std::lock_guard<std::mutex> lock(mutex_);
    const std::int64_t now = steadyMs();
    if (!cached_ || now - builtAtMs_ > 60000) {
        TrustAnchors store(X509_STORE_new());
        // The system's CAs as a chain names them: parsing the whole bundle
        // cost more than verifying a fetch's signatures.
        trustSystemCertificates(store.get());
        try {
            auto system = context_.databases().acquire(context_.systemDatabaseId(), store::Scope::System);
            for (const auto& record : store::CertificateRepository(*system).list("", std::nullopt)) {
                Certificate c(certificateFromDer(record.der));
                // Only a CA certificate is an anchor; a signer's own certificate in the store proves nothing.
                if (c && X509_check_ca(c.get()) > 0) X509_STORE_add_cert(store.get(), c.get());
            }
        } catch (const std::exception&) {
            // The plugin's store is out of reach: the system's CAs alone.
        }
        ERR_clear_error();
        cached_ = std::move(store);
        builtAtMs_ = now;
    }
    X509_STORE_up_ref(cached_.get());
    return TrustAnchors(cached_.get());
}

} // namespace erpmail::smime
