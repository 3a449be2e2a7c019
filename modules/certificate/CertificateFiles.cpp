#include "certificate/CertificateFiles.h"

#include "certificate/CmsHandles.h"
#include "encoding/Hex.h"
#include "erpmail/OperationError.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>

namespace erpmail {

using smime::Bio;
using smime::drain;
using smime::memory;

CertificateFile readCertificateFile(const std::string& bytes, const std::optional<std::string>& password,
                                    const std::string& field)
{
    CertificateFile file;
    if (bytes.find("-----BEGIN") != std::string::npos) {
        Bio in = memory(bytes);
        while (X509* c = PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr)) {
            if (!file.leaf) file.leaf.reset(c);
            else file.chain.emplace_back(c);
        }
        ERR_clear_error();
        if (!file.leaf) throw invalidParam(field, field + " holds no certificate: its PEM text is broken or cut");
        return file;
    }
    {
        const unsigned char* p = reinterpret_cast<const unsigned char*>(bytes.data());
        X509* c = d2i_X509(nullptr, &p, static_cast<long>(bytes.size()));
        if (c && p == reinterpret_cast<const unsigned char*>(bytes.data()) + bytes.size()) {
            file.leaf.reset(c);
            return file;
        }
        X509_free(c);
    }
    ERR_clear_error();
    const unsigned char* p = reinterpret_cast<const unsigned char*>(bytes.data());
    PKCS12* p12 = d2i_PKCS12(nullptr, &p, static_cast<long>(bytes.size()));
    if (!p12) {
        ERR_clear_error();
        throw invalidParam(field, field + " is no certificate: neither PEM, DER nor PKCS#12, or it is cut");
    }
    const std::string pass = password.value_or("");
    if (!PKCS12_verify_mac(p12, pass.c_str(), static_cast<int>(pass.size()))) {
        PKCS12_free(p12);
        ERR_clear_error();
        throw invalidParam("password", password ? "the PKCS#12 password is wrong" : "the PKCS#12 file needs its password");
    }
    EVP_PKEY* key = nullptr;
    X509* leaf = nullptr;
    STACK_OF(X509)* ca = nullptr;
    const int ok = PKCS12_parse(p12, pass.c_str(), &key, &leaf, &ca);
    PKCS12_free(p12);
    if (!ok || !leaf) {
        EVP_PKEY_free(key);
        X509_free(leaf);
        sk_X509_pop_free(ca, X509_free);
        ERR_clear_error();
        throw invalidParam(field, field + " is a PKCS#12 file without a certificate, or a damaged one");
    }
    file.leaf.reset(leaf);
    file.key.reset(key);
    for (int i = 0; i < sk_X509_num(ca); ++i) file.chain.emplace_back(sk_X509_value(ca, i));
    sk_X509_free(ca);
    return file;
}

std::string derOf(X509* certificate)
{
    unsigned char* out = nullptr;
    int n = i2d_X509(certificate, &out);
    std::string der(reinterpret_cast<char*>(out), n > 0 ? static_cast<std::size_t>(n) : 0);
    OPENSSL_free(out);
    return der;
}

std::string pemOf(X509* certificate)
{
    Bio out(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(out.get(), certificate);
    return drain(out.get());
}

std::string fingerprintOf(X509* certificate)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    X509_digest(certificate, EVP_sha256(), md, &n);
    return encoding::hexOf(md, n);
}

X509* certificateFromDer(const std::string& der)
{
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    return d2i_X509(nullptr, &p, static_cast<long>(der.size()));
}

std::vector<smime::Certificate> certificatesFromDer(const std::string& ders)
{
    std::vector<smime::Certificate> out;
    const unsigned char* p = reinterpret_cast<const unsigned char*>(ders.data());
    const unsigned char* end = p + ders.size();
    while (p < end) {
        X509* c = d2i_X509(nullptr, &p, static_cast<long>(end - p));
        if (!c) break;
        out.emplace_back(c);
    }
    ERR_clear_error();
    return out;
}

std::string keyDerOf(EVP_PKEY* key)
{
    // On OpenSSL's secure heap, wiped when freed: only the caller's copy stays.
    Bio out(BIO_new(BIO_s_secmem()));
    if (!out || i2d_PKCS8PrivateKey_bio(out.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        throw OperationError("unavailable", "the private key could not be read out to be sealed");
    return drain(out.get());
}

smime::PrivateKey keyFromDer(const std::string& der)
{
    Bio in = memory(der);
    return smime::PrivateKey(d2i_PrivateKey_bio(in.get(), nullptr));
}

std::string pkcs12Of(X509* certificate, const std::vector<X509*>& chain, EVP_PKEY* key, const std::string& password)
{
    STACK_OF(X509)* ca = sk_X509_new_null();
    for (X509* c : chain) sk_X509_push(ca, c);
    PKCS12* p12 = PKCS12_create(password.c_str(), nullptr, key, certificate, ca, NID_aes_256_cbc, NID_aes_256_cbc,
                                0, 0, 0);
    sk_X509_free(ca);
    if (!p12) throw OperationError("unavailable", "the PKCS#12 file could not be made");
    Bio out(BIO_new(BIO_s_mem()));
    const int written = i2d_PKCS12_bio(out.get(), p12);
    PKCS12_free(p12);
    if (written != 1) throw OperationError("unavailable", "the PKCS#12 file could not be written");
    return drain(out.get());
}

} // namespace erpmail
