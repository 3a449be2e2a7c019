#include "certificate/Smime.h"

#include "certificate/CertificateFiles.h"
#include "certificate/MimeEntity.h"
#include "certificate/X509Info.h"
#include "mime/MessageComposer.h"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/String.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <sstream>

namespace erpmail::smime {

namespace {

template <class T, void (*Free)(T*)> struct Freer {
    void operator()(T* p) const { Free(p); }
};
using Bio = std::unique_ptr<BIO, Freer<BIO, BIO_free_all>>;
using Cms = std::unique_ptr<CMS_ContentInfo, Freer<CMS_ContentInfo, CMS_ContentInfo_free>>;
using StoreCtx = std::unique_ptr<X509_STORE_CTX, Freer<X509_STORE_CTX, X509_STORE_CTX_free>>;

void freeCerts(STACK_OF(X509) * s) { sk_X509_pop_free(s, X509_free); }
void freeCertRefs(STACK_OF(X509) * s) { sk_X509_free(s); }
using Certs = std::unique_ptr<STACK_OF(X509), Freer<STACK_OF(X509), freeCerts>>;
using CertRefs = std::unique_ptr<STACK_OF(X509), Freer<STACK_OF(X509), freeCertRefs>>;

std::string opensslError(const std::string& what)
{
    unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (!code) return what;
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return what + ": " + text;
}

Bio memory(const std::string& bytes)
{
    return Bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

std::string drain(BIO* bio)
{
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(n));
}

std::string base64Lines(const std::string& der)
{
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(76);
    encoder << der;
    encoder.close();
    std::string b64 = out.str();
    std::string crlf;
    for (char c : b64) {
        if (c == '\r') continue;
        if (c == '\n') crlf += "\r\n";
        else crlf += c;
    }
    return crlf + "\r\n";
}

std::string unbase64(const std::string& text)
{
    std::string clean;
    for (char c : text)
        if (!std::isspace(static_cast<unsigned char>(c))) clean += c;
    std::istringstream in(clean);
    Poco::Base64Decoder decoder(in);
    try {
        return std::string((std::istreambuf_iterator<char>(decoder)), std::istreambuf_iterator<char>());
    } catch (const Poco::Exception&) {
        throw SmimeError("the S/MIME part's base64 is broken");
    }
}

std::string randomBoundary(const char* kind)
{
    unsigned char bytes[12];
    RAND_bytes(bytes, sizeof bytes);
    static const char* hex = "0123456789abcdef";
    std::string b = std::string("----=_erpmail_") + kind + "_";
    for (unsigned char c : bytes) {
        b += hex[c >> 4];
        b += hex[c & 15];
    }
    return b;
}

void requireCanonical(const std::string& s)
{
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
            throw SmimeError("the entity has a bare LF at byte " + std::to_string(i) + ": it must be in CRLF form");
        if (s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n'))
            throw SmimeError("the entity has a bare CR at byte " + std::to_string(i) + ": it must be in CRLF form");
    }
}

int rank(const std::string& status)
{
    if (status == "invalid") return 3;
    if (status == "untrusted") return 2;
    if (status == "weak") return 1;
    return 0;
}

// The signature of one signer over `content`: its signed attributes' own
// signature, and the message digest they carry against the content's.
std::string signatureProblem(CMS_SignerInfo* si, const std::string& content, const EVP_MD* md)
{
    if (CMS_signed_get_attr_count(si) <= 0) return "the signature carries no signed attributes";
    if (CMS_SignerInfo_verify(si) != 1) return opensslError("the signature does not hold");
    ASN1_OCTET_STRING* digest = static_cast<ASN1_OCTET_STRING*>(
        CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING));
    if (!digest) return "the signature carries no message digest";
    unsigned char mine[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!md || EVP_Digest(content.data(), content.size(), mine, &length, md, nullptr) != 1)
        return "the signature's digest algorithm is not supported";
    if (static_cast<int>(length) != ASN1_STRING_length(digest) ||
        std::memcmp(mine, ASN1_STRING_get0_data(digest), length) != 0)
        return "the content was changed after it was signed";
    return {};
}

// Each one costs a public-key operation: a mail cannot make its check unbounded.
constexpr int kMaxSigners = 16;

// Each signer of `cms` over v.content: its signature, the From binding, its
// chain; the worst of them is the entity's status.
void checkSigners(CMS_ContentInfo* cms, Verification& v, X509_STORE* trust, const std::string& fromEmail,
                  std::int64_t nowMs)
{
    STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms);
    if (!infos || sk_CMS_SignerInfo_num(infos) == 0) {
        v.status = "invalid";
        v.reason = "the signature names no signer";
        return;
    }
    if (sk_CMS_SignerInfo_num(infos) > kMaxSigners) {
        v.status = "invalid";
        v.reason = "the signature names more than " + std::to_string(kMaxSigners) + " signers";
        return;
    }
    Certs carried(CMS_get1_certs(cms));
    CMS_set1_signers_certs(cms, nullptr, 0);
    ERR_clear_error();
    const std::string from = Poco::toLower(fromEmail);
    int worst = 0;
    for (int i = 0; i < sk_CMS_SignerInfo_num(infos); ++i) {
        CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, i);
        SignerCheck check;
        X509* cert = nullptr;
        X509_ALGOR* digestAlg = nullptr;
        CMS_SignerInfo_get0_algs(si, nullptr, &cert, &digestAlg, nullptr);
        const ASN1_OBJECT* digestObj = nullptr;
        if (digestAlg) X509_ALGOR_get0(&digestObj, nullptr, nullptr, digestAlg);
        const int digestNid = digestObj ? OBJ_obj2nid(digestObj) : NID_undef;
        check.digest = digestNid == NID_undef ? "unknown" : Poco::toLower(std::string(OBJ_nid2sn(digestNid)));
        if (!cert) {
            check.status = "invalid";
            check.reason = "the signer's certificate is not in the signature";
        } else {
            const X509Info info = X509Info::of(cert);
            check.subject = info.subject;
            for (const auto& e : info.emails) check.emails.push_back(Poco::toLower(e));
            check.certificatePem = pemOf(cert);
            const std::string problem = signatureProblem(si, v.content, EVP_get_digestbynid(digestNid));
            if (!problem.empty()) {
                check.status = "invalid";
                check.reason = problem;
            } else if (std::find(check.emails.begin(), check.emails.end(), from) == check.emails.end()) {
                check.status = "invalid";
                check.reason = "the signer's certificate is not for " + fromEmail + ", the From address";
            } else {
                StoreCtx ctx(X509_STORE_CTX_new());
                X509_STORE_CTX_init(ctx.get(), trust, cert, carried.get());
                X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SMIME_SIGN);
                X509_STORE_CTX_set_time(ctx.get(), 0, static_cast<time_t>(nowMs / 1000));
                if (X509_verify_cert(ctx.get()) != 1) {
                    check.status = "untrusted";
                    check.reason = std::string("the signer's certificate: ") +
                                   X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
                } else if (digestNid == NID_sha1 || digestNid == NID_md5) {
                    check.status = "weak";
                    check.reason = "signed with " + check.digest + ", which no longer proves anything";
                } else {
                    check.status = "valid";
                }
            }
        }
        ERR_clear_error();
        if (rank(check.status) > worst) {
            worst = rank(check.status);
            v.reason = check.reason;
        }
        v.signers.push_back(std::move(check));
    }
    static const char* names[] = {"valid", "weak", "untrusted", "invalid"};
    v.status = names[worst];
}

} // namespace

std::string canonical(const std::string& text)
{
    return mime::toCrlf(text);
}

MessageParts splitMessage(const std::string& raw)
{
    const std::string message = canonical(raw);
    Headers h = readHeaders(message);
    MessageParts parts;
    std::string entityHeaders;
    // Fields are copied as written (folded lines kept): find each in the raw block.
    std::size_t at = 0;
    const std::size_t end = h.bodyAt;
    while (at < end) {
        std::size_t eol = message.find("\r\n", at);
        if (eol == std::string::npos || eol >= end) break;
        std::size_t next = eol + 2;
        while (next < end && (message[next] == ' ' || message[next] == '\t')) {
            std::size_t lineEnd = message.find("\r\n", next);
            next = lineEnd == std::string::npos || lineEnd >= end ? end : lineEnd + 2;
        }
        std::string whole = message.substr(at, next - at);
        if (whole == "\r\n") break;
        std::string name = Poco::toLower(whole.substr(0, whole.find(':')));
        if (name.compare(0, 8, "content-") == 0) entityHeaders += whole;
        else if (name != "mime-version") parts.outerHeaders += whole;
        at = next;
    }
    if (entityHeaders.empty()) entityHeaders = "Content-Type: text/plain; charset=us-ascii\r\n";
    parts.entity = entityHeaders + "\r\n" + message.substr(std::min(h.bodyAt, message.size()));
    return parts;
}

std::string joinMessage(const MessageParts& parts)
{
    return parts.outerHeaders + "MIME-Version: 1.0\r\n" + parts.entity;
}

std::string signEntity(const std::string& entity, const Signer& signer)
{
    requireCanonical(entity);
    if (!signer.certificate || !signer.key) throw SmimeError("no signing certificate and key");
    CertRefs chain(sk_X509_new_null());
    for (X509* c : signer.chain) sk_X509_push(chain.get(), c);
    const unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL;
    Cms cms(CMS_sign(nullptr, nullptr, chain.get(), nullptr, flags));
    if (!cms || !CMS_add1_signer(cms.get(), signer.certificate, signer.key, EVP_sha256(), CMS_BINARY))
        throw SmimeError(opensslError("the signature could not be made"));
    Bio content = memory(entity);
    if (CMS_final(cms.get(), content.get(), nullptr, CMS_DETACHED | CMS_BINARY) != 1)
        throw SmimeError(opensslError("the signature could not be made"));
    Bio der(BIO_new(BIO_s_mem()));
    i2d_CMS_bio(der.get(), cms.get());
    const std::string boundary = randomBoundary("signed");
    return "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256;\r\n"
           " boundary=\"" + boundary + "\"\r\n\r\n"
           "This is a cryptographically signed message in MIME format.\r\n\r\n"
           "--" + boundary + "\r\n" + entity + "\r\n--" + boundary + "\r\n" +
           "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n"
           "Content-Transfer-Encoding: base64\r\n"
           "Content-Disposition: attachment; filename=\"smime.p7s\"\r\n"
           "Content-Description: S/MIME Cryptographic Signature\r\n\r\n" +
           base64Lines(drain(der.get())) + "\r\n--" + boundary + "--\r\n";
}

std::string encryptEntity(const std::string& entity, const std::vector<X509*>& recipients, Cipher cipher)
{
    requireCanonical(entity);
    if (recipients.empty()) throw SmimeError("no recipient to encrypt to");
    CertRefs to(sk_X509_new_null());
    for (X509* c : recipients) sk_X509_push(to.get(), c);
    Bio content = memory(entity);
    const bool gcm = cipher == Cipher::Aes256Gcm;
    Cms cms(CMS_encrypt(to.get(), content.get(), gcm ? EVP_aes_256_gcm() : EVP_aes_256_cbc(), CMS_BINARY));
    if (!cms) throw SmimeError(opensslError("the mail could not be encrypted"));
    Bio der(BIO_new(BIO_s_mem()));
    i2d_CMS_bio(der.get(), cms.get());
    return std::string("Content-Type: application/pkcs7-mime; smime-type=") +
           (gcm ? "authEnveloped-data" : "enveloped-data") +
           "; name=\"smime.p7m\"\r\n"
           "Content-Transfer-Encoding: base64\r\n"
           "Content-Disposition: attachment; filename=\"smime.p7m\"\r\n"
           "Content-Description: S/MIME Encrypted Message\r\n\r\n" +
           base64Lines(drain(der.get()));
}

Verification verifySigned(const std::string& entity, X509_STORE* trust, const std::string& fromEmail,
                          std::int64_t nowMs)
{
    Headers h = readHeaders(entity);
    const std::string type = field(h, "Content-Type");
    if (mediaType(type) != "multipart/signed") throw SmimeError("the entity is no multipart/signed");
    const std::string boundary = parameter(type, "boundary");
    if (boundary.empty()) throw SmimeError("multipart/signed without a boundary");
    const std::string body = entity.substr(h.bodyAt);
    const std::string open = "--" + boundary;
    std::size_t first = body.compare(0, open.size(), open) == 0 ? 0 : body.find("\r\n" + open);
    if (first == std::string::npos) throw SmimeError("multipart/signed without its parts");
    if (first) first += 2;
    std::size_t contentAt = body.find("\r\n", first);
    if (contentAt == std::string::npos) throw SmimeError("multipart/signed is cut after its first boundary");
    contentAt += 2;
    std::size_t contentEnd = body.find("\r\n" + open, contentAt);
    if (contentEnd == std::string::npos) throw SmimeError("multipart/signed has no signature part");
    Verification v;
    v.content = body.substr(contentAt, contentEnd - contentAt);
    std::size_t sigAt = body.find("\r\n", contentEnd + 2);
    std::size_t sigEnd = sigAt == std::string::npos ? std::string::npos : body.find("\r\n" + open, sigAt);
    if (sigAt == std::string::npos || sigEnd == std::string::npos)
        throw SmimeError("multipart/signed: the signature part is cut");
    const std::string signaturePart = body.substr(sigAt + 2, sigEnd - sigAt - 2);
    Headers sh = readHeaders(signaturePart);
    std::string der;
    try {
        der = unbase64(signaturePart.substr(sh.bodyAt));
    } catch (const SmimeError&) {
        v.status = "invalid";
        v.reason = "the signature part's base64 is broken";
        return v;
    }

    Bio in = memory(der);
    Cms cms(d2i_CMS_bio(in.get(), nullptr));
    if (!cms) {
        ERR_clear_error();
        v.status = "invalid";
        v.reason = "the signature part is no CMS signature (corrupt or cut)";
        return v;
    }
    checkSigners(cms.get(), v, trust, fromEmail, nowMs);
    return v;
}

Decryption decryptEntity(const std::string& entity, X509* certificate, EVP_PKEY* key)
{
    Headers h = readHeaders(entity);
    const std::string type = field(h, "Content-Type");
    if (mediaType(type) != "application/pkcs7-mime" && mediaType(type) != "application/x-pkcs7-mime")
        throw SmimeError("the entity is no application/pkcs7-mime");
    const std::string der = unbase64(entity.substr(h.bodyAt));
    Bio in = memory(der);
    Cms cms(d2i_CMS_bio(in.get(), nullptr));
    if (!cms) {
        ERR_clear_error();
        throw SmimeError("the encrypted part is corrupt or cut");
    }
    const int kind = OBJ_obj2nid(CMS_get0_type(cms.get()));
    if (kind != NID_pkcs7_enveloped && kind != NID_id_smime_ct_authEnvelopedData)
        throw SmimeError("the encrypted part holds no enveloped data");
    bool ours = false;
    STACK_OF(CMS_RecipientInfo)* infos = CMS_get0_RecipientInfos(cms.get());
    for (int i = 0; i < sk_CMS_RecipientInfo_num(infos); ++i) {
        CMS_RecipientInfo* ri = sk_CMS_RecipientInfo_value(infos, i);
        if (CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_TRANS && CMS_RecipientInfo_ktri_cert_cmp(ri, certificate) == 0)
            ours = true;
    }
    if (!ours) throw SmimeError("the mail is not encrypted to this account's key: no recipient matches it");
    Bio out(BIO_new(BIO_s_mem()));
    if (CMS_decrypt(cms.get(), key, certificate, nullptr, out.get(), CMS_BINARY) != 1)
        throw SmimeError(opensslError("the encrypted part is corrupt"));
    return {drain(out.get()), kind == NID_id_smime_ct_authEnvelopedData};
}

namespace {

// The CMS structure of an application/pkcs7-mime entity, or null when its
// base64 or its DER is broken.
Cms readPkcs7Mime(const std::string& entity)
{
    Headers h = readHeaders(entity);
    const std::string type = mediaType(field(h, "Content-Type"));
    if (type != "application/pkcs7-mime" && type != "application/x-pkcs7-mime")
        throw SmimeError("the entity is no application/pkcs7-mime");
    std::string der;
    try {
        der = unbase64(entity.substr(h.bodyAt));
    } catch (const SmimeError&) {
        return nullptr;
    }
    Bio in = memory(der);
    Cms cms(d2i_CMS_bio(in.get(), nullptr));
    ERR_clear_error();
    return cms;
}

} // namespace

std::string pkcs7MimeKind(const std::string& entity)
{
    const std::string declared = Poco::toLower(parameter(field(readHeaders(entity), "Content-Type"), "smime-type"));
    if (declared == "signed-data" || declared == "enveloped-data" || declared == "authenveloped-data")
        return declared == "authenveloped-data" ? "authEnveloped-data" : declared;
    Cms cms = readPkcs7Mime(entity);
    if (!cms) return {};
    switch (OBJ_obj2nid(CMS_get0_type(cms.get()))) {
    case NID_pkcs7_signed: return "signed-data";
    case NID_pkcs7_enveloped: return "enveloped-data";
    case NID_id_smime_ct_authEnvelopedData: return "authEnveloped-data";
    default: return {};
    }
}

Verification verifyOpaqueSigned(const std::string& entity, X509_STORE* trust, const std::string& fromEmail,
                                std::int64_t nowMs)
{
    Verification v;
    v.status = "invalid";
    Cms cms = readPkcs7Mime(entity);
    if (!cms) {
        v.reason = "the signed part is no CMS signature (corrupt or cut)";
        return v;
    }
    if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
        v.reason = "the signed part holds no signed data";
        return v;
    }
    ASN1_OCTET_STRING** content = CMS_get0_content(cms.get());
    if (!content || !*content) {
        v.reason = "the signed part carries no content";
        return v;
    }
    v.content.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(*content)),
                     static_cast<std::size_t>(ASN1_STRING_length(*content)));
    v.reason.clear();
    checkSigners(cms.get(), v, trust, fromEmail, nowMs);
    return v;
}

} // namespace erpmail::smime
