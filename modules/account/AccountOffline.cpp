// Accounts offline and back: set by a person (mail.account.set_online), or
// by an outage of the account's database, which ends by itself.
#include "account/AccountService.h"

#include <Poco/JSON/Object.h>

namespace erpmail {

using Poco::JSON::Array;
using Poco::JSON::Object;

OperationError AccountService::wentOffline(const store::AccountRecord& account, const store::DatabaseUnavailable& e)
{
    takeOffline(account, e.what());
    return OperationError("unavailable", "account '" + account.label + "' is offline: " + e.what());
}

bool AccountService::changeOnline(const store::AccountRecord& account, const std::string& type,
                                  const Object::Ptr& event, const std::function<bool(store::AccountRepository&)>& change)
{
    auto lease = context_.systemWithEvents();
    {
        store::Transaction tx(*lease);
        store::AccountRepository accounts(*lease);
        if (!change(accounts)) return false;
        context_.recordEvent(*lease, type, account.id, event);
        tx.commit();
    }
    context_.deliverEvents(*lease);
    return true;
}

void AccountService::takeOffline(const store::AccountRecord& account, const std::string& reason)
{
    Object::Ptr event = new Object;
    event->set("account", account.id);
    event->set("label", account.label);
    event->set("database", account.databaseId);
    event->set("reason", reason);
    try {
        if (!changeOnline(account, "account.offline", event, [&](store::AccountRepository& accounts) {
                return accounts.setOfflineByOutage(account.id, reason, context_.host().nowMs());
            }))
            return;
    } catch (const std::exception& e) {
        context_.log(ERP_LOG_ERROR, "erpmail.account", "could not record account " + account.id + " offline: " + e.what());
        return;
    }
    context_.log(ERP_LOG_WARNING, "erpmail.account", "account " + account.label + " set offline: " + reason);
}

Object::Ptr AccountService::setOnline(const Request& request)
{
    store::AccountRecord account = requireVisible(request.params->getValue<std::string>("id"), request);
    if (!isOwnerOrAdmin(account, request))
        throw OperationError("forbidden", "only the owner or an admin may set account '" + account.label +
                                              "' online or offline");
    const bool online = request.params->getValue<bool>("online");
    std::optional<std::string> reason;
    if (online) {
        try {
            context_.databases().acquire(account.databaseId, store::Scope::Mailbox);
        } catch (const store::DatabaseUnavailable& e) {
            throw OperationError("unavailable", "account '" + account.label + "' stays offline: " + e.what());
        }
    } else {
        reason = "set offline by " + request.user;
    }
    Object::Ptr event = new Object;
    event->set("account", account.id);
    event->set("label", account.label);
    if (reason) event->set("reason", *reason);
    changeOnline(account, online ? "account.online" : "account.offline", event, [&](store::AccountRepository& accounts) {
        accounts.setOnline(account.id, online, reason, context_.host().nowMs(),
                           online ? std::nullopt : std::optional<std::string>(request.user));
        return true;
    });
    account.online = online;
    account.offlineReason = reason;
    return render(account, request);
}

int AccountService::autoOnlineSeconds() const
{
    return configInt(context_, "erpmail.account.auto_online_seconds", 0, 0, 86400);
}

int AccountService::bringBackOnline()
{
    int back = 0;
    for (const auto& account : allAccounts()) {
        if (account.online || account.offlineBy) continue;
        try {
            context_.databases().connectDirect(account.databaseId)->execute("SELECT 1");
            context_.databases().acquire(account.databaseId, store::Scope::Mailbox); // migrated as for any use
        } catch (const std::exception&) {
            continue; // still gone; tried again next time
        }
        Object::Ptr event = new Object;
        event->set("account", account.id);
        event->set("label", account.label);
        event->set("database", account.databaseId);
        event->set("automatic", true);
        event->set("offline_since_ms",
                   account.offlineSinceMs ? Poco::Dynamic::Var(*account.offlineSinceMs) : Poco::Dynamic::Var());
        event->set("offline_reason",
                   account.offlineReason ? Poco::Dynamic::Var(*account.offlineReason) : Poco::Dynamic::Var());
        try {
            if (!changeOnline(account, "account.online", event, [&](store::AccountRepository& accounts) {
                    return accounts.setOnlineAfterOutage(account.id, context_.host().nowMs());
                }))
                continue; // a person set it offline meanwhile, or another host was first
        } catch (const std::exception& e) {
            context_.log(ERP_LOG_ERROR, "erpmail.account",
                         "could not record account " + account.id + " online: " + e.what());
            continue;
        }
        ++back;
        context_.log(ERP_LOG_INFO, "erpmail.account",
                     "account " + account.label + " online again: its database answers");
    }
    return back;
}

} // namespace erpmail
