// S/MIME through OpenSSL's CMS: signing and encrypting a MIME entity on its
// way out, verifying and decrypting one that came in. The entity is signed
// exactly as it goes on the wire, in canonical CRLF form.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace erpmail::smime {

struct X509Free {
    void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Certificate = std::unique_ptr<X509, X509Free>;
using PrivateKey = std::unique_ptr<EVP_PKEY, KeyFree>;

/// A malformed entity, signature or envelope; the message says what.
class SmimeError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A message cut into the headers that stay outside S/MIME (From, To,
/// Subject, ...) and the MIME entity that is signed or encrypted (its
/// Content-* headers and its body). Both in CRLF form.
struct MessageParts {
    std::string outerHeaders; ///< each line ends with CRLF; no blank line
    std::string entity;
};
MessageParts splitMessage(const std::string& raw);
/// outerHeaders, MIME-Version and the entity as one message.
std::string joinMessage(const MessageParts& parts);

struct Signer {
    X509* certificate = nullptr;
    EVP_PKEY* key = nullptr;
    std::vector<X509*> chain; ///< intermediates sent along, not the root
};

/// multipart/signed (protocol application/pkcs7-signature, micalg sha-256)
/// around `entity`: a detached CMS signature over exactly its bytes, with
/// the signer's certificate, the chain and the SMIMECapabilities attribute.
/// Throws SmimeError when the entity is not canonical (a bare LF or CR).
std::string signEntity(const std::string& entity, const Signer& signer);

enum class Cipher {
    Aes256Cbc, ///< EnvelopedData: what Outlook and Thunderbird read
    Aes256Gcm, ///< AuthEnvelopedData (RFC 5083/5084)
};

/// application/pkcs7-mime (enveloped-data or authEnveloped-data) holding
/// `entity` encrypted to every recipient. Throws SmimeError.
std::string encryptEntity(const std::string& entity, const std::vector<X509*>& recipients, Cipher cipher);

/// One signer of a verified entity.
struct SignerCheck {
    std::string status; ///< valid, invalid, untrusted, weak
    std::string reason; ///< why not valid; empty when valid
    std::string subject;
    std::vector<std::string> emails;
    std::string certificatePem;
    /// The same certificate as DER with its SHA-256 fingerprint and
    /// validity, so that the address book need not parse it again.
    std::string certificateDer;
    std::string fingerprint;
    std::int64_t notBeforeMs = 0;
    std::int64_t notAfterMs = 0;
    std::string digest; ///< sha256, sha1, ...
    /// The algorithm OIDs (dotted) of the signed SMIMECapabilities
    /// attribute, in the signer's order of preference; empty when none.
    std::vector<std::string> capabilities;
};

/// id-aes256-GCM, as SMIMECapabilities name it.
inline constexpr const char* kAes256GcmOid = "2.16.840.1.101.3.4.1.46";

struct Verification {
    /// valid only when every signer is; else the worst of invalid,
    /// untrusted, weak. invalid when there is no signer at all.
    std::string status;
    std::string reason;
    std::vector<SignerCheck> signers;
    std::string content; ///< the signed entity, exactly as signed
    /// A multipart/signed with parts after its signature, which it does not cover.
    bool partsAfterSignature = false;
};

/// Verifies a multipart/signed entity: each signer's signature over exactly
/// the first part's bytes, its chain against `trust` at `nowMs` for e-mail
/// protection, and that `fromEmail` is one of its e-mail addresses. SHA-1
/// is weak. Never throws for a bad signature: that is the result. Throws
/// SmimeError when the entity is no multipart/signed at all.
Verification verifySigned(const std::string& entity, X509_STORE* trust, const std::string& fromEmail,
                          std::int64_t nowMs);

struct Decryption {
    std::string entity;          ///< what was encrypted
    bool integrityProtected = false; ///< AuthEnvelopedData; CBC is not
};

/// Opens an application/pkcs7-mime enveloped entity with one of the
/// account's keys. Throws SmimeError saying why: no key for any recipient,
/// or a corrupt envelope.
Decryption decryptEntity(const std::string& entity, X509* certificate, EVP_PKEY* key);

/// What an application/pkcs7-mime entity holds: "signed-data",
/// "enveloped-data" or "authEnveloped-data" by its smime-type, else by its
/// CMS content type; empty when neither says. Throws SmimeError when the
/// entity is no application/pkcs7-mime.
std::string pkcs7MimeKind(const std::string& entity);

/// Verifies an application/pkcs7-mime signed-data entity like
/// verifySigned(); `content` is the entity the signature carries. Never
/// throws for a bad or cut signature: that is the result.
Verification verifyOpaqueSigned(const std::string& entity, X509_STORE* trust, const std::string& fromEmail,
                                std::int64_t nowMs);

/// The entity's canonical form: every line ending CRLF.
std::string canonical(const std::string& text);

} // namespace erpmail::smime
