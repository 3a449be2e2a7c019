// Text blocks filled with variables from the host's documents.
#pragma once

#include "erpmail/Context.h"
#include "erpmail/Module.h"

namespace erpmail {

class TextBlockModule : public Module {
public:
    explicit TextBlockModule(Context& context) : context_(context) {}
    std::string id() const override { return "textblock"; }
    std::string summary() const override { return "Text blocks with variables from host documents"; }
    std::vector<std::string> dependencies() const override { return {"account"}; }
    std::vector<Operation> operations() override;

private:
    Poco::JSON::Object::Ptr preview(const Request& request);
    Context& context_;
};

} // namespace erpmail
