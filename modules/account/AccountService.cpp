#include "account/AccountService.h"

#include "account/Ingest.h"
#include "account/LabelOrder.h"
#include "mime/MessageParser.h"
#include "store/FetchStateRepository.h"
#include "store/MessageRepository.h"
#include "transport/common/FetchSchedule.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/UUIDGenerator.h>

#include <algorithm>

namespace erpmail {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

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

const char* kIdOnly = R"({"type":"object","additionalProperties":false,"required":["id"],
                          "properties":{"id":{"type":"string","minLength":1,"maxLength":36}}})";

} // namespace

void AccountService::start()
{
    auto lease = system();
    const std::int64_t sealed = store::AccountRepository(*lease).countWithSecrets();
    // A new key only while nothing is sealed: one made after the old one was
    // lost would seal new passwords while the stored ones stay unreadable.
    secrets_ = std::make_unique<SecretBox>(keyFilePath(), sealed == 0);
    if (!secrets_->hasKey())
        context_.log(ERP_LOG_ERROR, "erpmail.account",
                     "the passwords of " + std::to_string(sealed) + " account(s) cannot be opened: " +
                         secrets_->problem() + ". Their mail is neither fetched nor sent until the key is restored");
}

std::string AccountService::keyFilePath() const
{
    const std::string configured = context_.host().config("erpmail.secrets.key_file").value_or("");
    if (configured.empty()) return SecretBox::defaultKeyPath(context_.host().dataFolder());
    return configured.front() == '/' ? configured : context_.host().dataFolder() + "/" + configured;
}

store::ConnectionLease AccountService::system()
{
    return context_.databases().acquire(context_.systemDatabaseId(), store::Scope::System);
}

std::vector<Operation> AccountService::operations()
{
    auto bind = [this](Poco::JSON::Object::Ptr (AccountService::*fn)(const Request&)) {
        return [this, fn](const Request& r) { return (this->*fn)(r); };
    };
    return {
        {"mail.account.create", "Creates an e-mail account (owner defaults to the caller; only admins create for others)",
         accountParamsSchema(false), permission::Use, bind(&AccountService::create)},
        {"mail.account.get", "One account's settings, without passwords", kIdOnly, permission::Use,
         bind(&AccountService::get)},
        {"mail.account.list", "Accounts the caller may see, by label; the caller's main account is marked",
         R"({"type":"object","additionalProperties":false})", permission::Use, bind(&AccountService::list)},
        {"mail.account.update",
         "Changes an account's settings (personal: owner or admin; public: every user). Changing the database "
         "needs confirm_database_change",
         accountParamsSchema(true), permission::Use, bind(&AccountService::update)},
        {"mail.account.delete", "Deletes an account with all its messages (owner or admin; needs confirm)",
         R"({"type":"object","additionalProperties":false,"required":["id"],
             "properties":{"id":{"type":"string","minLength":1,"maxLength":36},"confirm":{"type":"boolean"}}})",
         permission::Use, bind(&AccountService::remove)},
        {"mail.account.set_owner", "Hands an account over to another user, with all its messages (owner or admin)",
         R"({"type":"object","additionalProperties":false,"required":["id","owner"],
             "properties":{"id":{"type":"string","minLength":1,"maxLength":36},
                           "owner":{"type":"string","minLength":1,"maxLength":100}}})",
         permission::Use, bind(&AccountService::setOwner)},
        {"mail.account.set_online", "Sets an account online (after checking its database) or offline (owner or admin)",
         R"({"type":"object","additionalProperties":false,"required":["id","online"],
             "properties":{"id":{"type":"string","minLength":1,"maxLength":36},"online":{"type":"boolean"}}})",
         permission::Use, bind(&AccountService::setOnline)},
        {"mail.account.main", "A user's main account: of the accounts they own, the one whose label comes first",
         R"({"type":"object","additionalProperties":false,
             "properties":{"user":{"type":"string","minLength":1,"maxLength":100}}})",
         permission::Use, bind(&AccountService::mainAccount)},
        {"mail.account.status",
         "An account's health: online (or since when, why and by whom offline), last successful fetch and last "
         "error, consecutive failures, when the password was last accepted, mails left on the server for their "
         "size, message and outbox counts",
         kIdOnly, permission::Use, bind(&AccountService::status)},
        {"mail.fetch",
         "Fetches an account's new mail now (POP3 or IMAP), and deletes on the server only what is stored here, as "
         "the account's leave-copies rule says; mail over erpmail.fetch.max_message_mb stays there and is reported",
         R"({"type":"object","additionalProperties":false,"required":["account"],
             "properties":{"account":{"type":"string","minLength":1,"maxLength":36}}})",
         permission::Use, bind(&AccountService::fetch)},
        {"mail.account.visibility_candidates",
         "Users to choose from when making an account visible, narrowed to a group",
         R"({"type":"object","additionalProperties":false,
             "properties":{"group":{"type":["string","null"],"maxLength":100}}})",
         permission::Use, bind(&AccountService::visibilityCandidates)},
    };
}

AccountDirectory AccountService::directory() const
{
    AccountDirectory d;
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
        if (store::AccountRepository(*lease).countWithSecrets(account.id) == 0) secrets_->createKeyIfMissing();
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
    if (changes.incomingPassword) secrets.incomingPassword = *changes.incomingPassword;
    if (changes.smtpPassword) secrets.smtpPassword = *changes.smtpPassword;
    if (changes.oauthRefreshToken) secrets.oauthRefreshToken = *changes.oauthRefreshToken;
    if (changes.oauthClientSecret) secrets.oauthClientSecret = *changes.oauthClientSecret;
    sealSecrets(account, secrets);
    if (cleared->size() > 0)
        context_.log(ERP_LOG_INFO, "erpmail.account",
                     "account " + account.id + ": secrets cleared because the servers they were given for changed");
    return cleared;
}

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

AccountCredentials AccountService::credentials(const store::AccountRecord& account)
{
    try {
        AccountSecrets s = openSecrets(account);
        AccountCredentials c;
        c.incomingPassword = s.incomingPassword;
        c.smtpPassword = s.smtpPassword;
        c.oauthRefreshToken = s.oauthRefreshToken;
        c.oauthClientSecret = s.oauthClientSecret;
        c.incomingLentToSmtp = s.incomingLentToSmtp;
        return c;
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

StoredMessage AccountService::storeMessage(store::Connection& connection, const store::AccountRecord& account,
                                           const std::string& raw, const std::string& state,
                                           const std::string& direction, const std::string& documentLinks,
                                           const store::MessageOrigin& origin)
{
    PreparedMessage prepared = prepareMessage(account, raw, state, direction, documentLinks, origin);
    if (connection.inTransaction()) return storePrepared(connection, prepared);
    store::Transaction tx(connection);
    StoredMessage stored = storePrepared(connection, prepared);
    tx.commit();
    return stored;
}

namespace {

/// Mails larger than this are parsed when stored (see PreparedMessage).
constexpr std::size_t kParseWhenStoredBytes = 8 * 1024 * 1024;

void setOrigin(store::MessageRecord& record, const std::string& state, const std::string& direction,
               const std::string& documentLinks, const store::MessageOrigin& origin)
{
    record.state = state;
    record.direction = direction;
    record.documentLinks = documentLinks;
    record.folder = origin.folder;
    record.imapUidValidity = origin.uidValidity;
    record.imapUid = origin.uid;
    record.pop3Uidl = origin.uidl;
}

/// What a parse adds besides the record: the ids it answers, its addresses, its summary.
void addParsed(PreparedMessage& p, const mime::ParsedMessage& parsed, std::int64_t now)
{
    const store::MessageRecord& record = p.record;
    if (record.direction == "in" && record.documentLinks == "[]") {
        // A reply to a receipt: the same host documents, found by the ids it answers.
        if (!parsed.inReplyTo.empty()) p.answers.push_back(parsed.inReplyTo);
        const std::string& refs = parsed.references;
        for (std::size_t lt = refs.find('<'); lt != std::string::npos; lt = refs.find('<', lt + 1)) {
            std::size_t gt = refs.find('>', lt);
            if (gt == std::string::npos) break;
            p.answers.push_back(refs.substr(lt + 1, gt - lt - 1));
        }
    }
    for (const auto& a : parsed.allAddresses())
        p.addresses.push_back({record.accountId, a.email, a.name.empty() ? std::nullopt : std::optional<std::string>(a.name), now});
    p.summary = StoredMessage{0, parsed.subject, mime::formatAddresses(parsed.from), record.documentLinks};
}

} // namespace

PreparedMessage AccountService::prepareMessage(const store::AccountRecord& account, std::string raw,
                                               const std::string& state, const std::string& direction,
                                               const std::string& documentLinks, const store::MessageOrigin& origin)
{
    const std::int64_t now = context_.host().nowMs();
    PreparedMessage p;
    if (raw.size() > kParseWhenStoredBytes) {
        p.parseWhenStored = true;
        p.record.accountId = account.id;
        p.record.personal = account.kind == "personal";
        p.record.receivedAtMs = now;
        p.record.contentSha256 = sha256Hex(raw);
        p.record.rawSize = static_cast<std::int64_t>(raw.size());
        p.record.raw = std::move(raw);
        setOrigin(p.record, state, direction, documentLinks, origin);
        p.summary.documentLinks = documentLinks;
        return p;
    }
    mime::ParsedMessage parsed;
    p.record = recordFromRaw(std::move(raw), account.id, account.kind == "personal", now, &parsed);
    setOrigin(p.record, state, direction, documentLinks, origin);
    addParsed(p, parsed, now);
    return p;
}

StoredMessage AccountService::storePrepared(store::Connection& connection, PreparedMessage& p)
{
    store::MessageRepository repository(connection);
    auto linkReply = [&] {
        if (p.answers.empty()) return;
        if (auto links = repository.documentLinksOfSent(p.record.accountId, p.answers)) {
            p.record.documentLinks = *links;
            p.summary.documentLinks = *links;
        }
    };
    if (!p.parseWhenStored) {
        linkReply();
        p.summary.id = repository.insert(p.record);
    } else {
        // Parsed without attachment bytes, the row with the raw bytes
        // written; then parsed again for the attachments, the raw bytes
        // freed before they are written.
        store::MessageRecord shell = std::move(p.record);
        mime::ParseLimits namesOnly;
        namesOnly.attachmentBytes = false;
        mime::ParsedMessage parsed;
        p.record = recordFromRaw(std::move(shell.raw), shell.accountId, shell.personal, shell.receivedAtMs, &parsed,
                                 namesOnly);
        setOrigin(p.record, shell.state, shell.direction, shell.documentLinks,
                  {shell.folder, shell.imapUidValidity, shell.imapUid, shell.pop3Uidl});
        addParsed(p, parsed, shell.receivedAtMs);
        linkReply();
        std::vector<store::AttachmentRecord> attachments = std::move(p.record.attachments);
        p.record.attachments.clear();
        p.summary.id = repository.insert(p.record);
        if (!attachments.empty()) {
            mime::ParsedMessage full = mime::parseMessage(p.record.raw);
            std::string().swap(p.record.raw);
            for (std::size_t i = 0; i < attachments.size() && i < full.attachments.size(); ++i) {
                attachments[i].bytes = std::move(full.attachments[i].bytes);
                attachments[i].size = static_cast<std::int64_t>(attachments[i].bytes.size());
            }
            repository.insertAttachments(p.summary.id, attachments);
        }
    }
    for (const auto& a : p.addresses) repository.upsertAddress(a);
    return p.summary;
}

store::ConnectionLease AccountService::mailbox(const store::AccountRecord& account)
{
    try {
        return context_.databases().acquire(account.databaseId, store::Scope::Mailbox);
    } catch (const store::DatabaseUnavailable& e) {
        takeOffline(account, e.what());
        throw OperationError("unavailable", "account '" + account.label + "' is offline: " + e.what());
    }
}

void AccountService::takeOffline(const store::AccountRecord& account, const std::string& reason)
{
    try {
        auto lease = system();
        store::AccountRepository accounts(*lease);
        if (!accounts.setOfflineByOutage(account.id, reason, context_.host().nowMs())) return;
    } catch (const std::exception& e) {
        context_.log(ERP_LOG_ERROR, "erpmail.account", "could not record account " + account.id + " offline: " + e.what());
        return;
    }
    context_.log(ERP_LOG_WARNING, "erpmail.account", "account " + account.label + " set offline: " + reason);
    Object::Ptr event = new Object;
    event->set("account", account.id);
    event->set("label", account.label);
    event->set("database", account.databaseId);
    event->set("reason", reason);
    context_.emit("account.offline", event);
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
    account.id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
    account.owner = p->optValue<std::string>("owner", request.user);
    if (account.owner != request.user && !request.userIsAdmin)
        throw OperationError("forbidden", "only admins create accounts for other users", "owner");
    account.databaseId = context_.systemDatabaseId();
    checkTrustAnchorParams(p, "", request.userIsAdmin);
    SecretChanges changes;
    applyAccountParams(p, directory(), account, changes);
    account.createdAtMs = account.updatedAtMs = context_.host().nowMs();
    AccountSecrets secrets;
    if (changes.incomingPassword) secrets.incomingPassword = *changes.incomingPassword;
    if (changes.smtpPassword) secrets.smtpPassword = *changes.smtpPassword;
    if (changes.oauthRefreshToken) secrets.oauthRefreshToken = *changes.oauthRefreshToken;
    if (changes.oauthClientSecret) secrets.oauthClientSecret = *changes.oauthClientSecret;
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
    applyAccountParams(p, directory(), account, changes);

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
    if (!directory().users.count(owner)) throw invalidParam("owner", "owner '" + owner + "' is not a user of the host");
    account.owner = owner;
    account.updatedAtMs = context_.host().nowMs();
    auto lease = system();
    store::AccountRepository(*lease).update(account);
    return render(account, request);
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
    {
        auto lease = system();
        store::AccountRepository(*lease).setOnline(account.id, online, reason, context_.host().nowMs(),
                                                   online ? std::nullopt : std::optional<std::string>(request.user));
    }
    account.online = online;
    account.offlineReason = reason;
    Object::Ptr event = new Object;
    event->set("account", account.id);
    event->set("label", account.label);
    if (reason) event->set("reason", *reason);
    context_.emit(online ? "account.online" : "account.offline", event);
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
        try {
            auto lease = system();
            if (!store::AccountRepository(*lease).setOnlineAfterOutage(account.id, context_.host().nowMs()))
                continue; // a person set it offline meanwhile, or another host was first
        } catch (const std::exception& e) {
            context_.log(ERP_LOG_ERROR, "erpmail.account",
                         "could not record account " + account.id + " online: " + e.what());
            continue;
        }
        ++back;
        context_.log(ERP_LOG_INFO, "erpmail.account",
                     "account " + account.label + " online again: its database answers");
        Object::Ptr event = new Object;
        event->set("account", account.id);
        event->set("label", account.label);
        event->set("database", account.databaseId);
        event->set("automatic", true);
        event->set("offline_since_ms",
                   account.offlineSinceMs ? Poco::Dynamic::Var(*account.offlineSinceMs) : Poco::Dynamic::Var());
        event->set("offline_reason",
                   account.offlineReason ? Poco::Dynamic::Var(*account.offlineReason) : Poco::Dynamic::Var());
        context_.emit("account.online", event);
    }
    return back;
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

Object::Ptr AccountService::checkSecrets(const Request&)
{
    auto lease = system();
    Array::Ptr accounts = new Array;
    std::int64_t opened = 0, unreadable = 0;
    for (const auto& a : store::AccountRepository(*lease).listVisible({"", true})) {
        if (!a.secrets || a.secrets->empty()) continue;
        Object::Ptr entry = new Object;
        entry->set("id", a.id);
        entry->set("label", a.label);
        const std::string keyId = SecretBox::keyIdOf(*a.secrets);
        entry->set("key_id", keyId.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(keyId));
        try {
            openSecrets(a);
            entry->set("opens", true);
            ++opened;
        } catch (const SecretError& e) {
            entry->set("opens", false);
            entry->set("error", std::string(e.what()));
            ++unreadable;
        }
        accounts->add(entry);
    }
    Object::Ptr o = new Object;
    o->set("key_file", secrets_->keyPath());
    const std::string keyId = secrets_->keyIdHex();
    o->set("key_id", keyId.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(keyId));
    o->set("key_problem", keyId.empty() ? Poco::Dynamic::Var(secrets_->problem()) : Poco::Dynamic::Var());
    o->set("opened", opened);
    o->set("unreadable", unreadable);
    o->set("accounts", accounts);
    return o;
}

Object::Ptr AccountService::rotateSecrets(const Request& request)
{
    try {
        auto rotating = secrets_->lockRotation();
        const std::string previous = secrets_->keyIdHex();
        if (previous.empty()) throw OperationError("unavailable", "there is no key to rotate: " + secrets_->problem());
        auto key = secrets_->beginRotation();
        // Every value under the new key in one transaction, or none; the
        // second pass catches what another host sealed under the old key
        // before it saw the new one.
        auto resealAll = [&](bool onlyOthers) {
            std::int64_t n = 0;
            std::vector<std::string> failed;
            auto lease = system();
            store::Transaction tx(*lease);
            store::AccountRepository repository(*lease);
            for (const auto& a : repository.listVisible({"", true})) {
                if (!a.secrets || a.secrets->empty()) continue;
                if (onlyOthers && SecretBox::keyIdOf(*a.secrets) == key->idHex()) continue;
                AccountSecrets secrets;
                try {
                    secrets = openSecrets(a);
                } catch (const SecretError&) {
                    failed.push_back(a.id);
                    continue;
                }
                std::string plain = secrets.toJson();
                repository.setSecrets(a.id,
                                      secrets_->sealWith(*key, plain, secretsAssociatedData(a.id, a.serverSettings)));
                wipe(plain);
                ++n;
            }
            if (!failed.empty()) {
                std::string ids;
                for (const auto& id : failed)
                    ids += (ids.empty() ? "" : ", ") + id;
                throw OperationError("conflict", std::to_string(failed.size()) +
                                                     " account(s) hold secrets that no key opens (" + ids +
                                                     "); nothing was resealed. See mail.secrets.check");
            }
            tx.commit();
            return n;
        };
        const std::int64_t resealed = resealAll(false);
        secrets_->promoteNextKey();
        resealAll(true);
        secrets_->retireOldKey();
        context_.log(ERP_LOG_INFO, "erpmail.account",
                     request.user + " rotated the secrets key: " + std::to_string(resealed) +
                         " account(s) resealed under key " + key->idHex() + ", key " + previous + " retired");
        Object::Ptr o = new Object;
        o->set("resealed", resealed);
        o->set("key_id", key->idHex());
        o->set("previous_key_id", previous);
        o->set("key_file", secrets_->keyPath());
        return o;
    } catch (const SecretError& e) {
        throw OperationError("unavailable", std::string("the key rotation stopped: ") + e.what() +
                                                "; every stored secret still opens, run it again");
    }
}

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

MailFetcher* AccountService::fetcherFor(const store::AccountRecord& account)
{
    std::lock_guard<std::mutex> lock(fetchersMutex_);
    for (auto* f : fetchers_)
        if (f->handles(account)) return f;
    return nullptr;
}

void AccountService::keepSentOnServer(const store::AccountRecord& account, const std::vector<std::string>& raws)
{
    if (raws.empty()) return;
    if (MailFetcher* fetcher = fetcherFor(account)) fetcher->appendToSent(account, raws);
}

void AccountService::testIncomingLogin(const store::AccountRecord& account, StepReport& report)
{
    MailFetcher* fetcher = fetcherFor(account);
    if (!fetcher) throw std::runtime_error("no module that runs here receives this account's mail");
    fetcher->testLogin(account, report);
}

Object::Ptr AccountService::fetch(const Request& request)
{
    store::AccountRecord account = requireOnline(request.params->getValue<std::string>("account"), request);
    auto server = Poco::JSON::Parser().parse(account.serverSettings).extract<Object::Ptr>();
    if (!server->has("incoming"))
        throw invalidParam("account", "account '" + account.label + "' has no incoming server");
    const std::string protocol = server->getObject("incoming")->optValue<std::string>("protocol", "");
    MailFetcher* fetcher = fetcherFor(account);
    if (!fetcher) {
        const std::string module = protocol.rfind("pop3", 0) == 0 ? "transport.pop3" : "transport.imap";
        throw OperationError("module_disabled", "account '" + account.label + "' receives over " + protocol +
                                                    ", and module '" + module + "' does not run in this installation");
    }
    FetchReport report = fetcher->fetch(account);
    Object::Ptr o = new Object;
    o->set("account", account.id);
    o->set("fetched", report.fetched);
    o->set("deleted_on_server", report.deletedOnServer);
    o->set("on_server_before", report.onServer);
    Array::Ptr tooLarge = new Array;
    for (const auto& t : report.tooLarge.value_or(std::vector<TooLargeMail>{})) {
        Object::Ptr m = new Object;
        m->set("id", t.id);
        m->set("size", t.size);
        m->set("from", t.from);
        m->set("subject", t.subject);
        tooLarge->add(m);
    }
    o->set("too_large", tooLarge);
    return o;
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
