#include "transport/pop3/Pop3Module.h"

#include "transport/common/ServerProbe.h"
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

} // namespace

std::vector<Operation> Pop3Module::operations()
{
    return {transport::probeOperation(context_, transport::Protocol::Pop3, "mail.pop3.probe",
                                      "Tests a POP3 server: connect, TLS (verified), greeting, CAPA; each step reported",
                                      probePop3)};
}

void Pop3Module::start()
{
    accounts_.registerFetcher(&fetcher_);
    schedule_.start(context_, [this] { transport::fetchAllHandled(context_, accounts_, fetcher_, "erpmail.pop3"); });
}

void Pop3Module::stop() noexcept
{
    accounts_.unregisterFetcher(&fetcher_);
    schedule_.stop();
}

} // namespace erpmail
