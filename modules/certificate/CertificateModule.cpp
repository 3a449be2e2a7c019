#include "certificate/CertificateModule.h"

#include "certificate/X509Info.h"
#include "erpmail/OperationError.h"
#include "erpmail/ServerFile.h"

#include <Poco/JSON/Array.h>

namespace erpmail {

std::vector<Operation> CertificateModule::operations()
{
    return {{"mail.certificate.inspect",
             "Reads a PEM certificate (text or file) and reports subject, issuer, e-mail addresses and expiry",
             R"({"type":"object","additionalProperties":false,
                 "properties":{"pem":{"type":"string","minLength":1,"maxLength":200000},
                               "path":{"type":"string","minLength":1,"maxLength":4096},
                               "warn_days":{"type":"integer","minimum":0,"maximum":3650}}})",
             permission::Use, [this](const Request& r) { return inspect(r); }}};
}

Poco::JSON::Object::Ptr CertificateModule::inspect(const Request& request)
{
    const auto& p = request.params;
    std::string pem = p->optValue<std::string>("pem", "");
    const std::string path = p->optValue<std::string>("path", "");
    if (pem.empty() == path.empty()) throw invalidParam("pem", "give exactly one of pem or path");
    if (!path.empty()) {
        pem = readServerFileParam(request.userIsAdmin, path, kMaxCertificateFileBytes, "path");
    }
    const int warnDays = p->optValue<int>("warn_days", 30);
    X509Info info = X509Info::fromPem(pem, path.empty() ? "pem" : "path");
    const std::int64_t now = context_.host().nowMs();

    Poco::JSON::Object::Ptr result = new Poco::JSON::Object;
    result->set("subject", info.subject);
    result->set("issuer", info.issuer);
    result->set("serial", info.serialHex);
    result->set("not_before", info.notBeforeIso);
    result->set("not_after", info.notAfterIso);
    result->set("self_signed", info.selfSigned);
    Poco::JSON::Array::Ptr emails = new Poco::JSON::Array;
    for (const auto& e : info.emails) emails->add(e);
    result->set("emails", emails);
    const std::int64_t msLeft = info.notAfterMs - now;
    result->set("expired", msLeft < 0 || now < info.notBeforeMs);
    result->set("days_left", msLeft / 86400000);
    result->set("expiring", msLeft >= 0 && msLeft < static_cast<std::int64_t>(warnDays) * 86400000);
    return result;
}

} // namespace erpmail
