// Encrypted S/MIME that came in: what an application/pkcs7-mime entity
// holds, and its decryption with the account's key.
#include "certificate/Smime.h"

#include "certificate/CmsHandles.h"
#include "certificate/MimeEntity.h"

#include <openssl/err.h>

#include <Poco/String.h>

namespace erpmail::smime {

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

} // namespace erpmail::smime
