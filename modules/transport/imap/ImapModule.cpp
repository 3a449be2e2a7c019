#include "transport/imap/ImapModule.h"

#include "transport/common/ServerProbe.h"

namespace erpmail {

std::vector<Operation> ImapModule::operations()
{
    return {transport::probeOperation(context_, transport::Protocol::Imap, "mail.imap.probe",
                                      "Tests an IMAP server: connect, TLS (verified), greeting, CAPABILITY; each step reported")};
}

void ImapModule::start()
{
    accounts_.registerFetcher(&fetcher_);
    schedule_.start(context_, [this] { fetcher_.fetchAll(); });
    push_.start();
}

void ImapModule::stop() noexcept
{
    push_.stop();
    accounts_.unregisterFetcher(&fetcher_);
    schedule_.stop();
}

} // namespace erpmail
