#include "transport/smtp/SmtpModule.h"

#include "transport/common/ServerProbe.h"

namespace erpmail {

std::vector<Operation> SmtpModule::operations()
{
    return {transport::probeOperation(context_, transport::Protocol::Smtp, "mail.smtp.probe",
                                      "Tests an SMTP server: connect, TLS (verified), greeting, EHLO capabilities; each step reported")};
}

} // namespace erpmail
