// TLS for every transport: strict verification by default, and errors that
// say which check failed.
#pragma once

#include <Poco/JSON/Object.h>
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
    /// Extra CA certificates as PEM text, beside caFile and the system's.
    std::string caPem;
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

/// Throws TlsError ("<what> holds no PEM certificate ...") unless pem is
/// one or more PEM certificates.
void checkCaCertificates(const std::string& pem, const std::string& what);

/// Reads the trust anchors of a server block of operation params ("ca": PEM
/// text, "ca_file": a file of the server) into tls, naming fields with
/// prefix ("incoming."). Naming a file is an admin's tool: anyone else gets
/// forbidden before the path is looked at, unless it is storedCaFile (the
/// path already saved) unchanged. Throws OperationError(invalid_params) for
/// a file that is no regular file of at most 1 MiB, or PEM without a
/// certificate.
void readTrustAnchorParams(const Poco::JSON::Object& block, const std::string& prefix, bool userIsAdmin,
                           TlsSettings& tls, const std::string& storedCaFile = {});

} // namespace erpmail::transport
