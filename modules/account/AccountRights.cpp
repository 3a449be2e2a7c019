// Finding the accounts a request may see, and the rules of what it may do
// with them (AccountRight).
#include "account/AccountService.h"

#include "account/LabelOrder.h"

#include <algorithm>

namespace erpmail {

namespace {

store::Viewer viewerOf(const Request& r)
{
    return {r.user, r.userIsAdmin};
}

void sortByLabel(std::vector<store::AccountRecord>& accounts)
{
    std::stable_sort(accounts.begin(), accounts.end(), [](const auto& a, const auto& b) {
        return labelSortKey(a.label) < labelSortKey(b.label);
    });
}

} // namespace

bool AccountService::holds(const store::AccountRecord& account, const Request& request, AccountRight right)
{
    if (request.userIsAdmin || account.owner == request.user) return true;
    switch (right) {
    case AccountRight::Read: return true; // visibility was checked when the account was found
    case AccountRight::Send:
    case AccountRight::Configure: return account.kind == "public";
    case AccountRight::Delete:
    case AccountRight::Own: return false;
    }
    return false;
}

store::AccountRecord AccountService::requireOnline(const std::string& id, const Request& request, AccountRight right)
{
    store::AccountRecord account = requireOnline(id, request);
    if (holds(account, request, right)) return account;
    static const char* const what[] = {"read the mail of", "send as", "delete mail of for good", "change",
                                       "delete, hand over or take offline"};
    throw OperationError("forbidden", "only the owner or an admin may " + std::string(what[static_cast<int>(right)]) +
                                          " " + account.kind + " account '" + account.label + "'");
}

store::AccountRecord AccountService::requireVisible(const std::string& id, const Request& request)
{
    auto lease = system();
    store::AccountRepository accounts(*lease);
    if (auto account = accounts.findVisible(id, viewerOf(request))) return *account;
    if (request.userIsAdmin) throw OperationError("not_found", "there is no account '" + id + "'", "id");
    throw OperationError("forbidden", "there is no account '" + id + "' that you may use", "id");
}

store::AccountRecord AccountService::requireOnline(const std::string& id, const Request& request)
{
    store::AccountRecord account = requireVisible(id, request);
    if (!account.online)
        throw OperationError("unavailable", "account '" + account.label + "' is offline" +
                                                (account.offlineReason ? ": " + *account.offlineReason : std::string()));
    return account;
}

std::vector<store::AccountRecord> AccountService::listVisible(const Request& request)
{
    auto lease = system();
    auto accounts = store::AccountRepository(*lease).listVisible(viewerOf(request));
    sortByLabel(accounts);
    return accounts;
}

std::optional<store::AccountRecord> AccountService::mainAccountOf(const std::string& user)
{
    auto lease = system();
    auto owned = store::AccountRepository(*lease).listOwnedBy(user);
    if (owned.empty()) return std::nullopt;
    sortByLabel(owned);
    return owned.front();
}

std::vector<store::AccountRecord> AccountService::allAccounts()
{
    auto lease = system();
    return store::AccountRepository(*lease).listVisible({"", true});
}

} // namespace erpmail
