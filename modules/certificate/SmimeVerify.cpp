// S/MIME signatures that came in, detached (multipart/signed) or opaque
// (signed-data): each signer's signature, its binding to From and its chain.
#include "certificate/Smime.h"

#include "certificate/CertificateFiles.h"
#include "certificate/CmsHandles.h"
#include "certificate/MimeEntity.h"
#include "certificate/SignedDataReader.h"
#include "certificate/SignerFacts.h"
#include "certificate/X509Info.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <Poco/String.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace erpmail::smime {

namespace {

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

// The algorithms of the signer's signed SMIMECapabilities attribute.
std::vector<std::string> capabilitiesOf(CMS_SignerInfo* si)
{
    std::vector<std::string> out;
    auto* sequence = static_cast<ASN1_STRING*>(
        CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_SMIMECapabilities), -3, V_ASN1_SEQUENCE));
    if (!sequence) return out;
    const unsigned char* p = ASN1_STRING_get0_data(sequence);
    X509_ALGORS* algorithms = d2i_X509_ALGORS(nullptr, &p, ASN1_STRING_length(sequence));
    if (!algorithms) return out;
    for (int i = 0; i < sk_X509_ALGOR_num(algorithms); ++i) {
        const ASN1_OBJECT* oid = nullptr;
        X509_ALGOR_get0(&oid, nullptr, nullptr, sk_X509_ALGOR_value(algorithms, i));
        char text[128];
        if (oid && OBJ_obj2txt(text, sizeof text, oid, 1) > 0) out.emplace_back(text);
    }
    sk_X509_ALGOR_pop_free(algorithms, X509_ALGOR_free);
    return out;
}

// Each one costs a public-key operation: a mail cannot make its check unbounded.
constexpr int kMaxSigners = 16;

// Each signer of `cms` over v.content: its signature, the From binding, its
// chain (with the certificates the signature carried); the worst of them is
// the entity's status.
void checkSigners(CMS_ContentInfo* cms, STACK_OF(X509) * carried, Verification& v, X509_STORE* trust,
                  const std::string& fromEmail, std::int64_t nowMs)
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
    CMS_set1_signers_certs(cms, carried, 0);
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
            const CertificateFacts& facts = factsOf(cert);
            check.subject = facts.info.subject;
            for (const auto& e : facts.info.emails) check.emails.push_back(Poco::toLower(e));
            check.certificatePem = facts.pem;
            check.certificateDer = facts.der;
            check.fingerprint = facts.fingerprint;
            check.notBeforeMs = facts.info.notBeforeMs;
            check.notAfterMs = facts.info.notAfterMs;
            check.capabilities = capabilitiesOf(si);
            const std::string problem = signatureProblem(si, v.content, EVP_get_digestbynid(digestNid));
            if (!problem.empty()) {
                check.status = "invalid";
                check.reason = problem;
            } else if (std::find(check.emails.begin(), check.emails.end(), from) == check.emails.end()) {
                check.status = "invalid";
                check.reason = "the signer's certificate is not for " + fromEmail + ", the From address";
            } else {
                const ChainVerdict chain = verifyChain(trust, cert, carried, static_cast<std::time_t>(nowMs / 1000));
                if (!chain.trusted) {
                    check.status = "untrusted";
                    check.reason = std::string("the signer's certificate: ") + X509_verify_cert_error_string(chain.error);
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

Verification verifySigned(const std::string& entity, X509_STORE* trust, const std::string& fromEmail,
                          std::int64_t nowMs)
{
    Headers h = readHeaders(entity);
    const std::string type = field(h, "Content-Type");
    if (mediaType(type) != "multipart/signed") throw SmimeError("the entity is no multipart/signed");
    const std::string boundary = parameter(type, "boundary");
    if (boundary.empty()) throw SmimeError("multipart/signed without a boundary");
    const std::string_view body = std::string_view(entity).substr(std::min(h.bodyAt, entity.size()));
    const std::string open = "--" + boundary;
    const std::string delimiter = "\r\n" + open;
    std::size_t first = body.compare(0, open.size(), open) == 0 ? 0 : findText(body, delimiter);
    if (first == std::string::npos) throw SmimeError("multipart/signed without its parts");
    if (first) first += 2;
    std::size_t contentAt = body.find("\r\n", first);
    if (contentAt == std::string::npos) throw SmimeError("multipart/signed is cut after its first boundary");
    contentAt += 2;
    std::size_t contentEnd = findText(body, delimiter, contentAt);
    if (contentEnd == std::string::npos) throw SmimeError("multipart/signed has no signature part");
    Verification v;
    v.content = std::string(body.substr(contentAt, contentEnd - contentAt));
    std::size_t sigAt = body.find("\r\n", contentEnd + 2);
    std::size_t sigEnd = sigAt == std::string::npos ? std::string::npos : findText(body, delimiter, sigAt);
    if (sigAt == std::string::npos || sigEnd == std::string::npos)
        throw SmimeError("multipart/signed: the signature part is cut");
    // A third part, read as multipartParts() would: a delimiter that is not
    // the closing one, its line, and a delimiter after it.
    const std::size_t third = sigEnd + delimiter.size();
    if (body.compare(third, 2, "--") != 0) {
        const std::size_t lineEnd = body.find("\r\n", third);
        v.partsAfterSignature = lineEnd != std::string::npos && findText(body, delimiter, lineEnd + 2) != std::string::npos;
    }
    const std::string signaturePart(body.substr(sigAt + 2, sigEnd - sigAt - 2));
    Headers sh = readHeaders(signaturePart);
    std::string der;
    try {
        der = unbase64(signaturePart.substr(sh.bodyAt));
    } catch (const SmimeError&) {
        v.status = "invalid";
        v.reason = "the signature part's base64 is broken";
        return v;
    }

    SignedData data = readSignedData(der);
    if (!data.cms) {
        v.status = "invalid";
        v.reason = "the signature part is no CMS signature (corrupt or cut)";
        return v;
    }
    checkSigners(data.cms.get(), data.certificates.get(), v, trust, fromEmail, nowMs);
    return v;
}

Verification verifyOpaqueSigned(const std::string& entity, X509_STORE* trust, const std::string& fromEmail,
                                std::int64_t nowMs)
{
    Verification v;
    v.status = "invalid";
    const std::optional<std::string> der = pkcs7MimeDer(entity);
    SignedData data = der ? readSignedData(*der) : SignedData{};
    CMS_ContentInfo* cms = data.cms.get();
    if (!cms) {
        v.reason = "the signed part is no CMS signature (corrupt or cut)";
        return v;
    }
    if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
        v.reason = "the signed part holds no signed data";
        return v;
    }
    ASN1_OCTET_STRING** content = CMS_get0_content(cms);
    if (!content || !*content) {
        v.reason = "the signed part carries no content";
        return v;
    }
    v.content.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(*content)),
                     static_cast<std::size_t>(ASN1_STRING_length(*content)));
    v.reason.clear();
    checkSigners(cms, data.certificates.get(), v, trust, fromEmail, nowMs);
    return v;
}

} // namespace erpmail::smime
