// erphost's plugin side: loads plugins, lends them the host services,
// starts enabled modules in dependency order and calls operations.
#pragma once

#include "HostConfig.h"

#include <erp/erp_plugin.h>

#include <Poco/Dynamic/Var.h>

#include <Poco/JSON/Array.h>

#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace erphost {

struct OperationRecord {
    std::string name, summary, schema, permission, module, plugin;
};

enum class ModuleState { Disabled, Running, Refused, Failed };

struct ModuleRecord {
    std::string plugin, id, summary;
    std::vector<std::string> dependencies, permissions, operations;
    void* ctx = nullptr;
    erp_status (*start)(void*, erp_sink*) = nullptr;
    void (*stop)(void*) = nullptr;
    ModuleState state = ModuleState::Disabled;
    std::string reason; ///< why Refused or Failed
};

struct CallResult {
    bool ok = false;
    std::string json; ///< the result, or {"error":{...}}
};

class PluginHost {
public:
    explicit PluginHost(HostConfig config);
    ~PluginHost();
    PluginHost(const PluginHost&) = delete;
    PluginHost& operator=(const PluginHost&) = delete;

    /// Loads every *.so of the plugin folder. A plugin that cannot be loaded
    /// (wrong ABI, missing symbol, failing load) is skipped; the reason is in
    /// loadErrors().
    void loadPlugins();
    /// Starts enabled modules, dependencies first. A module whose dependency
    /// is not running is refused with a reason naming it.
    void startModules();
    /// Stops running modules in reverse start order, then unloads plugins.
    void shutdown();

    const std::vector<std::string>& loadErrors() const { return loadErrors_; }
    const std::vector<std::unique_ptr<ModuleRecord>>& modules() const { return modules_; }
    const std::map<std::string, OperationRecord>& operations() const { return operations_; }

    /// Calls an operation as user with params (a JSON text).
    CallResult call(const std::string& operation, const std::string& user, const std::string& paramsJson);

    /// The operations with their summaries, modules, permissions and
    /// parameter schemas, as `ops --json` prints them.
    Poco::JSON::Array::Ptr catalogue() const;

    /// A file of plugin's web screens (ABI 1.1 ui_resource): ERP_OK with
    /// bytes and meta filled; ERP_NOT_FOUND for an unknown plugin or file,
    /// or a plugin without screens (bytes then says which);
    /// ERP_INVALID_ARGUMENT for a path the plugin refused.
    erp_status uiResource(const std::string& plugin, const std::string& path, std::string& bytes,
                          std::string& meta) const;
    /// The names of the loaded plugins that bring web screens.
    std::vector<std::string> pluginsWithUi() const;

    /// Called for every event a plugin emits, after it is logged; set it
    /// before plugins start, or to nullptr before shutdown.
    using EventListener = std::function<void(const std::string& type, const std::string& payloadJson)>;
    void setEventListener(EventListener listener);
    /// The host's clock (the system clock moved by clock_offset_ms), as the plugins read it.
    std::int64_t nowMs() const { return cbClock(const_cast<PluginHost*>(this)); }

    void log(erp_log_level level, const std::string& component, const std::string& message);
    const HostConfig& config() const { return config_; }

private:
    struct Plugin {
        std::string path, name, version;
        void* handle = nullptr;
        erp_plugin_api api{};
        erp_plugin_unload_fn unload = nullptr;
    };

    bool loadPlugin(const std::string& path);
    erp_host_api hostApi();

    // Host services (erp_host_api callbacks).
    static void cbLog(void* ctx, erp_log_level level, const char* component, const char* message);
    static erp_status cbConfigGet(void* ctx, const char* key, erp_sink* out);
    static erp_status cbUserGet(void* ctx, const char* userId, erp_sink* out);
    static erp_status cbUserList(void* ctx, erp_sink* out);
    static int cbHasPermission(void* ctx, const char* userId, const char* permission);
    static erp_status cbDatabaseList(void* ctx, erp_sink* out);
    static erp_status cbConnectionString(void* ctx, const char* databaseId, erp_sink* out);
    static erp_status cbDataFolder(void* ctx, erp_sink* out);
    static erp_status cbVariable(void* ctx, const char* doctype, const char* docId, const char* name, erp_sink* out);
    static erp_status cbDocument(void* ctx, const char* doctype, const char* docId, erp_sink* bytes,
                                 erp_sink* meta);
    static erp_status cbDocumentAs(void* ctx, const char* doctype, const char* docId, const char* user, erp_sink* bytes,
                                   erp_sink* meta);
    static erp_status cbVariableAs(void* ctx, const char* doctype, const char* docId, const char* name,
                                   const char* user, erp_sink* out);
    static erp_status cbVariableCatalogue(void* ctx, const char* doctype, erp_sink* out);
    static void cbEvent(void* ctx, const char* type, const char* payload);
    static erp_status cbDocumentsOnHold(void* ctx, const char* linksJson, erp_sink* out);

    // The document provider behind those callbacks, and why it refuses a reader.
    erp_status readVariable(const char* doctype, const char* docId, const char* name, erp_sink* out) const;
    erp_status readDocument(const char* doctype, const char* docId, erp_sink* bytes, erp_sink* meta) const;
    std::string documentRefusal(const char* doctype, const char* user) const;
    std::string userlessRefusal(const char* doctype) const;
    static int64_t cbClock(void* ctx);
    static erp_status cbModuleRegister(void* ctx, const erp_module_info* info);

    HostConfig config_;
    int logThreshold_ = ERP_LOG_WARNING;
    std::mutex logMutex_;
    std::ofstream logFile_;
    std::mutex eventMutex_;
    EventListener eventListener_;
    std::vector<std::unique_ptr<Plugin>> plugins_;
    Plugin* loading_ = nullptr;
    std::vector<std::unique_ptr<ModuleRecord>> modules_;
    std::vector<ModuleRecord*> startOrder_;
    std::map<std::string, OperationRecord> operations_;
    std::vector<std::string> loadErrors_;
};

/// {"error":{"code":code,"message":message}} as text.
std::string errorJson(const std::string& code, const std::string& message);
/// A JSON value as compact text.
std::string json(const Poco::Dynamic::Var& value);

} // namespace erphost
