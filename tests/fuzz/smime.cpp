// The S/MIME structure parsers of received mail: splitMessage() of a whole
// message, verifySigned() of a multipart/signed entity (boundaries, the
// base64 of the signature, the CMS SignedData, each signer's chain) and
// decryptEntity() of an application/pkcs7-mime one (the CMS envelope and its
// recipients), with the key and certificate in smime/ (made for fuzzing only).
#include "certificate/Smime.h"

#include <openssl/pem.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace erpmail::smime;

namespace {

struct Keys {
    Certificate certificate;
    PrivateKey key;
    X509_STORE* trust = X509_STORE_new();

    Keys()
    {
        FILE* c = std::fopen(ERPMAIL_FUZZ_DIR "/smime/cert.pem", "r");
        FILE* k = std::fopen(ERPMAIL_FUZZ_DIR "/smime/key.pem", "r");
        if (!c || !k) std::abort();
        certificate.reset(PEM_read_X509(c, nullptr, nullptr, nullptr));
        key.reset(PEM_read_PrivateKey(k, nullptr, nullptr, nullptr));
        std::fclose(c);
        std::fclose(k);
        if (!certificate || !key || X509_STORE_add_cert(trust, certificate.get()) != 1) std::abort();
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const Keys keys;
    const std::string raw(reinterpret_cast<const char*>(data), size);
    const MessageParts parts = splitMessage(raw);
    (void)joinMessage(parts);
    for (const std::string* entity : {&parts.entity, &raw}) {
        try {
            verifySigned(*entity, keys.trust, "anna@example.com", 1790000000000);
        } catch (const SmimeError&) {
        }
        try {
            decryptEntity(*entity, keys.certificate.get(), keys.key.get());
        } catch (const SmimeError&) {
        }
    }
    return 0;
}
