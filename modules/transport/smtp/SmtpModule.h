// Sending over SMTP: submission with STARTTLS, SMTPS, authentication.
#pragma once

#include "erpmail/AccountAccess.h"
#include "erpmail/Context.h"
#include "erpmail/Module.h"
#include "transport/smtp/OutboxService.h"

namespace erpmail {

class SmtpModule : public Module {
public:
    SmtpModule(Context& context, AccountAccess& accounts) : context_(context), outbox_(context, accounts) {}
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

} // namespace erpmail
