// What a received signature's chain must reach: the system's CA
// certificates (OpenSSL's default paths, /etc/ssl/certs) and the CA
// certificates an admin imported into the plugin's store.
#pragma once

#include "erpmail/Context.h"

#include <openssl/x509_vfy.h>

#include <cstdint>
#include <memory>
#include <mutex>

namespace erpmail::smime {

struct StoreFree {
    void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
using TrustAnchors = std::unique_ptr<X509_STORE, StoreFree>;

class SmimeTrust {
public:
    explicit SmimeTrust(Context& context) : context_(context) {}

    /// The trust anchors, built again when older than a minute (a CA just
    /// imported counts from then on). Thread-safe. Without a reachable
    /// system database, the system's CAs alone.
    TrustAnchors anchors();

private:
    Context& context_;
    std::mutex mutex_;
    TrustAnchors cached_;
    std::int64_t builtAtMs_ = 0;
};

} // namespace erpmail::smime
