#include "transport/smtp/SmtpModule.h"

#include "transport/common/ServerProbe.h"

namespace erpmail {

std::vector<Operation> SmtpModule::operations()
{
    std::vector<Operation> ops{transport::probeOperation(
        context_, transport::Protocol::Smtp, "mail.smtp.probe",
        "Tests an SMTP server: connect, TLS (verified), greeting, EHLO capabilities; each step reported")};
    for (auto& op : outbox_.operations()) ops.push_back(std::move(op));
    return ops;
}

} // namespace erpmail
