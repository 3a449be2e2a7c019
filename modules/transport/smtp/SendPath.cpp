// The outbox settings as the host's configuration gives them, and the name
// a sender puts on its claims.
#include "transport/smtp/SendPath.h"

#include "store/RandomId.h"

#include <Poco/Environment.h>
#include <Poco/Process.h>

#include <climits>

namespace erpmail {

OutboxSettings readOutboxSettings(const Context& context)
{
    OutboxSettings s;
    // The host says whether it runs long enough for background work
    // (erp.host.background); erpmail.outbox.worker overrides it.
    s.worker = configFlag(context, "erpmail.outbox.worker", configFlag(context, "erp.host.background", true));
    s.pollMs = configInt(context, "erpmail.outbox.poll_ms", 1000, 50, INT_MAX);
    s.leaseSeconds = configInt(context, "erpmail.outbox.lease_seconds", 300, 1, INT_MAX);
    s.maxAttempts = configInt(context, "erpmail.outbox.max_attempts", 8, 1, INT_MAX);
    s.retryBaseSeconds = configInt(context, "erpmail.outbox.retry_base_seconds", 60, 0, INT_MAX);
    s.batch = configInt(context, "erpmail.outbox.batch", 200, 1, 10000);
    s.connections = configInt(context, "erpmail.smtp.connections", 2, 1, 32);
    s.timeoutSeconds = configInt(context, "erpmail.smtp.timeout_seconds", 60, 1, 3600);
    auto wait = [&](const char* name, int fallback) {
        return configInt(context, std::string("erpmail.smtp.") + name + "_timeout_seconds", fallback, 1, 86400);
    };
    s.timeouts.greeting = wait("greeting", 300);
    s.timeouts.mail = wait("mail", 300);
    s.timeouts.rcpt = wait("rcpt", 300);
    s.timeouts.data = wait("data", 120);
    s.timeouts.dataBlock = wait("data_block", 180);
    s.timeouts.dataEnd = wait("data_end", 600);
    s.recordRetrySeconds = configInt(context, "erpmail.outbox.record_retry_seconds", 900, 0, 86400);
    s.maxMessageMb = configInt(context, "erpmail.send.max_message_mb", 64, 1, 2048);
    return s;
}

std::string newClaimOwner()
{
    return Poco::Environment::nodeName() + ":" + std::to_string(Poco::Process::id()) + ":" +
           store::randomUuid().substr(0, 8);
}

} // namespace erpmail
