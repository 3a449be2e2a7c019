// mail.account.create, get, list, update, delete, set_owner, main and
// visibility_candidates: accounts as their owners and admins manage them.
#include "account/AccountService.h"

#include "store/MessageRepository.h"
#include "store/RandomId.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

namespace erpmail {

using Poco::JSON::Array;
using Poco::JSON::Object;

HostDirectory AccountService::hostDirectory() const
{
    HostDirectory d;
    Poco::JSON::Parser parser;
    auto users = parser.parse(context_.host().usersJson()).extract<Array::Ptr>();
    for (std::size_t i = 0; i < users->size(); ++i) {
        auto u = users->getObject(static_cast<unsigned>(i));
        d.users.insert(u->getValue<std::string>("id"));
        if (auto groups = u->getArray("groups"))
            for (std::size_t g = 0; g < groups->size(); ++g)
                d.groups.insert(groups->getElement<std::string>(static_cast<unsigned>(g)));
    }
    for (const auto& db : context_.databaseList()) d.databases.insert(db.id);
    return d;
}

// "main" marks the caller's own main account; another owner's main account is not the caller's.
Object::Ptr AccountService::render(const store::AccountRecord& account, const Request& request)
{
    auto main = account.owner == request.user ? mainAccountOf(request.user) : std::nullopt;
    return accountToJson(account, secretsOf(account), main && main->id == account.id, canChange(account, request));
}

Object::Ptr AccountService::create(const Request& request)
{
    const auto& p = request.params;
    store::AccountRecord account;
    account.id = store::randomUuid();
    account.owner = p->optValue<std::string>("owner", request.user);
    if (account.owner != request.user && !request.userIsAdmin)
        throw OperationError("forbidden", "only admins create accounts for other users", "owner");
    account.databaseId = context_.systemDatabaseId();
    checkTrustAnchorParams(p, "", request.userIsAdmin);
    SecretChanges changes;
    applyAccountParams(p, hostDirectory(), account, changes);
    account.createdAtMs = account.updatedAtMs = context_.host().nowMs();
    AccountSecrets secrets;
    secrets.take(changes);
    try {
        context_.databases().acquire(account.databaseId, store::Scope::Mailbox);
    } catch (const store::DatabaseUnavailable& e) {
        throw OperationError("unavailable", std::string("the account's database cannot be reached: ") + e.what(),
                             "database");
    }
    sealSecrets(account, secrets);
    auto lease = system();
    store::AccountRepository(*lease).insert(account);
    context_.log(ERP_LOG_INFO, "erpmail.account", request.user + " created account " + account.id);
    return render(account, request);
}

Object::Ptr AccountService::get(const Request& request)
{
    return render(requireVisible(request.params->getValue<std::string>("id"), request), request);
}

Object::Ptr AccountService::list(const Request& request)
{
    auto accounts = listVisible(request);
    auto main = mainAccountOf(request.user);
    Array::Ptr items = new Array;
    for (const auto& a : accounts)
        items->add(accountToJson(a, secretsOf(a), main && main->id == a.id, canChange(a, request)));
    Object::Ptr result = new Object;
    result->set("accounts", items);
    result->set("main_account", main ? Poco::Dynamic::Var(main->id) : Poco::Dynamic::Var());
    return result;
}

Object::Ptr AccountService::update(const Request& request)
{
    const auto& p = request.params;
    store::AccountRecord account = requireVisible(p->getValue<std::string>("id"), request);
    if (!canChange(account, request))
        throw OperationError("forbidden", "only the owner or an admin may change personal account '" + account.label + "'");
    if (p->has("kind") && p->getValue<std::string>("kind") != account.kind && !isOwnerOrAdmin(account, request))
        throw OperationError("forbidden", "only the owner or an admin may change an account's kind", "kind");
    const store::AccountRecord before = account;
    checkTrustAnchorParams(p, account.serverSettings, request.userIsAdmin);
    SecretChanges changes;
    applyAccountParams(p, hostDirectory(), account, changes);

    Object::Ptr extra = new Object;
    if (account.databaseId != before.databaseId) {
        std::optional<std::int64_t> staying;
        try {
            auto old = context_.databases().acquire(before.databaseId, store::Scope::Mailbox);
            staying = store::MessageRepository(*old).countForAccount(account.id);
        } catch (const store::StoreError&) {
            // The old database is gone; its messages cannot be counted.
        }
        const std::string count = staying ? std::to_string(*staying) : "an unknown number of";
        if (!p->optValue<bool>("confirm_database_change", false))
            throw OperationError("conflict", "moving account '" + account.label + "' to database '" +
                                                 account.databaseId + "' moves no data: its " + count +
                                                 " messages stay in '" + before.databaseId +
                                                 "' and are no longer linked. Repeat with confirm_database_change",
                                 "database");
        try {
            context_.databases().acquire(account.databaseId, store::Scope::Mailbox);
        } catch (const store::DatabaseUnavailable& e) {
            throw OperationError("unavailable", std::string("the new database cannot be reached: ") + e.what(), "database");
        }
        extra->set("messages_left_behind", staying ? Poco::Dynamic::Var(*staying) : Poco::Dynamic::Var());
    }
    Array::Ptr cleared =
        rebindSecrets(before, account, changes, p->optValue<bool>("discard_unreadable_secrets", false));
    extra->set("secrets_cleared", cleared);
    account.updatedAtMs = context_.host().nowMs();
    {
        auto lease = system();
        store::Transaction tx(*lease);
        store::AccountRepository(*lease).update(account);
        tx.commit();
    }
    Object::Ptr result = render(account, request);
    for (const auto& [k, v] : *extra) result->set(k, v);
    return result;
}

Object::Ptr AccountService::remove(const Request& request)
{
    store::AccountRecord account = requireVisible(request.params->getValue<std::string>("id"), request);
    if (!isOwnerOrAdmin(account, request))
        throw OperationError("forbidden", "only the owner or an admin may delete account '" + account.label + "'");
    const bool confirmed = request.params->optValue<bool>("confirm", false);
    std::int64_t deleted = withMailbox(account, [&](store::Connection& c) -> std::int64_t {
        store::MessageRepository messages(c);
        if (!confirmed) {
            throw OperationError("conflict", "deleting account '" + account.label + "' deletes its " +
                                                 std::to_string(messages.countForAccount(account.id)) +
                                                 " messages. Repeat with confirm to delete it",
                                 "confirm");
        }
        store::Transaction tx(c);
        std::int64_t n = messages.removeAccount(account.id);
        tx.commit();
        return n;
    });
    {
        auto lease = system();
        store::Transaction tx(*lease);
        store::AccountRepository(*lease).remove(account.id);
        tx.commit();
    }
    context_.log(ERP_LOG_INFO, "erpmail.account",
                 request.user + " deleted account " + account.id + " with " + std::to_string(deleted) + " messages");
    Object::Ptr result = new Object;
    result->set("deleted", true);
    result->set("deleted_messages", deleted);
    return result;
}

Object::Ptr AccountService::setOwner(const Request& request)
{
    store::AccountRecord account = requireVisible(request.params->getValue<std::string>("id"), request);
    if (!isOwnerOrAdmin(account, request))
        throw OperationError("forbidden", "only the owner or an admin may hand over account '" + account.label + "'");
    const std::string owner = request.params->getValue<std::string>("owner");
    if (!hostDirectory().users.count(owner)) throw invalidParam("owner", "owner '" + owner + "' is not a user of the host");
    account.owner = owner;
    account.updatedAtMs = context_.host().nowMs();
    auto lease = system();
    store::AccountRepository(*lease).update(account);
    return render(account, request);
}

Object::Ptr AccountService::mainAccount(const Request& request)
{
    const std::string user = request.params->optValue<std::string>("user", request.user);
    if (user != request.user && !request.userIsAdmin)
        throw OperationError("forbidden", "only admins look up another user's main account", "user");
    Object::Ptr result = new Object;
    auto main = mainAccountOf(user);
    result->set("user", user);
    result->set("account", main ? Poco::Dynamic::Var(accountToJson(*main, secretsOf(*main), true, canChange(*main, request)))
                                : Poco::Dynamic::Var());
    return result;
}

Object::Ptr AccountService::visibilityCandidates(const Request& request)
{
    const std::string group = request.params->optValue<std::string>("group", "*");
    Poco::JSON::Parser parser;
    auto users = parser.parse(context_.host().usersJson()).extract<Array::Ptr>();
    Array::Ptr out = new Array;
    bool groupKnown = group == "*";
    for (std::size_t i = 0; i < users->size(); ++i) {
        auto u = users->getObject(static_cast<unsigned>(i));
        bool member = group == "*";
        if (auto groups = u->getArray("groups"))
            for (std::size_t g = 0; g < groups->size(); ++g)
                member = member || groups->getElement<std::string>(static_cast<unsigned>(g)) == group;
        groupKnown = groupKnown || member;
        if (!member) continue;
        Object::Ptr item = new Object;
        item->set("id", u->getValue<std::string>("id"));
        item->set("name", u->optValue<std::string>("name", ""));
        out->add(item);
    }
    if (!groupKnown) throw invalidParam("group", "the host has no user group '" + group + "'");
    Object::Ptr result = new Object;
    result->set("users", out);
    return result;
}

} // namespace erpmail
