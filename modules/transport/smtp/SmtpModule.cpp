#include "transport/smtp/SmtpModule.h"

#include "transport/common/ServerProbe.h"
#include "transport/smtp/SmtpConnection.h"

namespace erpmail {

namespace {

// The goodbye is no step: a rude one changes none of the answers.
void probeSmtp(const transport::ProbeRequest& request, StepReport& report)
{
    transport::SmtpConnection connection(transport::probeSettings<transport::SmtpSettings>(request, report));
    report.succeed();
    connection.quit();
}

} // namespace

std::vector<Operation> SmtpModule::operations()
{
    std::vector<Operation> ops{transport::probeOperation(
        context_, transport::Protocol::Smtp, "mail.smtp.probe",
        "Tests an SMTP server: connect, TLS (verified), greeting, EHLO capabilities; each step reported", probeSmtp)};
    for (auto& op : outbox_.operations()) ops.push_back(std::move(op));
    return ops;
}

} // namespace erpmail
