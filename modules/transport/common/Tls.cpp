#include "transport/common/Tls.h"

#include "erpmail/ServerFile.h"
#include "erpmail/SystemTrust.h"
#include "transport/common/ServerText.h"

#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>


#include <memory>
#include <vector>

namespace erpmail::transport {

namespace {

// The verification error of the last handshake on this thread. OpenSSL's
// error queue only says "certificate verify failed"; the reason (expired,
// self-signed, ...) is known only inside the verify callback.
thread_local int t_verifyError = X509_V_OK;
// Whether the certificate whose name did not match has no subjectAltName at
// all: then the reason is that its name stands only in the subject (CN).
thread_local bool t_noSubjectAltName = false;

int recordVerifyResult(int preverifyOk, X509_STORE_CTX* store)
{
    if (!preverifyOk && t_verifyError == X509_V_OK) {
        t_verifyError = X509_STORE_CTX_get_error(store);
        if (t_verifyError == X509_V_ERR_HOSTNAME_MISMATCH || t_verifyError == X509_V_ERR_IP_ADDRESS_MISMATCH) {
            X509* leaf = X509_STORE_CTX_get0_cert(store);
            t_noSubjectAltName = leaf && X509_get_ext_by_NID(leaf, NID_subject_alt_name, -1) < 0;
        }
    }
    return preverifyOk;
}

// Adds every certificate of pem to store (when given); throws TlsError,
// prefixed by what, when pem holds none or a broken one.
void addCaCertificates(const std::string& pem, X509_STORE* store, const std::string& what)
{
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    int count = 0;
    ERR_clear_error();
    while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
        ++count;
        const int added = store ? X509_STORE_add_cert(store, cert) : 1;
        X509_free(cert);
        if (added != 1) {
            ERR_clear_error();
            throw TlsError(what + ": a certificate could not be trusted");
        }
    }
    const unsigned long error = ERR_peek_last_error();
    ERR_clear_error();
    // Reading ends with "no start line" once no further certificate follows.
    if (count == 0 || ERR_GET_REASON(error) != PEM_R_NO_START_LINE)
        throw TlsError(what + (count == 0 ? " holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
                                          : " holds a certificate that cannot be read"));
}

void trustCaCertificates(Poco::Net::Context& context, const TlsSettings& settings)
{
    X509_STORE* store = SSL_CTX_get_cert_store(context.sslContext());
    if (!settings.caFile.empty()) {
        std::string pem;
        try {
            pem = readServerFile(settings.caFile, kMaxCertificateFileBytes);
        } catch (const ServerFileError& e) {
            throw TlsError(std::string("the CA file (ca_file) cannot be used: ") + e.what());
        }
        addCaCertificates(pem, store, "the CA file " + settings.caFile);
    }
    if (!settings.caPem.empty()) addCaCertificates(settings.caPem, store, "the CA text (ca)");
}

} // namespace

Poco::Net::Context::Ptr makeClientContext(const TlsSettings& settings, const std::string& host)
{
    Poco::Net::Context::Params params;
    params.verificationMode = settings.verify ? Poco::Net::Context::VERIFY_STRICT : Poco::Net::Context::VERIFY_NONE;
    params.loadDefaultCAs = false; // trustSystemCertificates, below
    params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4";
    Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    trustSystemCertificates(SSL_CTX_get_cert_store(context->sslContext()));
    trustCaCertificates(*context, settings);
    // Replaces Poco's callback, which would consult a process-wide
    // certificate handler; this one only records why verification failed.
    if (settings.verify) {
        SSL_CTX_set_verify(context->sslContext(), SSL_VERIFY_PEER, &recordVerifyResult);
        // OpenSSL checks the name as part of the chain (IP SANs included);
        // Poco's later check only knows DNS names, so it is turned off.
        // The subject's CN is never consulted (RFC 6125 section 6.4.4):
        // only names in subjectAltName count.
        X509_VERIFY_PARAM* param = SSL_CTX_get0_param(context->sslContext());
        X509_VERIFY_PARAM_set_hostflags(param,
                                        X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
        if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1)
            X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    }
    context->enableExtendedCertificateVerification(false);
    return context;
}

void clearTlsVerifyResult()
{
    t_verifyError = X509_V_OK;
    t_noSubjectAltName = false;
}

void rethrowTlsFailure(const std::string& host, unsigned port)
{
    const std::string where = host + ":" + std::to_string(port);
    const int verifyError = t_verifyError;
    const bool noSubjectAltName = t_noSubjectAltName;
    clearTlsVerifyResult();
    try {
        throw;
    } catch (const Poco::Net::CertificateValidationException& e) {
        throw TlsError("TLS refused for " + where + ": the certificate is not valid for host name '" + host + "' (" +
                       serverText(e.message()) + ")");
    } catch (const Poco::Net::SSLException& e) {
        if (verifyError != X509_V_OK) {
            std::string reason = X509_verify_cert_error_string(verifyError);
            std::string kind;
            switch (verifyError) {
            case X509_V_ERR_CERT_HAS_EXPIRED: kind = "the server's certificate has expired"; break;
            case X509_V_ERR_CERT_NOT_YET_VALID: kind = "the server's certificate is not valid yet"; break;
            case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
            case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN: kind = "the server's certificate is self-signed"; break;
            case X509_V_ERR_HOSTNAME_MISMATCH:
            case X509_V_ERR_IP_ADDRESS_MISMATCH:
                if (noSubjectAltName)
                    kind = "the server's certificate for " + host + " has no subjectAltName; a name only in its " +
                           "subject (CN) is not accepted (RFC 6125): the server needs a certificate that lists " +
                           host + " in subjectAltName";
                else
                    kind = "the server's certificate is not valid for host name '" + host + "'";
                break;
            case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
            case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
                kind = "the server's certificate comes from an unknown certificate authority";
                break;
            default: kind = "the server's certificate was not accepted"; break;
            }
            throw TlsError("TLS refused for " + where + ": " + kind + " (" + reason + ")");
        }
        throw TlsError("TLS failed with " + where + ": " + serverText(e.displayText()));
    } catch (const Poco::Exception& e) {
        throw TlsError("TLS failed with " + where + ": " + serverText(e.displayText()));
    }
}

void checkCaCertificates(const std::string& pem, const std::string& what)
{
    addCaCertificates(pem, nullptr, what);
}

void readTrustAnchorParams(const Poco::JSON::Object& block, const std::string& prefix, bool userIsAdmin,
                           TlsSettings& tls, const std::string& storedCaFile)
{
    tls.caPem = block.optValue<std::string>("ca", "");
    if (!tls.caPem.empty()) {
        try {
            checkCaCertificates(tls.caPem, prefix + "ca");
        } catch (const TlsError& e) {
            throw invalidParam(prefix + "ca", e.what());
        }
    }
    tls.caFile = block.optValue<std::string>("ca_file", "");
    if (tls.caFile.empty() || (tls.caFile == storedCaFile && !userIsAdmin)) return;
    const std::string field = prefix + "ca_file";
    const std::string pem = readServerFileParam(userIsAdmin, tls.caFile, kMaxCertificateFileBytes, field);
    try {
        checkCaCertificates(pem, field + ": " + tls.caFile);
    } catch (const TlsError& e) {
        throw invalidParam(field, e.what());
    }
}

} // namespace erpmail::transport
