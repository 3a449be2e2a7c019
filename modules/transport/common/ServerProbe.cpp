#include "transport/common/ServerProbe.h"

#include "erpmail/OperationError.h"

namespace erpmail::transport {

namespace {

unsigned defaultPort(Protocol p, Security s)
{
    switch (p) {
    case Protocol::Smtp: return s == Security::Tls ? 465 : 587;
    case Protocol::Pop3: return s == Security::Tls ? 995 : 110;
    case Protocol::Imap: break;
    }
    return s == Security::Tls ? 993 : 143;
}

} // namespace

StepReport probeSession(const ProbeRequest& request, const SessionProbe& probe)
{
    StepReport report;
    runReported(report, [&] { probe(request, report); });
    return report;
}

const char* probeParamsSchema()
{
    return R"({"type":"object","additionalProperties":false,"required":["host"],
               "properties":{"host":{"type":"string","minLength":1,"maxLength":253},
                             "port":{"type":"integer","minimum":1,"maximum":65535},
                             "security":{"enum":["none","starttls","tls"]},
                             "ca_file":{"type":"string","maxLength":4096},
                             "ca":{"type":"string","maxLength":1048576},
                             "timeout_seconds":{"type":"integer","minimum":1,"maximum":300}}})";
}

ProbeRequest probeRequestFromParams(Protocol protocol, const Poco::JSON::Object::Ptr& params, bool userIsAdmin)
{
    ProbeRequest r;
    r.protocol = protocol;
    r.host = params->getValue<std::string>("host");
    if (r.host.find_first_of("\r\n /") != std::string::npos) throw invalidParam("host", "host is not a host name");
    r.security = parseSecurity(params->optValue<std::string>("security", "tls"));
    r.port = params->has("port") ? params->getValue<unsigned>("port") : defaultPort(protocol, r.security);
    readTrustAnchorParams(*params, "", userIsAdmin, r.tls);
    r.timeoutSeconds = params->optValue<int>("timeout_seconds", 15);
    return r;
}

} // namespace erpmail::transport

namespace erpmail::transport {

Operation probeOperation(Context& context, Protocol protocol, const std::string& name, const std::string& summary,
                         SessionProbe probe)
{
    return {name, summary, probeParamsSchema(), permission::Admin,
            [&context, protocol, name, probe = std::move(probe)](const Request& r) {
                ProbeRequest request = probeRequestFromParams(protocol, r.params, r.userIsAdmin);
                StepReport result = probeSession(request, probe);
                context.log(result.ok() ? ERP_LOG_INFO : ERP_LOG_WARNING, "erpmail.transport",
                            name + " " + request.host + ":" + std::to_string(request.port) +
                                (result.ok() ? " succeeded" : " failed: " + result.steps().back().detail));
                return result.toJson();
            }};
}

} // namespace erpmail::transport
