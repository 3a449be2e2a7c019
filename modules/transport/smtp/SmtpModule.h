// Sending over SMTP: submission with STARTTLS, SMTPS, authentication.
#pragma once

#include "erpmail/Context.h"
#include "erpmail/Module.h"

namespace erpmail {

class SmtpModule : public Module {
public:
    explicit SmtpModule(Context& context) : context_(context) {}
    std::string id() const override { return "transport.smtp"; }
    std::string summary() const override { return "Sending over SMTP: submission with STARTTLS, SMTPS, authentication"; }
    std::vector<std::string> dependencies() const override { return {"account"}; }
    std::vector<Operation> operations() override;

private:
    Context& context_;
};

} // namespace erpmail
