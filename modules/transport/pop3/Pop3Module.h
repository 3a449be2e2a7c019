// Receiving over POP3 and POP3S.
#pragma once

#include "erpmail/Context.h"
#include "erpmail/Module.h"

namespace erpmail {

class Pop3Module : public Module {
public:
    explicit Pop3Module(Context& context) : context_(context) {}
    std::string id() const override { return "transport.pop3"; }
    std::string summary() const override { return "Receiving over POP3 and POP3S"; }
    std::vector<std::string> dependencies() const override { return {"account"}; }
    std::vector<Operation> operations() override;

private:
    Context& context_;
};

} // namespace erpmail
