// Receiving over IMAP and IMAPS.
#pragma once

#include "erpmail/Context.h"
#include "erpmail/Module.h"

namespace erpmail {

class ImapModule : public Module {
public:
    explicit ImapModule(Context& context) : context_(context) {}
    std::string id() const override { return "transport.imap"; }
    std::string summary() const override { return "Receiving over IMAP and IMAPS"; }
    std::vector<std::string> dependencies() const override { return {"account"}; }
    std::vector<Operation> operations() override;

private:
    Context& context_;
};

} // namespace erpmail
