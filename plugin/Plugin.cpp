#include "Plugin.h"

#include "SchemaValidator.h"
#include "erpmail/OperationError.h"

#include "account/AccountModule.h"
#include "certificate/CertificateModule.h"
#include "retention/RetentionModule.h"
#include "store/DatabaseRegistry.h"
#include "textblock/TextBlockModule.h"
#include "transport/imap/ImapModule.h"
#include "transport/pop3/Pop3Module.h"
#include "transport/smtp/SmtpModule.h"

#include <erp/sdk/firewall.hpp>
#include <erp/sdk/sink.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <chrono>

namespace erpmail {

struct Plugin::Slot {
    Plugin* plugin = nullptr;
    std::unique_ptr<Module> module;
    std::vector<Operation> operations;
    std::vector<std::string> dependencies;
    std::atomic<bool> running{false};
};

namespace {

Poco::JSON::Object::Ptr errorJson(const std::string& code, const std::string& message, const std::string& field)
{
    Poco::JSON::Object::Ptr error = new Poco::JSON::Object;
    error->set("code", code);
    error->set("message", message);
    if (!field.empty()) error->set("field", field);
    Poco::JSON::Object::Ptr root = new Poco::JSON::Object;
    root->set("error", error);
    return root;
}

std::vector<const char*> cStrings(const std::vector<std::string>& strings)
{
    std::vector<const char*> out;
    for (const auto& s : strings) out.push_back(s.c_str());
    return out;
}

} // namespace

Plugin::Plugin(const erp_host_api* host) : context_(std::make_unique<Context>(host))
{
    std::vector<std::unique_ptr<Module>> modules;
    AccountModuleParts account = makeAccountModule(*context_, *this);
    AccountAccess& accounts = account.access;
    SecretSealer& sealer = account.sealer;
    modules.push_back(std::move(account.module));
    // Each module is given only the parts of the account module it uses.
    modules.push_back(makeSmtpModule(*context_, {accounts, accounts, accounts, accounts, accounts, accounts}, &sealer));
    modules.push_back(makePop3Module(*context_, accounts, accounts, accounts, accounts));
    modules.push_back(makeImapModule(*context_, accounts, accounts, accounts, accounts, accounts));
    modules.push_back(std::make_unique<CertificateModule>(*context_, accounts, accounts, accounts, &sealer));
    modules.push_back(makeTextBlockModule(*context_, accounts, accounts));
    modules.push_back(makeRetentionModule(*context_, accounts, accounts, accounts));

    for (auto& module : modules) {
        auto slot = std::make_unique<Slot>();
        slot->plugin = this;
        slot->operations = module->operations();
        slot->dependencies = module->dependencies();
        slot->module = std::move(module);
        for (const Operation& op : slot->operations) {
            Poco::JSON::Parser parser;
            Entry entry{slot.get(), &op, parser.parse(op.schema).extract<Poco::JSON::Object::Ptr>()};
            if (!operations_.emplace(op.name, entry).second)
                throw std::logic_error("operation registered twice: " + op.name);
        }
        slots_.push_back(std::move(slot));
    }
}

Plugin::~Plugin()
{
    // A host that unloads without stopping still gets its workers joined.
    for (auto it = slots_.rbegin(); it != slots_.rend(); ++it)
        if ((*it)->running.exchange(false)) (*it)->module->stop();
    // Modules go in reverse order of creation: a module may refer to one it
    // depends on (created before it) until it is destroyed itself.
    operations_.clear();
    while (!slots_.empty()) slots_.pop_back();
}

void Plugin::registerModules()
{
    const auto& host = context_->host().raw();
    for (auto& slot : slots_) {
        std::string id = slot->module->id();
        std::string summary = slot->module->summary();
        std::vector<const char*> deps = cStrings(slot->dependencies);
        std::vector<std::string> permissionNames;
        for (const auto& op : slot->operations)
            if (std::find(permissionNames.begin(), permissionNames.end(), op.permission) == permissionNames.end())
                permissionNames.push_back(op.permission);
        std::vector<const char*> permissions = cStrings(permissionNames);
        std::vector<erp_operation_info> ops;
        for (const auto& op : slot->operations)
            ops.push_back({sizeof(erp_operation_info), op.name.c_str(), op.summary.c_str(), op.schema.c_str(),
                           op.permission.c_str()});
        erp_module_info info{};
        info.struct_size = sizeof info;
        info.id = id.c_str();
        info.summary = summary.c_str();
        info.dependencies = deps.data();
        info.dependency_count = deps.size();
        info.permissions = permissions.data();
        info.permission_count = permissions.size();
        info.operations = ops.data();
        info.operation_count = ops.size();
        info.module_ctx = slot.get();
        info.start = &Plugin::startModule;
        info.stop = &Plugin::stopModule;
        if (host.module_register(host.host_ctx, &info) != ERP_OK)
            throw std::runtime_error("the host refused to register module " + id);
    }
}

erp_status Plugin::startModule(void* ctx, erp_sink* error)
{
    return erp::sdk::firewall(error, [&] {
        auto* slot = static_cast<Slot*>(ctx);
        if (slot->running) return ERP_OK;
        slot->module->start();
        slot->running = true;
        slot->plugin->context_->log(ERP_LOG_INFO, "erpmail", "module " + slot->module->id() + " started");
        return ERP_OK;
    });
}

void Plugin::stopModule(void* ctx)
{
    auto* slot = static_cast<Slot*>(ctx);
    if (!slot->running.exchange(false)) return;
    slot->module->stop();
    slot->plugin->context_->log(ERP_LOG_INFO, "erpmail", "module " + slot->module->id() + " stopped");
}

std::vector<ModuleState> Plugin::moduleStates() const
{
    std::vector<ModuleState> out;
    for (const auto& slot : slots_) {
        ModuleState state{slot->module->id(), slot->module->summary(), slot->dependencies, {}, slot->running.load()};
        for (const auto& op : slot->operations) state.operations.push_back(op.name);
        out.push_back(std::move(state));
    }
    return out;
}

Answer Plugin::dispatch(const std::string& operation, const std::string& paramsJson, const std::string& actingUser)
{
    auto it = operations_.find(operation);
    if (it == operations_.end())
        throw OperationError("unknown_operation", "no operation named '" + operation + "' in erpmail");
    const Entry& entry = it->second;
    if (!entry.slot->running)
        throw OperationError("module_disabled", "module '" + entry.slot->module->id() +
                                                    "' is not enabled in this installation, so '" + operation +
                                                    "' is unavailable");

    const auto& host = context_->host();
    auto userJson = host.userJson(actingUser);
    if (!userJson) throw OperationError("unknown_user", "the host knows no user '" + actingUser + "'");
    Request request;
    request.operation = operation;
    request.user = actingUser;
    auto user = parseObject(*userJson);
    // Installation-wide rights come from the permission, which the host grants (its admins hold all).
    request.userIsAdmin = host.hasPermission(actingUser, permission::Admin);
    if (auto groups = user->getArray("groups"))
        for (std::size_t i = 0; i < groups->size(); ++i)
            request.userGroups.push_back(groups->getElement<std::string>(static_cast<unsigned>(i)));

    if (!host.hasPermission(actingUser, entry.operation->permission))
        throw OperationError("forbidden", "user '" + actingUser + "' lacks the permission '" +
                                              entry.operation->permission + "' that '" + operation + "' requires");

    request.params = parseObject(paramsJson);
    validateAgainstSchema(entry.schema, request.params);
    Answer result = entry.operation->handler(request);
    if (!result.isWritten() && !result.object()) return Poco::JSON::Object::Ptr(new Poco::JSON::Object);
    return result;
}

erp_status Plugin::invoke(const char* operation, const char* paramsJson, const char* actingUser,
                          erp_sink* out) noexcept
{
    const std::string op = operation ? operation : "";
    Answer answer;
    erp_status status = ERP_ERROR;
    std::string code;
    auto started = std::chrono::steady_clock::now();
    try {
        answer = dispatch(op, paramsJson ? paramsJson : "", actingUser ? actingUser : "");
        status = ERP_OK;
    } catch (const OperationError& e) {
        code = e.code();
        answer = errorJson(e.code(), e.what(), e.field());
    } catch (const store::UnknownDatabase& e) {
        code = "not_found";
        answer = errorJson(code, e.what(), "");
    } catch (const store::DatabaseUnavailable& e) {
        code = "unavailable";
        answer = errorJson(code, e.what(), "");
    } catch (const std::exception& e) {
        code = "internal";
        answer = errorJson(code, e.what(), "");
    } catch (...) {
        code = "internal";
        answer = errorJson(code, "unknown failure", "");
    }
    try {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        context_->log(status == ERP_OK ? ERP_LOG_DEBUG : ERP_LOG_INFO, "erpmail.dispatch",
                      op + " by " + (actingUser ? actingUser : "?") + ": " + (status == ERP_OK ? "ok" : code) +
                          " in " + std::to_string(ms.count()) + " ms");
        if (!erp::sdk::writeTo(out, answer.isWritten() ? answer.text() : toJson(answer.object()))) return ERP_ERROR;
    } catch (...) {
        return ERP_ERROR;
    }
    return status;
}

} // namespace erpmail
