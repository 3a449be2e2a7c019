// Receiving over IMAP and IMAPS.
#pragma once

#include "erpmail/AccountAccess.h"
#include "erpmail/Context.h"
#include "erpmail/Module.h"
#include "transport/imap/ImapFetcher.h"
#include "transport/imap/ImapPush.h"

#include "transport/common/FetchSchedule.h"

namespace erpmail {

class ImapModule : public Module {
public:
    ImapModule(Context& context, AccountAccess& accounts)
        : context_(context), accounts_(accounts), fetcher_(context, accounts, accounts), push_(context, accounts, fetcher_)
    {
    }
    /// Joins the workers only: the account module may be gone by now.
    ~ImapModule() override
    {
        push_.stop();
        schedule_.stop();
    }
    std::string id() const override { return "transport.imap"; }
    std::string summary() const override { return "Receiving over IMAP and IMAPS"; }
    std::vector<std::string> dependencies() const override { return {"account"}; }
    std::vector<Operation> operations() override;
    /// Offers the IMAP fetcher to mail.fetch and, in long-running hosts,
    /// fetches online IMAP accounts every erpmail.fetch.interval_seconds and
    /// keeps those whose server offers IDLE idling for new mail.
    void start() override;
    void stop() noexcept override;

private:
    Poco::JSON::Object::Ptr folders(const Request& request);

    Context& context_;
    AccountAccess& accounts_;
    ImapFetcher fetcher_;
    transport::FetchSchedule schedule_;
    ImapPush push_;
};

} // namespace erpmail
