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
    return of(cert.get());
}

X509Info X509Info::of(X509* certificate)
{
    X509* c = certificate;
    X509Info info;
    info.subject = nameText(X509_get_subject_name(c));
    info.issuer = nameText(X509_get_issuer_name(c));
    if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(c), nullptr)) {
        char* hex = BN_bn2hex(bn);
        info.serialHex = hex ? hex : "";
        OPENSSL_free(hex);
        BN_free(bn);
    }
    info.notBeforeMs = toMs(X509_get0_notBefore(c));
    info.notAfterMs = toMs(X509_get0_notAfter(c));
    info.notBeforeIso = toIso(X509_get0_notBefore(c));
    info.notAfterIso = toIso(X509_get0_notAfter(c));
    info.selfSigned = X509_check_issued(c, c) == X509_V_OK;

    if (STACK_OF(OPENSSL_STRING)* emails = X509_get1_email(c)) {
        for (int i = 0; i < sk_OPENSSL_STRING_num(emails); ++i) info.emails.push_back(sk_OPENSSL_STRING_value(emails, i));
        X509_email_free(emails);
    }
    const uint32_t ku = X509_get_key_usage(c);
    if (ku != UINT32_MAX) {
        const std::pair<uint32_t, const char*> names[] = {
            {KU_DIGITAL_SIGNATURE, "digital_signature"}, {KU_NON_REPUDIATION, "non_repudiation"},
            {KU_KEY_ENCIPHERMENT, "key_encipherment"},   {KU_DATA_ENCIPHERMENT, "data_encipherment"},
            {KU_KEY_AGREEMENT, "key_agreement"},         {KU_KEY_CERT_SIGN, "key_cert_sign"},
            {KU_CRL_SIGN, "crl_sign"}};
        for (const auto& [bit, name] : names)
            if (ku & bit) info.keyUsage.push_back(name);
    }
    const uint32_t xku = X509_get_extended_key_usage(c);
    if (xku != UINT32_MAX) {
        const std::pair<uint32_t, const char*> names[] = {
            {XKU_SMIME, "email_protection"}, {XKU_SSL_CLIENT, "client_auth"}, {XKU_SSL_SERVER, "server_auth"},
            {XKU_CODE_SIGN, "code_signing"}, {XKU_TIMESTAMP, "time_stamping"}};
        for (const auto& [bit, name] : names)
            if (xku & bit) info.extendedKeyUsage.push_back(name);
    }
    return info;
}

} // namespace erpmail
