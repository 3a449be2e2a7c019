// How the certificate operations present a certificate and a stored record as JSON.
#include "certificate/CertificateJson.h"

#include "certificate/CertificateFiles.h"
#include "certificate/Smime.h"

#include <Poco/JSON/Array.h>
#include <Poco/StringTokenizer.h>

namespace erpmail {

using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

Array::Ptr strings(const std::vector<std::string>& list)
{
    Array::Ptr a = new Array;
    for (const auto& s : list) a->add(s);
    return a;
}

} // namespace

Object::Ptr certificateInfoJson(const X509Info& info, std::int64_t nowMs)
{
    Object::Ptr o = new Object;
    o->set("subject", info.subject);
    o->set("issuer", info.issuer);
    o->set("serial", info.serialHex);
    o->set("not_before", info.notBeforeIso);
    o->set("not_after", info.notAfterIso);
    o->set("emails", strings(info.emails));
    o->set("key_usage", strings(info.keyUsage));
    o->set("extended_key_usage", strings(info.extendedKeyUsage));
    o->set("expired", nowMs > info.notAfterMs || nowMs < info.notBeforeMs);
    o->set("days_left", (info.notAfterMs - nowMs) / 86400000);
    return o;
}

Object::Ptr certificateRecordJson(const store::CertificateRecord& r, std::int64_t nowMs)
{
    smime::Certificate c(certificateFromDer(r.der));
    Object::Ptr o = c ? certificateInfoJson(X509Info::of(c.get()), nowMs) : Object::Ptr(new Object);
    o->set("id", r.id);
    o->set("store", r.owner.empty() ? "plugin" : "personal");
    if (!r.owner.empty()) o->set("owner", r.owner);
    o->set("fingerprint_sha256", r.fingerprint);
    o->set("private_key", r.sealedKey || r.keyUri);
    o->set("private_key_location", r.keyUri ? "token" : r.sealedKey ? "store" : "none");
    if (r.keyUri) o->set("key_uri", *r.keyUri);
    o->set("imported_at_ms", r.createdAtMs);
    o->set("imported_by", r.createdBy);
    return o;
}

Object::Ptr addressCertificateJson(const store::AddressCertificate& a, std::int64_t nowMs)
{
    smime::Certificate c(certificateFromDer(a.der));
    Object::Ptr o = c ? certificateInfoJson(X509Info::of(c.get()), nowMs) : Object::Ptr(new Object);
    if (!c) {
        // What the address book recorded when it collected the certificate.
        o->set("subject", a.subject);
        o->set("expired", nowMs > a.notAfterMs || nowMs < a.notBeforeMs);
        o->set("days_left", (a.notAfterMs - nowMs) / 86400000);
    }
    o->set("store", "address_book");
    o->set("email", a.email);
    o->set("fingerprint_sha256", a.fingerprint);
    o->set("private_key", false);
    o->set("not_before_ms", a.notBeforeMs);
    o->set("not_after_ms", a.notAfterMs);
    Array::Ptr capabilities = new Array;
    if (a.capabilities)
        for (const auto& oid : Poco::StringTokenizer(*a.capabilities, " ", Poco::StringTokenizer::TOK_IGNORE_EMPTY))
            capabilities->add(oid);
    o->set("capabilities", capabilities);
    o->set("accepts_gcm", store::listsCapability(a.capabilities, smime::kAes256GcmOid));
    o->set("message_id", a.messageId ? Poco::Dynamic::Var(*a.messageId) : Poco::Dynamic::Var());
    o->set("collected_at_ms", a.collectedAtMs);
    return o;
}

} // namespace erpmail
