// Retention: trash, large attachments and old messages are removed on schedule.
#pragma once

#include "erpmail/Context.h"
#include "erpmail/Module.h"

namespace erpmail {

class RetentionModule : public Module {
public:
    explicit RetentionModule(Context& context) : context_(context) {}
    std::string id() const override { return "retention"; }
    std::string summary() const override { return "Retention rules: trash, large attachments, old messages"; }
    std::vector<std::string> dependencies() const override { return {"account"}; }
    std::vector<Operation> operations() override;

private:
    Context& context_;
};

} // namespace erpmail
