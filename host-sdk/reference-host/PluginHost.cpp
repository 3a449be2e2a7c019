// erphost's plugin loader: loading plugins by their ABI version, starting and
// stopping their modules in dependency order, and calling their operations.
#include "PluginHost.h"

#include <erp/sdk/sink.hpp>
#include <erp/sdk/versioned.hpp>

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/FileStream.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Path.h>
#include <Poco/StreamCopier.h>

#include <dlfcn.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <functional>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>

namespace erphost {

using erp::sdk::StringSink;
using erp::sdk::writeTo;

namespace {


int levelFromName(const std::string& name)
{
    if (name == "trace") return ERP_LOG_TRACE;
    if (name == "debug") return ERP_LOG_DEBUG;
    if (name == "info") return ERP_LOG_INFO;
    if (name == "error") return ERP_LOG_ERROR;
    return ERP_LOG_WARNING;
}

const char* levelName(erp_log_level level)
{
    switch (level) {
    case ERP_LOG_TRACE: return "trace";
    case ERP_LOG_DEBUG: return "debug";
    case ERP_LOG_INFO: return "info";
    case ERP_LOG_WARNING: return "warning";
    case ERP_LOG_ERROR: return "error";
    }
    return "?";
}

std::string versionText(uint32_t v)
{
    return std::to_string(ERP_ABI_MAJOR_OF(v)) + "." + std::to_string(ERP_ABI_MINOR_OF(v));
}

} // namespace

std::string errorJson(const std::string& code, const std::string& message)
{
    Poco::JSON::Object::Ptr error = new Poco::JSON::Object;
    error->set("code", code);
    error->set("message", message);
    Poco::JSON::Object::Ptr root = new Poco::JSON::Object;
    root->set("error", error);
    return json(root);
}

PluginHost::PluginHost(HostConfig config) : config_(std::move(config))
{
    logThreshold_ = levelFromName(config_.logLevel);
    if (!config_.logFile.empty()) logFile_.open(config_.logFile, std::ios::app);
    Poco::File(config_.dataDir).createDirectories();
    ::chmod(config_.dataDir.c_str(), 0700);
}

PluginHost::~PluginHost()
{
    shutdown();
}

void PluginHost::log(erp_log_level level, const std::string& component, const std::string& message)
{
    if (level < logThreshold_) return;
    std::time_t now = std::time(nullptr);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    std::lock_guard<std::mutex> lock(logMutex_);
    std::ostream& out = logFile_.is_open() ? static_cast<std::ostream&>(logFile_) : std::cerr;
    out << stamp << ' ' << levelName(level) << ' ' << component << ": " << message << '\n';
    out.flush();
}

void PluginHost::loadPlugins()
{
    Poco::File dir(config_.pluginDir);
    if (!dir.exists() || !dir.isDirectory()) {
        loadErrors_.push_back("plugin folder " + config_.pluginDir + " does not exist");
        return;
    }
    std::vector<std::string> paths;
    for (Poco::DirectoryIterator it(dir), end; it != end; ++it)
        if (Poco::Path(it->path()).getExtension() == "so") paths.push_back(it->path());
    std::sort(paths.begin(), paths.end());
    for (const auto& path : paths) loadPlugin(path);
}

bool PluginHost::loadPlugin(const std::string& path)
{
    const std::string file = Poco::Path(path).getFileName();
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char* why = dlerror();
        loadErrors_.push_back("plugin " + file + " not loaded: " + (why ? why : "dlopen failed"));
        return false;
    }
    auto fail = [&](const std::string& why) {
        loadErrors_.push_back("plugin " + file + " not loaded: " + why);
        dlclose(handle);
        return false;
    };
    auto abiVersion = reinterpret_cast<erp_plugin_abi_version_fn>(dlsym(handle, ERP_PLUGIN_SYMBOL_ABI_VERSION));
    auto load = reinterpret_cast<erp_plugin_load_fn>(dlsym(handle, ERP_PLUGIN_SYMBOL_LOAD));
    auto unload = reinterpret_cast<erp_plugin_unload_fn>(dlsym(handle, ERP_PLUGIN_SYMBOL_UNLOAD));
    if (!abiVersion || !load || !unload)
        return fail("it lacks the entry points erp_plugin_abi_version, erp_plugin_load and erp_plugin_unload");

    const uint32_t theirs = abiVersion();
    if (ERP_ABI_MAJOR_OF(theirs) != ERP_PLUGIN_ABI_MAJOR)
        return fail("it was built for host ABI " + versionText(theirs) + ", but this host speaks ABI " +
                    versionText(ERP_PLUGIN_ABI_VERSION) + " (major versions must match)");
    if (ERP_ABI_MINOR_OF(theirs) > ERP_PLUGIN_ABI_MINOR)
        return fail("it needs host ABI " + versionText(theirs) + ", newer than this host's " +
                    versionText(ERP_PLUGIN_ABI_VERSION) + "; update the host");

    auto plugin = std::make_unique<Plugin>();
    plugin->path = path;
    plugin->handle = handle;
    plugin->unload = unload;
    plugin->name = Poco::Path(path).getBaseName();
    plugin->api.struct_size = sizeof plugin->api;
    erp_host_api api = hostApi();
    StringSink error;
    std::size_t modulesBefore = modules_.size();
    loading_ = plugin.get();
    erp_status status = load(&api, &plugin->api, error.get());
    loading_ = nullptr;
    if (status != ERP_OK) {
        modules_.resize(modulesBefore);
        for (auto it = operations_.begin(); it != operations_.end();)
            it = it->second.plugin == plugin->name ? operations_.erase(it) : std::next(it);
        return fail("its erp_plugin_load failed: " + (error.str().empty() ? std::string("no reason given") : error.str()));
    }
    erp_plugin_api copy;
    erp::sdk::copyVersioned(&plugin->api, copy);
    plugin->api = copy;
    if (!plugin->api.invoke) {
        unload();
        return fail("it returned no invoke function");
    }
    plugin->version = plugin->api.version ? plugin->api.version : "";
    log(ERP_LOG_INFO, "erphost", "loaded plugin " + plugin->name + " " + plugin->version + " from " + path);
    plugins_.push_back(std::move(plugin));
    return true;
}

void PluginHost::startModules()
{
    // Dependencies first: repeat passes until nothing more can be decided.
    std::set<ModuleRecord*> decided;
    bool progress = true;
    while (progress) {
        progress = false;
        for (auto& m : modules_) {
            if (decided.count(m.get())) continue;
            if (!config_.moduleEnabled(m->plugin, m->id)) {
                m->state = ModuleState::Disabled;
                decided.insert(m.get());
                progress = true;
                continue;
            }
            bool waiting = false;
            std::string missing;
            for (const auto& dep : m->dependencies) {
                auto it = std::find_if(modules_.begin(), modules_.end(),
                                       [&](const auto& other) { return other->plugin == m->plugin && other->id == dep; });
                if (it == modules_.end()) {
                    missing = "it needs module '" + dep + "', which the plugin does not provide";
                    break;
                }
                if (!decided.count(it->get())) {
                    waiting = true;
                    continue;
                }
                if ((*it)->state != ModuleState::Running) {
                    missing = "it needs module '" + dep + "', which is " +
                              ((*it)->state == ModuleState::Disabled ? "disabled" : "not running");
                    break;
                }
            }
            if (missing.empty() && waiting) continue;
            decided.insert(m.get());
            progress = true;
            if (!missing.empty()) {
                m->state = ModuleState::Refused;
                m->reason = missing;
                log(ERP_LOG_ERROR, "erphost", "module " + m->plugin + "/" + m->id + " not started: " + missing);
                continue;
            }
            StringSink error;
            if (m->start(m->ctx, error.get()) == ERP_OK) {
                m->state = ModuleState::Running;
                startOrder_.push_back(m.get());
            } else {
                m->state = ModuleState::Failed;
                m->reason = error.str().empty() ? "start failed" : error.str();
                log(ERP_LOG_ERROR, "erphost", "module " + m->plugin + "/" + m->id + " failed to start: " + m->reason);
            }
        }
    }
    for (auto& m : modules_)
        if (!decided.count(m.get())) {
            m->state = ModuleState::Refused;
            m->reason = "its dependencies form a cycle";
        }
}

void PluginHost::shutdown()
{
    for (auto it = startOrder_.rbegin(); it != startOrder_.rend(); ++it) {
        (*it)->stop((*it)->ctx);
        (*it)->state = ModuleState::Disabled;
    }
    startOrder_.clear();
    for (auto it = plugins_.rbegin(); it != plugins_.rend(); ++it) {
        (*it)->unload();
        dlclose((*it)->handle);
    }
    plugins_.clear();
}

CallResult PluginHost::call(const std::string& operation, const std::string& user, const std::string& paramsJson)
{
    if (!config_.users.count(user)) return {false, errorJson("unknown_user", "erphost knows no user '" + user + "'")};
    auto op = operations_.find(operation);
    if (op == operations_.end())
        return {false, errorJson("unknown_operation", "no loaded plugin offers an operation named '" + operation +
                                                          "' (erphost ops lists them)")};
    try {
        Poco::JSON::Parser parser;
        Poco::Dynamic::Var v = parser.parse(paramsJson);
        if (v.type() != typeid(Poco::JSON::Object::Ptr))
            return {false, errorJson("invalid_json", "--json must be a JSON object")};
    } catch (const Poco::Exception& e) {
        return {false, errorJson("invalid_json", "--json is not valid JSON: " + e.message())};
    }
    for (auto& plugin : plugins_) {
        if (plugin->name != op->second.plugin) continue;
        StringSink out;
        erp_status status =
            plugin->api.invoke(plugin->api.plugin_ctx, operation.c_str(), paramsJson.c_str(), user.c_str(), out.get());
        return {status == ERP_OK, out.take()};
    }
    return {false, errorJson("internal", "plugin of operation '" + operation + "' is gone")};
}

Poco::JSON::Array::Ptr PluginHost::catalogue() const
{
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& [name, op] : operations_) {
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
        o->set("name", name);
        o->set("summary", op.summary);
        o->set("module", op.module);
        o->set("plugin", op.plugin);
        o->set("permission", op.permission);
        Poco::JSON::Parser parser;
        o->set("params", parser.parse(op.schema));
        list->add(o);
    }
    return list;
}

erp_status PluginHost::uiResource(const std::string& plugin, const std::string& path, std::string& bytes,
                                  std::string& meta) const
{
    for (const auto& p : plugins_) {
        if (p->name != plugin) continue;
        if (!p->api.ui_resource) {
            bytes = "plugin " + plugin + " brings no web screens";
            return ERP_NOT_FOUND;
        }
        StringSink out, info;
        const erp_status status = p->api.ui_resource(p->api.plugin_ctx, path.c_str(), out.get(), info.get());
        bytes = out.take();
        meta = info.take();
        return status;
    }
    bytes = "no plugin named '" + plugin + "' is loaded";
    return ERP_NOT_FOUND;
}

std::vector<std::string> PluginHost::pluginsWithUi() const
{
    std::vector<std::string> names;
    for (const auto& p : plugins_)
        if (p->api.ui_resource) names.push_back(p->name);
    return names;
}

void PluginHost::setEventListener(EventListener listener)
{
    std::lock_guard<std::mutex> lock(eventMutex_);
    eventListener_ = std::move(listener);
}

erp_status PluginHost::cbModuleRegister(void* ctx, const erp_module_info* raw)
{
    auto* self = static_cast<PluginHost*>(ctx);
    if (!self->loading_) return ERP_ERROR; // only during erp_plugin_load
    erp_module_info info;
    if (!erp::sdk::copyVersioned(raw, info) || !info.id || !info.start || !info.stop) return ERP_INVALID_ARGUMENT;
    auto m = std::make_unique<ModuleRecord>();
    m->plugin = self->loading_->name;
    m->id = info.id;
    m->summary = info.summary ? info.summary : "";
    for (size_t i = 0; i < info.dependency_count; ++i) m->dependencies.push_back(info.dependencies[i]);
    for (size_t i = 0; i < info.permission_count; ++i) m->permissions.push_back(info.permissions[i]);
    for (size_t i = 0; i < info.operation_count; ++i) {
        erp_operation_info op;
        erp::sdk::copyVersioned(&info.operations[i], op);
        if (!op.name) return ERP_INVALID_ARGUMENT;
        if (self->operations_.count(op.name)) {
            self->log(ERP_LOG_ERROR, "erphost", std::string("operation ") + op.name + " registered twice");
            return ERP_ERROR;
        }
        self->operations_[op.name] = {op.name, op.summary ? op.summary : "", op.params_schema ? op.params_schema : "{}",
                                      op.permission ? op.permission : "", m->id, m->plugin};
        m->operations.push_back(op.name);
    }
    m->ctx = info.module_ctx;
    m->start = info.start;
    m->stop = info.stop;
    self->modules_.push_back(std::move(m));
    return ERP_OK;
}

} // namespace erphost
