// S/MIME on the way out: a message cut into the headers that stay outside
// and the entity that is signed (multipart/signed) or encrypted to its recipients.
#include "certificate/Smime.h"

#include "certificate/CmsHandles.h"
#include "certificate/MimeEntity.h"
#include "encoding/Hex.h"
#include "mime/MessageComposer.h"

#include <openssl/rand.h>

#include <Poco/String.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace erpmail::smime {

namespace {

std::string randomBoundary(const char* kind)
{
    unsigned char bytes[12];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw SmimeError("no random bytes for a MIME boundary");
    return std::string("----=_erpmail_") + kind + "_" + encoding::hexOf(bytes, sizeof bytes);
}

/// The offset of the first `c` in `s` that `fits` refuses, or npos; memchr
/// finds the candidates, since a signed mail's every byte passes here.
template <class Fits>
std::size_t firstBare(const std::string& s, char c, Fits fits)
{
    const char* const begin = s.data();
    const char* const end = begin + s.size();
    for (const char* p = begin; p < end; ++p) {
        p = static_cast<const char*>(std::memchr(p, c, static_cast<std::size_t>(end - p)));
        if (!p) return std::string::npos;
        const std::size_t at = static_cast<std::size_t>(p - begin);
        if (!fits(at)) return at;
    }
    return std::string::npos;
}

/// The offsets of the first bare LF and the first bare CR, npos where none.
std::pair<std::size_t, std::size_t> bareBreaks(const std::string& s)
{
    return {firstBare(s, '\n', [&](std::size_t i) { return i > 0 && s[i - 1] == '\r'; }),
            firstBare(s, '\r', [&](std::size_t i) { return i + 1 < s.size() && s[i + 1] == '\n'; })};
}

void requireCanonical(const std::string& s)
{
    if (crlfOnly(s)) return;
    // Where it is not, found for the error alone.
    const auto [lf, cr] = bareBreaks(s);
    const bool lfFirst = lf < cr;
    throw SmimeError(std::string("the entity has a bare ") + (lfFirst ? "LF" : "CR") + " at byte " +
                     std::to_string(lfFirst ? lf : cr) + ": it must be in CRLF form");
}

} // namespace

std::string canonical(const std::string& text)
{
    return mime::toCrlf(text);
}

MessageParts splitMessage(const std::string& raw)
{
    // A mail erpmail composed, or one stored as it came over the wire, is
    // already in CRLF form: read as it is, not copied.
    std::string converted;
    if (!crlfOnly(raw)) converted = canonical(raw);
    const std::string& message = converted.empty() ? raw : converted;
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
    const std::size_t bodyAt = std::min(h.bodyAt, message.size());
    parts.entity.reserve(entityHeaders.size() + 2 + message.size() - bodyAt);
    parts.entity.append(entityHeaders).append("\r\n").append(message, bodyAt, std::string::npos);
    return parts;
}

std::string joinMessage(const MessageParts& parts)
{
    static const std::string version = "MIME-Version: 1.0\r\n";
    std::string message;
    message.reserve(parts.outerHeaders.size() + version.size() + parts.entity.size());
    message.append(parts.outerHeaders).append(version).append(parts.entity);
    return message;
}

std::string signEntity(const std::string& entity, const Signer& signer)
{
    requireCanonical(entity);
    if (!signer.certificate || !signer.key) throw SmimeError("no signing certificate and key");
    CertRefs chain(sk_X509_new_null());
    for (X509* c : signer.chain) sk_X509_push(chain.get(), c);
    const unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL;
    Cms cms(CMS_sign(nullptr, nullptr, chain.get(), nullptr, flags));
    CMS_SignerInfo* si = cms ? CMS_add1_signer(cms.get(), signer.certificate, signer.key, EVP_sha256(),
                                               CMS_BINARY | CMS_NOSMIMECAP)
                             : nullptr;
    // We read AuthEnvelopedData, so a reply may use it; OpenSSL's standard list does not name it.
    STACK_OF(X509_ALGOR)* capabilities = nullptr;
    const bool listed = si && CMS_add_standard_smimecap(&capabilities) == 1 &&
                        CMS_add_simple_smimecap(&capabilities, NID_aes_256_gcm, -1) == 1 &&
                        CMS_add_smimecap(si, capabilities) == 1;
    sk_X509_ALGOR_pop_free(capabilities, X509_ALGOR_free);
    if (!listed) throw SmimeError(opensslError("the signature could not be made"));
    Bio content = memory(entity);
    if (CMS_final(cms.get(), content.get(), nullptr, CMS_DETACHED | CMS_BINARY) != 1)
        throw SmimeError(opensslError("the signature could not be made"));
    Bio der(BIO_new(BIO_s_mem()));
    i2d_CMS_bio(der.get(), cms.get());
    const std::string boundary = randomBoundary("signed");
    const std::string head = "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256;\r\n"
                             " boundary=\"" + boundary + "\"\r\n\r\n"
                             "This is a cryptographically signed message in MIME format.\r\n\r\n"
                             "--" + boundary + "\r\n";
    const std::string tail = "\r\n--" + boundary + "\r\n" +
                             "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n"
                             "Content-Transfer-Encoding: base64\r\n"
                             "Content-Disposition: attachment; filename=\"smime.p7s\"\r\n"
                             "Content-Description: S/MIME Cryptographic Signature\r\n\r\n" +
                             base64Lines(drain(der.get())) + "\r\n--" + boundary + "--\r\n";
    // The entity is the mail's bulk: copied once.
    std::string out;
    out.reserve(head.size() + entity.size() + tail.size());
    out.append(head).append(entity).append(tail);
    return out;
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

} // namespace erpmail::smime
