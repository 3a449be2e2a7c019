#include "account/AccountModule.h"

#include "account/AccountService.h"
#include "account/MessageService.h"
#include "account/OfflineWatch.h"
#include "erpmail/OperationError.h"
#include "store/DatabaseRegistry.h"
#include "store/Migrator.h"

#include <Poco/Environment.h>
#include <Poco/JSON/Array.h>

#include <gmime/gmime.h>
#include <openssl/crypto.h>

#include <chrono>
#include <set>

namespace erpmail {

namespace {

Poco::JSON::Array::Ptr toArray(const std::vector<std::string>& items)
{
    Poco::JSON::Array::Ptr array = new Poco::JSON::Array;
    for (const auto& item : items) array->add(item);
    return array;
}

std::string pocoVersion()
{
    unsigned v = Poco::Environment::libraryVersion();
    return std::to_string(v >> 24) + "." + std::to_string((v >> 16) & 0xff) + "." + std::to_string((v >> 8) & 0xff);
}

class AccountModule : public Module {
public:
    AccountModule(Context& context, const ModuleDirectory& directory);

    std::string id() const override { return "account"; }
    std::string summary() const override { return "E-mail accounts, their databases and the plugin's status"; }
    std::vector<Operation> operations() override;
    /// Migrates the system database and starts the watch over offline
    /// accounts; throws naming the database when it is unreachable. Then
    /// hands the host the events a stopped process left recorded.
    void start() override;
    /// Stops the watch over offline accounts.
    void stop() noexcept override;
    /// What other modules may ask of accounts.
    AccountAccess& access() { return accounts_; }
    /// Seals other secrets (certificates' private keys) under the accounts' key.
    SecretSealer& sealer() { return accounts_; }

private:
    Poco::JSON::Object::Ptr version(const Request& request);
    Poco::JSON::Object::Ptr modulesStatus(const Request& request);
    Poco::JSON::Object::Ptr databaseCheck(const Request& request);
    /// The events recorded in online accounts' databases that no process
    /// handed over (it ended between the commit and the delivery).
    void deliverLeftEvents() noexcept;

    Context& context_;
    const ModuleDirectory& directory_;
    AccountService accounts_{context_};
    MessageService messages_{accounts_};
    OfflineWatch offlineWatch_{context_, accounts_};
};


} // namespace

AccountModule::AccountModule(Context& context, const ModuleDirectory& directory)
    : context_(context), directory_(directory)
{
}

std::vector<Operation> AccountModule::operations()
{
    std::vector<Operation> ops{
        {"mail.version", "Versions of erpmail, its ABI and the libraries it runs on",
         R"({"type":"object","additionalProperties":false})", permission::Use,
         [this](const Request& r) { return version(r); }},
        {"mail.modules.status", "Each erpmail module with its dependencies, operations and whether it runs",
         R"({"type":"object","additionalProperties":false})", permission::Use,
         [this](const Request& r) { return modulesStatus(r); }},
        {"mail.db.check",
         "Connects to each host database (or one), applies pending migrations and reports dialect, schema and latency",
         R"({"type":"object","additionalProperties":false,
             "properties":{"database":{"type":"string","minLength":1,"maxLength":100}}})",
         permission::Admin, [this](const Request& r) { return databaseCheck(r); }},
    };
    ops.push_back({"mail.secrets.check",
                   "Counts the accounts whose stored passwords and tokens open with the key ring and those whose do "
                   "not, per account (no secret is shown)",
                   R"({"type":"object","additionalProperties":false})", permission::Admin,
                   [this](const Request& r) { return accounts_.checkSecrets(r); }});
    ops.push_back({"mail.secrets.rotate",
                   "Reseals every stored password and token under a new key in one transaction; the old key is kept "
                   "until that is done, then retired",
                   R"({"type":"object","additionalProperties":false})", permission::Admin,
                   [this](const Request& r) { return accounts_.rotateSecrets(r); }});
    for (auto& op : accounts_.operations()) ops.push_back(std::move(op));
    for (auto& op : messages_.operations()) ops.push_back(std::move(op));
    return ops;
}

void AccountModule::start()
{
    try {
        accounts_.start();
    } catch (const store::StoreError& e) {
        throw std::runtime_error(std::string("system database unusable: ") + e.what());
    }
    offlineWatch_.start();
    deliverLeftEvents();
}

void AccountModule::deliverLeftEvents() noexcept
{
    auto wait = [this](const std::string& why) {
        context_.log(ERP_LOG_WARNING, "erpmail.events", "events left by a stopped process wait: " + why);
    };
    try {
        context_.deliverEvents(*context_.systemWithEvents()); // the installation's events
    } catch (const std::exception& e) {
        wait(e.what()); // the accounts' own databases still hand theirs over
    }
    try {
        std::set<std::string> done;
        for (const auto& account : accounts_.allAccounts()) {
            if (!account.online || !done.insert(account.databaseId).second) continue;
            try {
                context_.deliverEvents(*accounts_.mailbox(account));
            } catch (const OperationError&) {
                // mailbox() has set the account offline; its events wait until it is back.
            } catch (const std::exception& e) {
                wait(e.what());
            }
        }
    } catch (const std::exception& e) {
        wait(e.what());
    }
}

void AccountModule::stop() noexcept
{
    offlineWatch_.stop();
}

Poco::JSON::Object::Ptr AccountModule::version(const Request&)
{
    Poco::JSON::Object::Ptr result = new Poco::JSON::Object;
    result->set("plugin", "erpmail");
    result->set("version", ERPMAIL_VERSION);
    result->set("abi", std::to_string(ERP_PLUGIN_ABI_MAJOR) + "." + std::to_string(ERP_PLUGIN_ABI_MINOR));
    result->set("host", context_.host().raw().host_name ? context_.host().raw().host_name : "");
    Poco::JSON::Object::Ptr libraries = new Poco::JSON::Object;
    libraries->set("poco", pocoVersion());
    libraries->set("openssl", OpenSSL_version(OPENSSL_VERSION));
    libraries->set("gmime", std::to_string(gmime_major_version) + "." + std::to_string(gmime_minor_version) + "." +
                                std::to_string(gmime_micro_version));
    result->set("libraries", libraries);
    return result;
}

Poco::JSON::Object::Ptr AccountModule::modulesStatus(const Request&)
{
    Poco::JSON::Array::Ptr modules = new Poco::JSON::Array;
    for (const ModuleState& state : directory_.moduleStates()) {
        Poco::JSON::Object::Ptr m = new Poco::JSON::Object;
        m->set("id", state.id);
        m->set("summary", state.summary);
        m->set("running", state.running);
        m->set("dependencies", toArray(state.dependencies));
        m->set("operations", toArray(state.operations));
        modules->add(m);
    }
    Poco::JSON::Object::Ptr result = new Poco::JSON::Object;
    result->set("modules", modules);
    return result;
}

Poco::JSON::Object::Ptr AccountModule::databaseCheck(const Request& request)
{
    const std::string only = request.params->optValue<std::string>("database", "");
    auto databases = context_.databaseList();
    if (!only.empty()) {
        bool known = false;
        for (const auto& db : databases) known = known || db.id == only;
        if (!known) throw OperationError("not_found", "the host has no database '" + only + "'", "database");
    }
    Poco::JSON::Array::Ptr results = new Poco::JSON::Array;
    bool allOk = true;
    for (const auto& db : databases) {
        if (!only.empty() && db.id != only) continue;
        Poco::JSON::Object::Ptr entry = new Poco::JSON::Object;
        entry->set("id", db.id);
        entry->set("system", db.system);
        auto started = std::chrono::steady_clock::now();
        try {
            Poco::JSON::Object::Ptr schema = new Poco::JSON::Object;
            std::vector<store::Scope> scopes{store::Scope::Mailbox};
            if (db.system) scopes.insert(scopes.begin(), store::Scope::System);
            for (store::Scope scope : scopes) {
                auto lease = context_.databases().acquire(db.id, scope);
                schema->set(store::scopeName(scope), store::currentVersion(*lease, scope));
                entry->set("dialect", store::dialectName(lease->dialect()));
            }
            entry->set("schema", schema);
            entry->set("ok", true);
        } catch (const store::StoreError& e) {
            allOk = false;
            entry->set("ok", false);
            entry->set("error", std::string(e.what()));
        }
        entry->set("latency_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::steady_clock::now() - started)
                                     .count());
        results->add(entry);
    }
    Poco::JSON::Object::Ptr result = new Poco::JSON::Object;
    result->set("ok", allOk);
    result->set("databases", results);
    return result;
}

AccountModuleParts makeAccountModule(Context& context, const ModuleDirectory& directory)
{
    auto module = std::make_unique<AccountModule>(context, directory);
    AccountAccess& access = module->access();
    SecretSealer& sealer = module->sealer();
    return {std::move(module), access, sealer};
}

} // namespace erpmail
