// The accounts' sealed secrets: opened for a login, sealed again when they
// change, cleared when the server they were given for changes.
#include "account/AccountService.h"

#include "store/CertificateRepository.h"

#include <Poco/JSON/Array.h>

namespace erpmail {

using Poco::JSON::Array;
using Poco::JSON::Object;

AccountSecrets AccountService::openSecrets(const store::AccountRecord& account) const
{
    if (!account.secrets || account.secrets->empty()) return {};
    std::string plain =
        secrets_->open(*account.secrets, secretsAssociatedData(account.id, account.serverSettings), account.id);
    AccountSecrets opened = AccountSecrets::fromJson(plain);
    wipe(plain);
    return opened;
}

std::optional<AccountSecrets> AccountService::secretsOf(const store::AccountRecord& account) const
{
    try {
        return openSecrets(account);
    } catch (const SecretError&) {
        return std::nullopt; // shown as unknown; mail.account.status says why
    }
}

OperationError AccountService::secretsUnavailable(const store::AccountRecord& account, const SecretError& e) const
{
    return OperationError("unavailable", "the stored passwords of account '" + account.label +
                                             "' cannot be opened, so no login is tried: " + e.what() +
                                             ". Restore the key file " + secrets_->keyPath() +
                                             " (erpmail.secrets.key_file)");
}

void AccountService::sealSecrets(store::AccountRecord& account, const AccountSecrets& secrets)
{
    if (secrets.empty()) {
        account.secrets.reset();
        return;
    }
    if (!secrets_->hasKey()) {
        auto lease = system();
        // The account's own value is being replaced (discard_unreadable_secrets).
        if (store::AccountRepository(*lease).countWithSecrets(account.id) == 0 &&
            store::CertificateRepository(*lease).countWithSealedKeys() == 0)
            secrets_->createKeyIfMissing();
    }
    std::string plain = secrets.toJson();
    try {
        account.secrets = secrets_->seal(plain, secretsAssociatedData(account.id, account.serverSettings));
    } catch (const SecretKeyUnavailable& e) {
        wipe(plain);
        throw OperationError("unavailable", std::string("passwords cannot be stored while other stored passwords "
                                                        "have no key: ") +
                                                e.what() + ". Restore the key file first");
    }
    wipe(plain);
}

Array::Ptr AccountService::rebindSecrets(const store::AccountRecord& before, store::AccountRecord& account,
                                         const SecretChanges& changes, bool discardUnreadable)
{
    Array::Ptr cleared = new Array;
    const bool given =
        changes.incomingPassword || changes.smtpPassword || changes.oauthRefreshToken || changes.oauthClientSecret;
    const bool rebound = secretsAssociatedData(before.id, before.serverSettings) !=
                         secretsAssociatedData(account.id, account.serverSettings);
    if (!given && !rebound) return cleared; // sealed value kept as it is, opened or not
    AccountSecrets secrets;
    try {
        secrets = openSecrets(before);
    } catch (const SecretError& e) {
        if (!discardUnreadable)
            throw OperationError("unavailable", "the server settings and passwords of account '" + account.label +
                                                    "' cannot be changed, since its stored passwords cannot be "
                                                    "opened: " +
                                                    e.what() + ". Restore the key file " + secrets_->keyPath() +
                                                    ", or repeat with discard_unreadable_secrets to enter them anew");
        cleared->add("unreadable_secrets");
        secrets = {};
    }
    const SecretBindings was = secretBindingsOf(before.serverSettings), now = secretBindingsOf(account.serverSettings);
    // A secret given for one server does not go to another one: whoever
    // changes where it goes (admins included) enters it again.
    auto clearIf = [&](bool changed, const std::optional<std::string>& givenNow, std::string& secret,
                       const char* name) {
        if (changed && !givenNow && !secret.empty()) {
            wipe(secret);
            cleared->add(std::string(name));
        }
    };
    clearIf(was.incoming != now.incoming, changes.incomingPassword, secrets.incomingPassword, "incoming.password");
    clearIf(was.oauth != now.oauth, changes.oauthRefreshToken, secrets.oauthRefreshToken,
            "incoming.oauth2.refresh_token");
    clearIf(was.oauth != now.oauth, changes.oauthClientSecret, secrets.oauthClientSecret,
            "incoming.oauth2.client_secret");
    clearIf(was.smtp != now.smtp, changes.smtpPassword, secrets.smtpPassword, "smtp.password");
    if (was.oauth != now.oauth || changes.oauthRefreshToken) { // bought for another grant
        wipe(secrets.oauthAccessToken);
        secrets.oauthAccessValidUntilMs = 0;
    }
    if (changes.incomingPassword || changes.oauthRefreshToken) {
        secrets.incomingLentToSmtp = true; // entered for the servers as they are now
    } else if (was.smtpServer != now.smtpServer && secrets.incomingLentToSmtp) {
        secrets.incomingLentToSmtp = false;
        if (now.smtpBorrows && (!secrets.incomingPassword.empty() || !secrets.oauthRefreshToken.empty()))
            cleared->add("smtp.uses_incoming_credentials");
    }
    secrets.take(changes);
    sealSecrets(account, secrets);
    if (cleared->size() > 0)
        context_.log(ERP_LOG_INFO, "erpmail.account",
                     "account " + account.id + ": secrets cleared because the servers they were given for changed");
    return cleared;
}

AccountCredentials AccountService::credentials(const store::AccountRecord& account)
{
    try {
        return AccountCredentials(openSecrets(account)); // without the access token
    } catch (const SecretError& e) {
        throw secretsUnavailable(account, e);
    }
}

namespace {

// A long-running worker's record may be older than the stored one: its
// secrets go out only while they are bound to the same servers.
void requireSameServers(const store::AccountRecord& account, const std::optional<store::AccountRecord>& current)
{
    if (!current) throw OperationError("not_found", "account " + account.id + " no longer exists");
    if (secretsAssociatedData(current->id, current->serverSettings) !=
        secretsAssociatedData(account.id, account.serverSettings))
        throw OperationError("unavailable", "the servers of account '" + account.label +
                                                "' changed meanwhile; nothing was sent, the next attempt uses the "
                                                "new settings");
}

} // namespace

AccountCredentials AccountService::currentCredentials(const store::AccountRecord& account)
{
    auto lease = system();
    auto current = store::AccountRepository(*lease).find(account.id);
    requireSameServers(account, current);
    return credentials(*current);
}

OAuthAccess AccountService::lockedAccessToken(const store::AccountRecord& account, std::int64_t nowMs,
                                              const std::function<OAuthAccess(const AccountCredentials&)>& buy)
{
    auto lease = system();
    store::Transaction tx(*lease);
    store::AccountRepository repository(*lease);
    // Held until the commit: a second buyer, in this process or another,
    // waits here and then finds the token this one stored.
    repository.lockForUpdate(account.id);
    auto current = repository.find(account.id);
    requireSameServers(account, current);
    AccountSecrets secrets;
    try {
        secrets = openSecrets(*current);
    } catch (const SecretError& e) {
        throw secretsUnavailable(*current, e);
    }
    OAuthAccess access;
    if (!secrets.oauthAccessToken.empty() && secrets.oauthAccessValidUntilMs > nowMs) {
        access.accessToken = secrets.oauthAccessToken;
        access.validUntilMs = secrets.oauthAccessValidUntilMs;
        return access; // bought by another process meanwhile; nothing to write
    }
    AccountCredentials credentials;
    credentials.oauthRefreshToken = secrets.oauthRefreshToken;
    credentials.oauthClientSecret = secrets.oauthClientSecret;
    access = buy(credentials);
    if (!access.rotatedRefreshToken.empty()) secrets.oauthRefreshToken = access.rotatedRefreshToken;
    secrets.oauthAccessToken = access.accessToken;
    secrets.oauthAccessValidUntilMs = access.validUntilMs;
    sealSecrets(*current, secrets);
    repository.setSecrets(current->id, current->secrets);
    tx.commit(); // the spent refresh token is gone for good: a failure here ends the login
    return access;
}

void AccountService::dropAccessToken(const std::string& accountId, const std::string& refused)
{
    auto lease = system();
    store::Transaction tx(*lease);
    store::AccountRepository repository(*lease);
    repository.lockForUpdate(accountId);
    auto account = repository.find(accountId);
    auto secrets = account ? secretsOf(*account) : std::nullopt;
    if (!secrets || secrets->oauthAccessToken != refused) return; // a newer one, or unreadable: keep that
    wipe(secrets->oauthAccessToken);
    secrets->oauthAccessValidUntilMs = 0;
    sealSecrets(*account, *secrets);
    repository.setSecrets(account->id, account->secrets);
    tx.commit();
}

std::string AccountService::sealSecret(const std::string& secret, const std::string& boundTo)
{
    if (!secrets_->hasKey()) {
        auto lease = system();
        // A key is made only while nothing is sealed: never one in place of a lost key.
        if (store::AccountRepository(*lease).countWithSecrets() == 0 &&
            store::CertificateRepository(*lease).countWithSealedKeys() == 0)
            secrets_->createKeyIfMissing();
    }
    try {
        return secrets_->seal(secret, boundTo);
    } catch (const SecretKeyUnavailable& e) {
        throw OperationError("unavailable", std::string("a private key cannot be stored while other stored secrets "
                                                        "have no key: ") +
                                                e.what() + ". Restore the key file first");
    }
}

std::string AccountService::openSecret(const std::string& sealed, const std::string& boundTo)
{
    try {
        return secrets_->open(sealed, boundTo, boundTo);
    } catch (const SecretError& e) {
        throw OperationError("unavailable", std::string("a stored private key does not open: ") + e.what());
    }
}

} // namespace erpmail
