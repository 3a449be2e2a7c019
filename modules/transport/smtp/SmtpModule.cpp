#include "transport/smtp/SmtpModule.h"

#include "transport/common/ServerProbe.h"
#include "transport/smtp/OutboxService.h"
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

class SmtpModule : public Module {
public:
    SmtpModule(Context& context, SendAccounts accounts, SecretSealer* sealer)
        : context_(context), outbox_(context, accounts, sealer)
    {
    }
    std::string id() const override { return "transport.smtp"; }
    std::string summary() const override { return "Sending over SMTP: submission with STARTTLS, SMTPS, authentication"; }
    std::vector<std::string> dependencies() const override { return {"account"}; }
    std::vector<Operation> operations() override;
    /// Starts the outbox worker (unless erpmail.outbox.worker is off).
    void start() override { outbox_.start(); }
    void stop() noexcept override { outbox_.stop(); }

private:
    Context& context_;
    OutboxService outbox_;
};

} // namespace

std::unique_ptr<Module> makeSmtpModule(Context& context, SendAccounts accounts, SecretSealer* sealer)
{
    return std::make_unique<SmtpModule>(context, accounts, sealer);
}

std::vector<Operation> SmtpModule::operations()
{
    std::vector<Operation> ops{transport::probeOperation(
        context_, transport::Protocol::Smtp, "mail.smtp.probe",
        "Tests an SMTP server: connect, TLS (verified), greeting, EHLO capabilities; each step reported", probeSmtp)};
    for (auto& op : outbox_.operations()) ops.push_back(std::move(op));
    return ops;
}

} // namespace erpmail
