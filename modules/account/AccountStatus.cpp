// mail.account.status: an account's health at a glance.
#include "account/AccountService.h"

#include "store/CertificateRepository.h"
#include "store/FetchStateRepository.h"
#include "store/MessageRepository.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Object.h>

namespace erpmail {

using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

// The account's signing certificate and when it expires; null when it signs with none.
Poco::Dynamic::Var signingCertificateStatus(Context& context, const std::string& accountId)
{
    auto system = context.databases().acquire(context.systemDatabaseId(), store::Scope::System);
    store::CertificateRepository certificates(*system);
    const store::AccountCertificates chosen = certificates.ofAccount(accountId);
    auto record = chosen.signingId ? certificates.find(*chosen.signingId) : std::nullopt;
    if (!record) return {};
    const std::int64_t now = context.host().nowMs();
    Object::Ptr o = new Object;
    o->set("id", record->id);
    o->set("subject", record->subject);
    o->set("issuer", record->issuer);
    o->set("fingerprint_sha256", record->fingerprint);
    o->set("not_after",
           Poco::DateTimeFormatter::format(Poco::Timestamp(record->notAfterMs * 1000), "%Y-%m-%dT%H:%M:%SZ"));
    o->set("not_after_ms", record->notAfterMs);
    o->set("days_left", (record->notAfterMs - now) / 86400000);
    o->set("expired", now > record->notAfterMs);
    o->set("always_sign", chosen.alwaysSign);
    return o;
}

} // namespace

Object::Ptr AccountService::status(const Request& request)
{
    store::AccountRecord account = requireVisible(request.params->getValue<std::string>("id"), request);
    Object::Ptr o = new Object;
    o->set("account", account.id);
    o->set("label", account.label);
    o->set("online", account.online);
    o->set("offline_reason", account.offlineReason ? Poco::Dynamic::Var(*account.offlineReason) : Poco::Dynamic::Var());
    addOfflineStatus(*o, account);
    o->set("secrets", secretsStatus(account));
    o->set("signing_certificate", signingCertificateStatus(context_, account.id));
    if (!account.online) return o;
    withMailbox(account, [&](store::Connection& c) {
        store::MessageRepository messages(c);
        Object::Ptr counts = new Object;
        for (const auto& [state, n] : messages.countByState(account.id)) counts->set(state, n);
        o->set("messages", counts);
        Object::Ptr outbox = new Object;
        for (const auto& [state, n] : messages.countOutboxByState(account.id)) outbox->set(state, n);
        o->set("outbox", outbox);
        Object::Ptr fetch = new Object;
        auto opt = [](const std::optional<std::int64_t>& v) { return v ? Poco::Dynamic::Var(*v) : Poco::Dynamic::Var(); };
        if (auto f = store::FetchStateRepository(c).latest(account.id)) {
            fetch->set("last_success_ms", opt(f->lastSuccessMs));
            fetch->set("last_error", f->lastError ? Poco::Dynamic::Var(*f->lastError) : Poco::Dynamic::Var());
            fetch->set("consecutive_failures", f->consecutiveFailures);
            fetch->set("password_last_accepted_ms", opt(f->lastLoginMs));
            fetch->set("too_large_on_server", f->tooLarge);
        }
        o->set("fetch", fetch);
        return 0;
    });
    return o;
}

void AccountService::addOfflineStatus(Object& status, const store::AccountRecord& account) const
{
    const bool offline = !account.online;
    status.set("offline_since_ms",
               offline && account.offlineSinceMs ? Poco::Dynamic::Var(*account.offlineSinceMs) : Poco::Dynamic::Var());
    status.set("offline_by",
               offline && account.offlineBy ? Poco::Dynamic::Var(*account.offlineBy) : Poco::Dynamic::Var());
    // Only an outage ends by itself; what a person did, a person undoes.
    status.set("comes_back_by_itself", offline && !account.offlineBy && autoOnlineSeconds() > 0);
}

Object::Ptr AccountService::secretsStatus(const store::AccountRecord& account) const
{
    Object::Ptr o = new Object;
    const bool stored = account.secrets && !account.secrets->empty();
    std::string error;
    if (stored) {
        try {
            openSecrets(account);
        } catch (const SecretError& e) {
            error = e.what();
        }
    }
    o->set("stored", stored);
    o->set("readable", stored && error.empty());
    o->set("error", error.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(error));
    return o;
}

} // namespace erpmail
