#include "certificate/CertificateUse.h"

#include "certificate/X509Info.h"

#include <Poco/String.h>

#include <algorithm>

namespace erpmail {

std::string unusableBecause(X509* certificate, const std::string& email, CertificatePurpose purpose, std::int64_t nowMs)
{
    const X509Info info = X509Info::of(certificate);
    const auto has = [](const std::vector<std::string>& list, const char* name) {
        return std::find(list.begin(), list.end(), name) != list.end();
    };
    if (nowMs > info.notAfterMs) return "the certificate '" + info.subject + "' expired on " + info.notAfterIso;
    if (nowMs < info.notBeforeMs)
        return "the certificate '" + info.subject + "' is valid only from " + info.notBeforeIso;
    const bool forEmail = std::any_of(info.emails.begin(), info.emails.end(),
                                      [&](const std::string& e) { return Poco::icompare(e, email) == 0; });
    if (!forEmail)
        return "the certificate '" + info.subject + "' is not issued to " + email +
               (info.emails.empty()
                    ? std::string(" (it names no e-mail address)")
                    : " (it names " + Poco::cat(std::string(", "), info.emails.begin(), info.emails.end()) + ")");
    if (!info.extendedKeyUsage.empty() && !has(info.extendedKeyUsage, "email_protection"))
        return "the certificate '" + info.subject + "' is not for e-mail: its CA did not give it emailProtection";
    if (!info.keyUsage.empty()) {
        if (purpose == CertificatePurpose::Signing && !has(info.keyUsage, "digital_signature") &&
            !has(info.keyUsage, "non_repudiation"))
            return "the certificate '" + info.subject + "' may not sign: its CA did not give it digitalSignature";
        if (purpose == CertificatePurpose::Encryption && !has(info.keyUsage, "key_encipherment"))
            return "the certificate '" + info.subject + "' may not encrypt: its CA did not give it keyEncipherment";
    }
    return {};
}

} // namespace erpmail
