// The outbox's backoff: exponential, capped, never zero.
#include "transport/smtp/Backoff.h"

#include <algorithm>

namespace erpmail {

std::int64_t retryDelayMs(int retryBaseSeconds, int attempts)
{
    const std::int64_t seconds =
        std::min<std::int64_t>(3600, static_cast<std::int64_t>(retryBaseSeconds) << std::min(attempts - 1, 12));
    return std::max<std::int64_t>(1, seconds * 1000);
}

} // namespace erpmail
