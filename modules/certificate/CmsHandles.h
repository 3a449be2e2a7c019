// Owning handles for OpenSSL's CMS objects and the conversions that building
// and checking S/MIME entities share: OpenSSL errors, memory BIOs, base64.
#pragma once

#include "certificate/Smime.h"

#include <openssl/bio.h>
#include <openssl/cms.h>

#include <memory>
#include <optional>
#include <string>

namespace erpmail::smime {

template <class T, void (*Free)(T*)> struct Freer {
    void operator()(T* p) const { Free(p); }
};
using Bio = std::unique_ptr<BIO, Freer<BIO, BIO_free_all>>;
using Cms = std::unique_ptr<CMS_ContentInfo, Freer<CMS_ContentInfo, CMS_ContentInfo_free>>;
using StoreCtx = std::unique_ptr<X509_STORE_CTX, Freer<X509_STORE_CTX, X509_STORE_CTX_free>>;

inline void freeCerts(STACK_OF(X509) * s) { sk_X509_pop_free(s, X509_free); }
inline void freeCertRefs(STACK_OF(X509) * s) { sk_X509_free(s); }
using Certs = std::unique_ptr<STACK_OF(X509), Freer<STACK_OF(X509), freeCerts>>;
using CertRefs = std::unique_ptr<STACK_OF(X509), Freer<STACK_OF(X509), freeCertRefs>>;

/// what, with OpenSSL's first queued error when there is one; clears the queue.
std::string opensslError(const std::string& what);
/// A read-only memory BIO over bytes, which must outlive it.
Bio memory(const std::string& bytes);
/// All that was written to a memory BIO.
std::string drain(BIO* bio);
/// der in base64, 76 characters a line, each line ending with CRLF.
std::string base64Lines(const std::string& der);
/// The bytes of base64 text, white space ignored. Throws SmimeError.
std::string unbase64(const std::string& text);
/// The DER of an application/pkcs7-mime entity, or none when its base64 is
/// broken. Throws SmimeError when it is no such entity.
std::optional<std::string> pkcs7MimeDer(const std::string& entity);
/// The CMS structure of an application/pkcs7-mime entity, or null when its
/// base64 or its DER is broken. Throws SmimeError when it is no such entity.
Cms readPkcs7Mime(const std::string& entity);

} // namespace erpmail::smime
