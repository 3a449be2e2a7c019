// Receiving over POP3 and POP3S.
#pragma once

#include "erpmail/AccountAccess.h"
#include "erpmail/Context.h"
#include "erpmail/Module.h"
#include "transport/pop3/Pop3Fetcher.h"

#include "transport/common/FetchSchedule.h"

namespace erpmail {

class Pop3Module : public Module {
public:
    Pop3Module(Context& context, AccountAccess& accounts)
        : context_(context), accounts_(accounts), fetcher_(context, accounts, accounts)
    {
    }
    /// Joins the schedule only: the account module may be gone by now.
    ~Pop3Module() override { schedule_.stop(); }
    std::string id() const override { return "transport.pop3"; }
    std::string summary() const override { return "Receiving over POP3 and POP3S"; }
    std::vector<std::string> dependencies() const override { return {"account"}; }
    std::vector<Operation> operations() override;
    /// Starts the scheduled fetch of online POP3 accounts
    /// (erpmail.fetch.interval_seconds, default 300) in long-running hosts.
    void start() override;
    void stop() noexcept override;

private:
    Context& context_;
    AccountAccess& accounts_;
    Pop3Fetcher fetcher_;
    transport::FetchSchedule schedule_;
};

} // namespace erpmail
