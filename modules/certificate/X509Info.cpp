#include "certificate/X509Info.h"

#include "erpmail/OperationError.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>

namespace erpmail {

namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const { Free(p); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;

std::string nameText(const X509_NAME* name)
{
    BioPtr bio(BIO_new(BIO_s_mem()));
    X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

std::int64_t toMs(const ASN1_TIME* t)
{
    struct tm tm {};
    if (ASN1_TIME_to_tm(t, &tm) != 1) return 0;
    return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

std::string toIso(const ASN1_TIME* t)
{
    struct tm tm {};
    if (ASN1_TIME_to_tm(t, &tm) != 1) return {};
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

} // namespace

X509Info X509Info::fromPem(const std::string& pem, const std::string& field)
{
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) throw invalidParam(field, field + " holds no PEM certificate");

    X509Info info;
    info.subject = nameText(X509_get_subject_name(cert.get()));
    info.issuer = nameText(X509_get_issuer_name(cert.get()));
    if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr)) {
        char* hex = BN_bn2hex(bn);
        info.serialHex = hex ? hex : "";
        OPENSSL_free(hex);
        BN_free(bn);
    }
    info.notBeforeMs = toMs(X509_get0_notBefore(cert.get()));
    info.notAfterMs = toMs(X509_get0_notAfter(cert.get()));
    info.notBeforeIso = toIso(X509_get0_notBefore(cert.get()));
    info.notAfterIso = toIso(X509_get0_notAfter(cert.get()));
    info.selfSigned = X509_check_issued(cert.get(), cert.get()) == X509_V_OK;

    if (STACK_OF(OPENSSL_STRING)* emails = X509_get1_email(cert.get())) {
        for (int i = 0; i < sk_OPENSSL_STRING_num(emails); ++i) info.emails.push_back(sk_OPENSSL_STRING_value(emails, i));
        X509_email_free(emails);
    }
    return info;
}

} // namespace erpmail
