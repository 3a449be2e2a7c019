// The fetchers the receiving modules offer, found by account: mail.fetch,
// the incoming side of the account test, and Sent copies on the server.
#include "account/AccountService.h"

#include "account/JsonValues.h"

#include <Poco/JSON/Array.h>

#include <algorithm>

namespace erpmail {

using Poco::JSON::Array;
using Poco::JSON::Object;

void AccountService::registerFetcher(MailFetcher* fetcher)
{
    std::lock_guard<std::mutex> lock(fetchersMutex_);
    fetchers_.push_back(fetcher);
}

void AccountService::unregisterFetcher(MailFetcher* fetcher)
{
    std::lock_guard<std::mutex> lock(fetchersMutex_);
    fetchers_.erase(std::remove(fetchers_.begin(), fetchers_.end(), fetcher), fetchers_.end());
}

MailFetcher* AccountService::fetcherFor(const AccountSettings& settings)
{
    std::lock_guard<std::mutex> lock(fetchersMutex_);
    for (auto* f : fetchers_)
        if (f->handles(settings)) return f;
    return nullptr;
}

void AccountService::keepSentOnServer(const store::AccountRecord& account, const std::vector<std::string>& raws)
{
    if (raws.empty()) return;
    const AccountSettings settings = AccountSettings::of(account);
    if (MailFetcher* fetcher = fetcherFor(settings)) fetcher->appendToSent(account, settings, raws);
}

void AccountService::testIncomingLogin(const store::AccountRecord& account, StepReport& report)
{
    const AccountSettings settings = AccountSettings::of(account);
    MailFetcher* fetcher = fetcherFor(settings);
    if (!fetcher) throw std::runtime_error("no module that runs here receives this account's mail");
    fetcher->testLogin(account, settings, report);
}

Object::Ptr AccountService::fetch(const Request& request)
{
    store::AccountRecord account = requireOnline(request.params->getValue<std::string>("account"), request);
    const AccountSettings settings = AccountSettings::of(account);
    if (!settings.incoming)
        throw invalidParam("account", "account '" + account.label + "' has no incoming server");
    const std::string& protocol = settings.incoming->protocol;
    MailFetcher* fetcher = fetcherFor(settings);
    if (!fetcher) {
        const std::string module = protocol.rfind("pop3", 0) == 0 ? "transport.pop3" : "transport.imap";
        throw OperationError("module_disabled", "account '" + account.label + "' receives over " + protocol +
                                                    ", and module '" + module + "' does not run in this installation");
    }
    FetchReport report = fetcher->fetch(account, settings);
    Array::Ptr tooLarge = new Array;
    for (const auto& t : report.tooLarge.value_or(std::vector<TooLargeMail>{}))
        tooLarge->add(jsonObject({{"id", t.id}, {"size", t.size}, {"from", t.from}, {"subject", t.subject}}));
    return jsonObject({{"account", account.id},
                       {"fetched", report.fetched},
                       {"deleted_on_server", report.deletedOnServer},
                       {"on_server_before", report.onServer},
                       {"too_large", tooLarge}});
}

} // namespace erpmail
