#include "transport/common/FetchSchedule.h"

#include "transport/common/FetchLease.h"

#include <Poco/JSON/Parser.h>

namespace erpmail::transport {

Poco::JSON::Object::Ptr incomingSettings(const store::AccountRecord& account)
{
    Poco::JSON::Parser parser;
    auto server = parser.parse(account.serverSettings.empty() ? "{}" : account.serverSettings)
                      .extract<Poco::JSON::Object::Ptr>();
    return server->has("incoming") ? server->getObject("incoming") : nullptr;
}

void FetchSchedule::start(Context& context, std::function<void()> fetchAll)
{
    auto background = context.host().config("erp.host.background");
    if (background && (*background == "no" || *background == "off")) return;
    int interval = 300;
    if (auto v = context.host().config("erpmail.fetch.interval_seconds")) {
        try {
            interval = std::max(1, std::stoi(*v));
        } catch (const std::exception&) {
            // keep the default
        }
    }
    stopping_ = false;
    worker_ = std::thread([this, interval, fetchAll = std::move(fetchAll)] {
        std::unique_lock<std::mutex> lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            fetchAll();
            lock.lock();
            wake_.wait_for(lock, std::chrono::seconds(interval), [this] { return stopping_; });
        }
    });
}

void FetchSchedule::stop() noexcept
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (worker_.joinable()) worker_.join();
}

void announceReceived(Context& context, const std::string& accountId, const std::vector<StoredMessage>& stored)
{
    for (const auto& m : stored) {
        Poco::JSON::Object::Ptr event = new Poco::JSON::Object;
        event->set("account", accountId);
        event->set("id", m.id);
        event->set("subject", m.subject);
        event->set("from", m.from);
        Poco::JSON::Parser parser;
        event->set("documents", parser.parse(m.documentLinks));
        context.emit("mail.received", event);
    }
}

FetchReport runFetch(Context& context, AccountAccess& accounts, const store::AccountRecord& account,
                     const std::string& folder, const char* component, const FetchBody& body)
{
    static const std::string owner = leaseOwnerName();
    auto lease = accounts.mailbox(account);
    store::FetchStateRepository state(*lease);
    if (!takeFetchLease(state, account.id, folder, owner, context.host().nowMs()))
        throw OperationError("conflict", "account '" + account.label + "' is being fetched already");
    FetchReport report;
    std::vector<StoredMessage> stored;
    try {
        report = body(*lease, state, stored);
        state.recordSuccess(account.id, folder, context.host().nowMs());
    } catch (const std::exception& e) {
        std::string reason = e.what();
        try {
            state.recordFailure(account.id, folder, reason);
            state.releaseLease(account.id, folder, owner);
        } catch (const std::exception&) {
            // The database is failing too; the lease expires by itself.
        }
        context.log(ERP_LOG_WARNING, component, "fetch of account " + account.label + " failed: " + reason);
        if (const auto* op = dynamic_cast<const OperationError*>(&e)) throw *op;
        throw OperationError("unavailable", "fetching account '" + account.label + "' failed: " + reason);
    }
    state.releaseLease(account.id, folder, owner);
    announceReceived(context, account.id, stored);
    return report;
}

bool readyToDeleteOnServer(Context& context, store::Connection& connection, const store::AccountRecord& account,
                           const char* component)
{
    if (connection.flushToDisk()) return true;
    context.log(ERP_LOG_WARNING, component, "account " + account.label + ": the database could not be flushed to disk; "
                                            "nothing is deleted on the server this time");
    return false;
}

void fetchAllHandled(Context& context, AccountAccess& accounts, MailFetcher& fetcher, const char* component)
{
    for (const auto& account : accounts.allAccounts()) {
        if (!account.online || !fetcher.handles(account)) continue;
        try {
            fetcher.fetch(account);
        } catch (const std::exception& e) {
            context.log(ERP_LOG_WARNING, component, std::string("scheduled fetch: ") + e.what());
        }
    }
}

} // namespace erpmail::transport
