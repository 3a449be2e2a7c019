// Crash points for the tests that show what survives a crash: the test sets
// ERPMAIL_TEST_CRASH_AFTER to a point's name, and the process ends there as
// kill -9 would end it. Only test builds (ERPMAIL_TESTS) have them.
//
// Points:
//   event-commit  events are committed and not yet handed to the host
//                 (Context::deliverEvents, when it finds any)
//   retention-batch  a batch of a maintenance run is committed, the next
//                 not begun (MaintenanceRun)
#pragma once

#ifdef ERPMAIL_FAULT_POINTS
#include <csignal>
#include <cstdlib>
#include <cstring>
#endif

namespace erpmail {

/// Test builds: kills the process with SIGKILL when $ERPMAIL_TEST_CRASH_AFTER
/// is `name`. Elsewhere a no-op.
inline void crashPoint([[maybe_unused]] const char* name)
{
#ifdef ERPMAIL_FAULT_POINTS
    const char* wanted = std::getenv("ERPMAIL_TEST_CRASH_AFTER");
    if (wanted && std::strcmp(wanted, name) == 0) std::raise(SIGKILL);
#endif
}

} // namespace erpmail
