// The account module's service: the account operations and what other
// modules may ask of accounts (AccountAccess). Its parts live in files named
// after them: AccountService.cpp (set-up, the operation table),
// AccountCrud.cpp, AccountRights.cpp, AccountSecretStore.cpp,
// SecretKeyOperations.cpp, AccountMessageStore.cpp, AccountOffline.cpp,
// AccountFetchers.cpp, AccountStatus.cpp and AccountMessageSecurity.cpp.
#pragma once

#include "account/AccountJson.h"
#include "account/SecretBox.h"
#include "certificate/SmimeTrust.h"
#include "erpmail/SecretSealer.h"
#include "erpmail/AccountAccess.h"
#include "erpmail/Context.h"
#include "erpmail/Module.h"
#include "erpmail/OperationError.h"
#include "store/AccountRepository.h"
#include "store/DatabaseRegistry.h"

#include <Poco/JSON/Array.h>

#include <functional>
#include <memory>
#include <mutex>

namespace erpmail {

class AccountService : public AccountAccess, public SecretSealer {
public:
    explicit AccountService(Context& context) : context_(context) {}

    /// Opens the key file and migrates the system database.
    void start();

    // Other secrets under the same key: certificates' private keys (AccountSecretStore.cpp)

    std::string sealSecret(const std::string& secret, const std::string& boundTo) override;
    std::string openSecret(const std::string& sealed, const std::string& boundTo) override;

    std::vector<Operation> operations();
    Context& context() { return context_; }

    // Finding accounts and what a request may do with them (AccountRights.cpp)

    /// The account if the caller may see it. Not found and not visible answer
    /// alike (forbidden), so a caller learns nothing about accounts hidden
    /// from them; admins, who see all, get not_found.
    store::AccountRecord requireVisible(const std::string& id, const Request& request) override;
    /// Visible and online; an offline account's mail is neither shown nor used.
    store::AccountRecord requireOnline(const std::string& id, const Request& request) override;
    store::AccountRecord requireOnline(const std::string& id, const Request& request, AccountRight right) override;
    /// Every account the caller may see, sorted by label (see LabelOrder.h).
    std::vector<store::AccountRecord> listVisible(const Request& request);
    std::vector<store::AccountRecord> visibleAccounts(const Request& request) override { return listVisible(request); }
    std::vector<store::AccountRecord> allAccounts() override;
    /// The main account of a user: the owned account with the first label.
    std::optional<store::AccountRecord> mainAccountOf(const std::string& user) override;
    /// The rules of AccountRight, for an account the request can see.
    static bool holds(const store::AccountRecord& account, const Request& request, AccountRight right);
    bool allows(const store::AccountRecord& account, const Request& request, AccountRight right) override
    {
        return holds(account, request, right);
    }
    /// Personal: owner or admin. Public: every user.
    static bool canChange(const store::AccountRecord& account, const Request& request)
    {
        return holds(account, request, AccountRight::Configure);
    }
    /// Owner or admin, whatever the kind (delete, hand over, kind, online).
    static bool isOwnerOrAdmin(const store::AccountRecord& account, const Request& request)
    {
        return holds(account, request, AccountRight::Own);
    }

    // Secrets (AccountSecretStore.cpp, SecretKeyOperations.cpp)

    AccountCredentials credentials(const store::AccountRecord& account) override;
    AccountCredentials currentCredentials(const store::AccountRecord& account) override;
    OAuthAccess lockedAccessToken(const store::AccountRecord& account, std::int64_t nowMs,
                                  const std::function<OAuthAccess(const AccountCredentials&)>& buy) override;
    void dropAccessToken(const std::string& accountId, const std::string& refused) override;
    /// mail.secrets.check: per account with sealed secrets, whether they open.
    Poco::JSON::Object::Ptr checkSecrets(const Request& request);
    /// mail.secrets.rotate: every secret resealed under a new key (see SecretBox).
    Poco::JSON::Object::Ptr rotateSecrets(const Request& request);

    // The account's database and its messages (AccountMessageStore.cpp)

    /// Runs fn with a connection to the account's own database. If that
    /// database cannot be reached, the account is set offline (once, with an
    /// account.offline event) and OperationError(unavailable) is thrown.
    template <class Fn>
    auto withMailbox(const store::AccountRecord& account, Fn&& fn) -> decltype(fn(std::declval<store::Connection&>()))
    {
        try {
            auto lease = context_.databases().acquire(account.databaseId, store::Scope::Mailbox);
            return fn(*lease);
        } catch (const store::DatabaseUnavailable& e) {
            throw wentOffline(account, e);
        }
    }
    store::ConnectionLease mailbox(const store::AccountRecord& account) override;
    StoredMessage storeMessage(store::Connection& connection, const store::AccountRecord& account, const std::string& raw,
                               const std::string& state, const std::string& direction,
                               const std::string& documentLinks, const store::MessageOrigin& origin = {}) override;
    PreparedMessage prepareMessage(const store::AccountRecord& account, std::string raw, const std::string& state,
                                   const std::string& direction, const std::string& documentLinks,
                                   const store::MessageOrigin& origin) override;
    StoredMessage storePrepared(store::Connection& connection, PreparedMessage& message) override;
    /// The CAs a received signature's chain must reach.
    smime::SmimeTrust& smimeTrust() { return trust_; }

    // Offline and back online (AccountOffline.cpp)

    /// Takes the account offline because its database is gone; the error to throw.
    OperationError wentOffline(const store::AccountRecord& account, const store::DatabaseUnavailable& e);
    void takeOffline(const store::AccountRecord& account, const std::string& reason) override;
    /// erpmail.account.auto_online_seconds: how often accounts that went
    /// offline by themselves are tried again; 0 (the default) never.
    int autoOnlineSeconds() const;
    /// Tries the database of every account that went offline by itself (not
    /// one a person set offline); each that answers is set online, with an
    /// account.online event. Returns how many came back.
    int bringBackOnline();

    // The receiving modules' fetchers (AccountFetchers.cpp)

    void registerFetcher(MailFetcher* fetcher) override;
    void unregisterFetcher(MailFetcher* fetcher) override;
    void testIncomingLogin(const store::AccountRecord& account, StepReport& report) override;
    void keepSentOnServer(const store::AccountRecord& account, const std::vector<std::string>& raws) override;

private:
    // The operations, each in the file of its concern.
    Poco::JSON::Object::Ptr create(const Request& request);
    Poco::JSON::Object::Ptr get(const Request& request);
    Poco::JSON::Object::Ptr list(const Request& request);
    Poco::JSON::Object::Ptr update(const Request& request);
    Poco::JSON::Object::Ptr remove(const Request& request);
    Poco::JSON::Object::Ptr setOwner(const Request& request);
    Poco::JSON::Object::Ptr mainAccount(const Request& request);
    Poco::JSON::Object::Ptr visibilityCandidates(const Request& request);
    Poco::JSON::Object::Ptr setOnline(const Request& request);
    Poco::JSON::Object::Ptr status(const Request& request);
    Poco::JSON::Object::Ptr fetch(const Request& request);

    /// The host's users, groups and databases that account input is checked against.
    HostDirectory hostDirectory() const;
    Poco::JSON::Object::Ptr render(const store::AccountRecord& account, const Request& request);
    store::ConnectionLease system();
    /// Runs `change` and records the account's `type` event in one commit of
    /// the system database, then hands the event to the host; false, with no
    /// event, when `change` changed nothing. Throws StoreError.
    bool changeOnline(const store::AccountRecord& account, const std::string& type, const Poco::JSON::Object::Ptr& event,
                      const std::function<bool(store::AccountRepository&)>& change);

    /// The key file: erpmail.secrets.key_file (relative to the data folder)
    /// or <data folder>/erpmail-secrets.key.
    std::string keyFilePath() const;
    /// The account's secrets opened; throws SecretError.
    AccountSecrets openSecrets(const store::AccountRecord& account) const;
    /// nullopt when they do not open.
    std::optional<AccountSecrets> secretsOf(const store::AccountRecord& account) const;
    OperationError secretsUnavailable(const store::AccountRecord& account, const SecretError& e) const;
    /// Seals under the account's current settings; creates the key when none
    /// exists and nothing is sealed yet. Throws OperationError(unavailable).
    void sealSecrets(store::AccountRecord& account, const AccountSecrets& secrets);
    /// An update's secrets: those whose server changed and that were not
    /// given again are cleared, named in the returned list. Throws
    /// OperationError(unavailable) rather than drop secrets it cannot open.
    Poco::JSON::Array::Ptr rebindSecrets(const store::AccountRecord& before, store::AccountRecord& account,
                                         const SecretChanges& changes, bool discardUnreadable);
    Poco::JSON::Object::Ptr secretsStatus(const store::AccountRecord& account) const;
    /// offline_since_ms, offline_by and comes_back_by_itself of mail.account.status.
    void addOfflineStatus(Poco::JSON::Object& status, const store::AccountRecord& account) const;
    /// The running fetcher that receives the account's mail, if any.
    MailFetcher* fetcherFor(const AccountSettings& settings);
    /// S/MIME of a mail being stored: verified once, its result and its
    /// valid signers' certificates made ready to store with it; an opaque
    /// signed mail shows the content its signature carries (unless
    /// `showSignedContent` is false: a large mail keeps its parts as parsed).
    void checkSecurity(PreparedMessage& message, const std::string& fromEmail, bool showSignedContent = true);
    /// Writes what checkSecurity() found, beside the stored message.
    void storeSecurity(store::Connection& connection, const PreparedMessage& message);

    Context& context_;
    std::unique_ptr<SecretBox> secrets_;
    std::mutex fetchersMutex_;
    std::vector<MailFetcher*> fetchers_;
    smime::SmimeTrust trust_{context_};
};

} // namespace erpmail
