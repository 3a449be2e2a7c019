// Retention: trash, large attachments and old messages are removed on schedule.
#pragma once

#include "erpmail/AccountAccess.h"
#include "erpmail/Context.h"
#include "erpmail/Module.h"
#include "retention/MaintenanceSchedule.h"

namespace erpmail {

class RetentionModule : public Module {
public:
    RetentionModule(Context& context, AccountAccess& accounts)
        : context_(context), accounts_(accounts), schedule_(context, accounts)
    {
    }
    std::string id() const override { return "retention"; }
    std::string summary() const override { return "Retention rules: trash, large attachments, old messages"; }
    std::vector<std::string> dependencies() const override { return {"account"}; }
    std::vector<Operation> operations() override;
    /// Starts the daily run in a long-running host.
    void start() override { schedule_.start(); }
    void stop() noexcept override { schedule_.stop(); }

private:
    Poco::JSON::Object::Ptr run(const Request& request);
    Poco::JSON::Object::Ptr history(const Request& request);

    Context& context_;
    AccountAccess& accounts_;
    MaintenanceSchedule schedule_;
};

} // namespace erpmail
