// mail.certificate.import with key_uri: a certificate whose private key stays
// on a PKCS#11 token (a smart card, an HSM). Only the key's pkcs11: URI and the
// token's PIN, sealed, are stored.
#include "certificate/CertificateFiles.h"
#include "certificate/CertificateModule.h"
#include "certificate/TokenKey.h"
#include "erpmail/Base64.h"
#include "erpmail/OperationError.h"

#include <openssl/crypto.h>
#include <openssl/err.h>

namespace erpmail {

using Poco::JSON::Object;

namespace {

OperationError tokenProblem(const smime::TokenError& e)
{
    switch (e.kind()) {
    case smime::TokenError::Kind::Pin: return invalidParam("pin", e.what());
    case smime::TokenError::Kind::Object: return invalidParam("key_uri", e.what());
    case smime::TokenError::Kind::Unavailable: break;
    }
    return OperationError("unavailable", e.what(), "key_uri");
}

// A signature made on the token that the certificate's public key verifies:
// the PIN opens the key, and the key is the certificate's.
void proveKeyPair(X509* certificate, EVP_PKEY* key)
{
    static const unsigned char probe[] = "erpmail: does the key on the token belong to the certificate?";
    std::vector<unsigned char> signature(static_cast<std::size_t>(EVP_PKEY_get_size(key)));
    std::size_t length = signature.size();
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const bool signedOnToken = EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
                               EVP_DigestSign(ctx, signature.data(), &length, probe, sizeof probe) == 1;
    EVP_MD_CTX_free(ctx);
    if (!signedOnToken) throw invalidParam("key_uri", "the key on the token does not sign");
    ctx = EVP_MD_CTX_new();
    const bool matches =
        EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, X509_get0_pubkey(certificate)) == 1 &&
        EVP_DigestVerify(ctx, signature.data(), length, probe, sizeof probe) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    if (!matches) throw invalidParam("key_uri", "the key on the token does not belong to the certificate");
}

} // namespace

Object::Ptr CertificateModule::importTokenKey(const Request& request, const std::string& owner)
{
    const auto& p = request.params;
    if (p->has("password")) throw invalidParam("password", "a key on a token is opened with its pin, not a password");
    if (!p->has("pin")) throw invalidParam("pin", "a key on a token needs the token's PIN");
    const bool hasPem = p->has("pem"), hasData = p->has("data_base64");
    if (hasPem && hasData) throw invalidParam("pem", "give at most one of pem or data_base64");
    struct WipedPin {
        std::string text;
        ~WipedPin() { OPENSSL_cleanse(&text[0], text.size()); }
    } pin{p->getValue<std::string>("pin")};
    CertificateFile file;
    std::string uri;
    try {
        uri = smime::tokenObjectUri(p->getValue<std::string>("key_uri"));
        // A smart card carries its certificate beside the key; a file given
        // with the URI stands in for a token that holds the key alone.
        if (hasPem || hasData) {
            const std::string field = hasPem ? "pem" : "data_base64";
            file = readCertificateFile(hasPem ? p->getValue<std::string>("pem")
                                              : fromBase64Param(p->getValue<std::string>("data_base64"), field),
                                       std::nullopt, field);
            if (file.key) throw invalidParam(field, "give the certificate alone: its key is on the token");
        } else {
            file.leaf = smime::openTokenCertificate(uri, pin.text);
        }
        smime::PrivateKey key = smime::openTokenKey(uri, pin.text);
        proveKeyPair(file.leaf.get(), key.get());
    } catch (const smime::TokenError& e) {
        throw tokenProblem(e);
    }
    return storeImported(file, owner, hasPem ? "pem" : hasData ? "data_base64" : "key_uri", request, uri, pin.text);
}

} // namespace erpmail
