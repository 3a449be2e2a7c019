// TLS for every transport: strict verification by default, and errors that
// say which check failed.
#pragma once

#include <Poco/Net/Context.h>

#include <stdexcept>
#include <string>

namespace erpmail::transport {

/// TLS could not be established; message says why, in words an admin acts on.
class TlsError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct TlsSettings {
    /// Extra CA certificates (PEM file) to trust beside the system's, for a private CA.
    std::string caFile;
    /// Verify chain and host name. Turning it off is for diagnosis only.
    bool verify = true;
};

/// A client context for one connection to host: TLS 1.2 or later, system
/// CAs plus caFile, chain and host name (DNS name or IP address in
/// subjectAltName only, never the subject's CN: RFC 6125)
/// verified by OpenSSL during the handshake.
Poco::Net::Context::Ptr makeClientContext(const TlsSettings& settings, const std::string& host);

/// Forgets the verification result of an earlier handshake on this thread.
/// Call before each handshake whose failure rethrowTlsFailure() explains.
void clearTlsVerifyResult();

/// Turns an exception thrown while establishing TLS to host:port into a
/// TlsError that names the failed check (expired, self-signed, unknown CA,
/// wrong host name). Call it from inside the catch block.
[[noreturn]] void rethrowTlsFailure(const std::string& host, unsigned port);

} // namespace erpmail::transport
