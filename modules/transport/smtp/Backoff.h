// How long a mail that failed for now waits before its next attempt.
#pragma once

#include <cstdint>

namespace erpmail {

/// The wait after a mail's `attempts`-th attempt failed for now, in
/// milliseconds: erpmail.outbox.retry_base_seconds doubled per attempt
/// before it, at most an hour, at least a millisecond.
std::int64_t retryDelayMs(int retryBaseSeconds, int attempts);

} // namespace erpmail
