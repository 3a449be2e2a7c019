// The connection test behind the admin's "test connection" button: connect,
// TLS, greeting and capabilities, each step reported.
#pragma once

#include "transport/common/LineChannel.h"

#include <Poco/JSON/Object.h>

#include <string>
#include <vector>

namespace erpmail::transport {

enum class Protocol { Smtp, Pop3, Imap };

struct ProbeRequest {
    Protocol protocol = Protocol::Imap;
    std::string host;
    unsigned port = 0;
    Security security = Security::Tls;
    TlsSettings tls;
    int timeoutSeconds = 15;
    /// When set, the probe also logs in (only over TLS) and reports it.
    std::string user;
    std::string password;
};

struct ProbeStep {
    std::string name;   ///< connect, tls, greeting, capabilities, starttls
    bool ok = false;
    std::string detail; ///< what the server said, or why the step failed
    long long ms = 0;
};

struct ProbeResult {
    bool ok = false;
    std::string greeting;
    std::vector<std::string> capabilities; ///< as offered after TLS, when TLS was used
    std::string tls;                       ///< protocol and cipher, empty without TLS
    std::vector<ProbeStep> steps;

    Poco::JSON::Object::Ptr toJson() const;
};

/// Runs the probe. Never throws for a server-side failure: the failed step
/// carries the reason and ok is false.
ProbeResult probeServer(const ProbeRequest& request);

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

/// The "mail.<protocol>.probe" operation: runs probeServer() with the
/// caller's params and logs the outcome. Admins only.
Operation probeOperation(Context& context, Protocol protocol, const std::string& name, const std::string& summary);

} // namespace erpmail::transport
