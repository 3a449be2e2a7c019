// The connection test behind the admin's "test connection" button: the
// protocol's own session (the one that fetches or sends) runs up to its
// capabilities, each step reported.
#pragma once

#include "erpmail/OperationError.h"
#include "erpmail/StepReport.h"
#include "transport/common/LineChannel.h"

#include <Poco/JSON/Object.h>

#include <functional>
#include <string>

namespace erpmail::transport {

enum class Protocol { Smtp, Pop3, Imap };

struct ProbeRequest {
    Protocol protocol = Protocol::Imap;
    std::string host;
    unsigned port = 0;
    Security security = Security::Tls;
    TlsSettings tls;
    int timeoutSeconds = 15;
};

/// A protocol's probe: runs its session without signing in (connect, TLS,
/// greeting, capabilities, STARTTLS and capabilities again) and says
/// goodbye. Each protocol module gives its own; probeSession() runs it.
using SessionProbe = std::function<void(const ProbeRequest& request, StepReport& report)>;

/// Runs `probe` for `request`. Never throws for a server-side failure: the
/// failed step carries the reason and the report is not ok().
StepReport probeSession(const ProbeRequest& request, const SessionProbe& probe);

/// A session's settings for a probe: the request's server, no sign-in,
/// steps reported into `report`.
template <class Settings> Settings probeSettings(const ProbeRequest& request, StepReport& report)
{
    Settings settings;
    settings.host = request.host;
    settings.port = request.port;
    settings.security = request.security;
    settings.tls = request.tls;
    settings.timeoutSeconds = request.timeoutSeconds;
    settings.authenticate = false;
    settings.report = &report;
    return settings;
}

/// Runs a session's set-up (`open`, which reports into `report`) and
/// whatever else it does, then closes the last step: as succeeded, or as
/// failed with the reason of any exception but an OperationError, which
/// propagates (nothing was tried: a missing password, say). What fails
/// before the first step (buying an OAuth token) is a failed "login".
template <class Fn> void runReported(StepReport& report, Fn&& open)
{
    try {
        open();
        report.succeed();
    } catch (const OperationError&) {
        throw;
    } catch (const std::exception& e) {
        report.fail(e.what(), "login");
    }
}

/// Reads {host, port, security, ca, ca_file, timeout_seconds} operation
/// params; port defaults by protocol and security. ca_file is for admins
/// (see readTrustAnchorParams).
ProbeRequest probeRequestFromParams(Protocol protocol, const Poco::JSON::Object::Ptr& params, bool userIsAdmin);

/// The JSON Schema of those params.
const char* probeParamsSchema();

} // namespace erpmail::transport

#include "erpmail/Context.h"
#include "erpmail/Module.h"

namespace erpmail::transport {

/// The "mail.<protocol>.probe" operation: runs `probe` with the caller's
/// params and logs the outcome. Admins only.
Operation probeOperation(Context& context, Protocol protocol, const std::string& name, const std::string& summary,
                         SessionProbe probe);

} // namespace erpmail::transport
