#include "transport/pop3/Pop3Module.h"

#include "transport/common/FetchSchedule.h"
#include "transport/common/ServerProbe.h"
#include "transport/pop3/Pop3Fetcher.h"
#include "transport/pop3/Pop3Session.h"

namespace erpmail {

namespace {

// The goodbye is no step: a rude one changes none of the answers.
void probePop3(const transport::ProbeRequest& request, StepReport& report)
{
    transport::Pop3Session session(transport::probeSettings<transport::Pop3Settings>(request, report));
    report.succeed();
    try {
        session.quit();
    } catch (const std::exception&) {
    }
}

class Pop3Module : public Module {
public:
    Pop3Module(Context& context, AccountDirectory& accounts, SecretStore& secrets, MessageStore& messages,
               FetcherRegistry& fetchers)
        : context_(context), accounts_(accounts), fetchers_(fetchers), fetcher_(context, secrets, messages)
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
    AccountDirectory& accounts_;
    FetcherRegistry& fetchers_;
    Pop3Fetcher fetcher_;
    transport::FetchSchedule schedule_;
};


} // namespace

std::vector<Operation> Pop3Module::operations()
{
    return {transport::probeOperation(context_, transport::Protocol::Pop3, "mail.pop3.probe",
                                      "Tests a POP3 server: connect, TLS (verified), greeting, CAPA; each step reported",
                                      probePop3)};
}

void Pop3Module::start()
{
    fetchers_.registerFetcher(&fetcher_);
    schedule_.start(context_, [this] { transport::fetchAllHandled(context_, accounts_, fetcher_, "erpmail.pop3"); });
}

void Pop3Module::stop() noexcept
{
    fetchers_.unregisterFetcher(&fetcher_);
    schedule_.stop();
}

std::unique_ptr<Module> makePop3Module(Context& context, AccountDirectory& accounts, SecretStore& secrets,
                                       MessageStore& messages, FetcherRegistry& fetchers)
{
    return std::make_unique<Pop3Module>(context, accounts, secrets, messages, fetchers);
}

} // namespace erpmail
