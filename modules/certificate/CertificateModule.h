// S/MIME certificates: stores, inspection, expiry warnings.
#pragma once

#include "erpmail/Context.h"
#include "erpmail/Module.h"

namespace erpmail {

class CertificateModule : public Module {
public:
    explicit CertificateModule(Context& context) : context_(context) {}
    std::string id() const override { return "certificate"; }
    std::string summary() const override { return "S/MIME certificates and their expiry"; }
    std::vector<std::string> dependencies() const override { return {"account"}; }
    std::vector<Operation> operations() override;

private:
    Poco::JSON::Object::Ptr inspect(const Request& request);
    Context& context_;
};

} // namespace erpmail
