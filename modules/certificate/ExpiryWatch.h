// certificate.expiring in a long-running host: once a day for each stored
// certificate that expires within 30 days.
#pragma once

#include "erpmail/Context.h"
#include "erpmail/PeriodicWorker.h"

#include <cstddef>

namespace erpmail {

class ExpiryWatch {
public:
    explicit ExpiryWatch(Context& context)
        : context_(context), worker_(context, "erpmail.certificate", "the look for expiring certificates failed")
    {
    }

    /// Looks at once and then every erpmail.certificate.expiry_check_seconds
    /// (default 3600) on its own thread, unless the host runs no background
    /// work (erp.host.background).
    void start();
    /// Stops and joins it; a look in progress finishes first.
    void stop() noexcept { worker_.stop(); }

    /// Records and hands over certificate.expiring for every certificate of
    /// the stores that expires within 30 days and had none today (host
    /// clock, UTC days): the day's notice commits with its event, so that
    /// hosts sharing the system database report it once. Returns how many.
    /// Throws StoreError.
    std::size_t lookOnce();

private:
    Context& context_;
    PeriodicWorker worker_;
};

} // namespace erpmail
