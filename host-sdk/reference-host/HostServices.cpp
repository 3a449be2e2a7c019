// erphost's services to its plugins: the callbacks of erp_host_api, and the
// documents it provides from its documents file.
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

std::string json(const Poco::Dynamic::Var& value)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(value, out);
    return out.str();
}

namespace {

Poco::JSON::Object::Ptr userObject(const User& u)
{
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("id", u.id);
    o->set("name", u.name);
    Poco::JSON::Array::Ptr groups = new Poco::JSON::Array;
    for (const auto& g : u.groups) groups->add(g);
    o->set("groups", groups);
    o->set("admin", u.admin);
    return o;
}

// The documents file as parsed, read again only when it changed (its time
// or size), so that a plugin filling 300 reminders does not parse it 300
// times; nullptr when there is none.
Poco::JSON::Object::Ptr documentsRoot(const HostConfig& config)
{
    if (config.documentsFile.empty()) return nullptr;
    static std::mutex mutex;
    static std::string cachedPath;
    static struct timespec cachedTime {};
    static off_t cachedSize = -1;
    static Poco::JSON::Object::Ptr cached;
    struct stat st {};
    if (::stat(config.documentsFile.c_str(), &st) != 0) throw std::runtime_error("no documents file " + config.documentsFile);
    std::lock_guard<std::mutex> lock(mutex);
    if (!cached || cachedPath != config.documentsFile || cachedSize != st.st_size ||
        cachedTime.tv_sec != st.st_mtim.tv_sec || cachedTime.tv_nsec != st.st_mtim.tv_nsec) {
        Poco::FileInputStream in(config.documentsFile);
        Poco::JSON::Parser parser;
        cached = parser.parse(in).extract<Poco::JSON::Object::Ptr>();
        cachedPath = config.documentsFile;
        cachedTime = st.st_mtim;
        cachedSize = st.st_size;
    }
    return cached;
}

// The document provider's catalogue: {doctype: {id: {file, file_name, content_type, variables}}}.
Poco::JSON::Object::Ptr documentEntry(const HostConfig& config, const std::string& doctype, const std::string& id)
{
    auto root = documentsRoot(config);
    auto type = root ? root->getObject(doctype) : nullptr;
    return type ? type->getObject(id) : nullptr;
}

} // namespace

erp_host_api PluginHost::hostApi()
{
    erp_host_api api{};
    api.struct_size = sizeof api;
    api.abi_version = ERP_PLUGIN_ABI_VERSION;
    api.host_name = "erphost";
    api.host_ctx = this;
    api.log = &cbLog;
    api.config_get = &cbConfigGet;
    api.user_get = &cbUserGet;
    api.user_list = &cbUserList;
    api.user_has_permission = &cbHasPermission;
    api.database_list = &cbDatabaseList;
    api.database_connection_string = &cbConnectionString;
    api.data_folder = &cbDataFolder;
    api.variable_resolve = &cbVariable;
    api.document_fetch = &cbDocument;
    api.event_emit = &cbEvent;
    api.clock_now_ms = &cbClock;
    api.module_register = &cbModuleRegister;
    api.document_fetch_as = &cbDocumentAs;
    api.variable_resolve_as = &cbVariableAs;
    api.variable_catalogue = &cbVariableCatalogue;
    if (config_.offersLegalHold) api.documents_on_hold = &cbDocumentsOnHold;
    return api;
}

// ---- host services ---------------------------------------------------------

void PluginHost::cbLog(void* ctx, erp_log_level level, const char* component, const char* message)
{
    static_cast<PluginHost*>(ctx)->log(level, component ? component : "?", message ? message : "");
}

erp_status PluginHost::cbConfigGet(void* ctx, const char* key, erp_sink* out)
{
    const auto& settings = static_cast<PluginHost*>(ctx)->config_.settings;
    auto it = key ? settings.find(key) : settings.end();
    if (it == settings.end()) return ERP_NOT_FOUND;
    return writeTo(out, it->second) ? ERP_OK : ERP_ERROR;
}

erp_status PluginHost::cbUserGet(void* ctx, const char* userId, erp_sink* out)
{
    const auto& users = static_cast<PluginHost*>(ctx)->config_.users;
    auto it = userId ? users.find(userId) : users.end();
    if (it == users.end()) return ERP_NOT_FOUND;
    return writeTo(out, json(userObject(it->second))) ? ERP_OK : ERP_ERROR;
}

erp_status PluginHost::cbUserList(void* ctx, erp_sink* out)
{
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& entry : static_cast<PluginHost*>(ctx)->config_.users) list->add(userObject(entry.second));
    return writeTo(out, json(list)) ? ERP_OK : ERP_ERROR;
}

int PluginHost::cbHasPermission(void* ctx, const char* userId, const char* permission)
{
    if (!userId || !permission) return 0;
    return static_cast<PluginHost*>(ctx)->config_.hasPermission(userId, permission) ? 1 : 0;
}

erp_status PluginHost::cbDatabaseList(void* ctx, erp_sink* out)
{
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& entry : static_cast<PluginHost*>(ctx)->config_.databases) {
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
        o->set("id", entry.first);
        o->set("system", entry.second.system);
        list->add(o);
    }
    return writeTo(out, json(list)) ? ERP_OK : ERP_ERROR;
}

erp_status PluginHost::cbConnectionString(void* ctx, const char* databaseId, erp_sink* out)
{
    const auto& dbs = static_cast<PluginHost*>(ctx)->config_.databases;
    auto it = databaseId ? dbs.find(databaseId) : dbs.end();
    if (it == dbs.end()) return ERP_NOT_FOUND;
    return writeTo(out, it->second.connection) ? ERP_OK : ERP_ERROR;
}

erp_status PluginHost::cbDataFolder(void* ctx, erp_sink* out)
{
    return writeTo(out, static_cast<PluginHost*>(ctx)->config_.dataDir) ? ERP_OK : ERP_ERROR;
}

std::string PluginHost::documentRefusal(const char* doctype, const char* user) const
{
    if (!user || !config_.users.count(user)) return std::string("erphost knows no user '") + (user ? user : "") + "'";
    std::string groups;
    for (const auto& g : config_.documentReaders.at(doctype)) groups += (groups.empty() ? "" : ", ") + g;
    return std::string("documents of type '") + doctype + "' are for the group(s) " + groups +
           " and admins ([documents] " + doctype + " = " + groups + ")";
}

std::string PluginHost::userlessRefusal(const char* doctype) const
{
    return std::string("documents of type '") + doctype +
           "' are for some users only ([documents]); a plugin reads them with document_fetch_as or "
           "variable_resolve_as, which name the acting user";
}

erp_status PluginHost::readVariable(const char* doctype, const char* docId, const char* name, erp_sink* out) const
{
    try {
        auto entry = documentEntry(config_, doctype, docId);
        if (!entry) return ERP_NOT_FOUND;
        auto variables = entry->getObject("variables");
        if (!variables || !variables->has(name)) return ERP_NOT_FOUND;
        return writeTo(out, variables->get(name).toString()) ? ERP_OK : ERP_ERROR;
    } catch (const std::exception& e) {
        writeTo(out, e.what());
        return ERP_ERROR;
    }
}

erp_status PluginHost::readDocument(const char* doctype, const char* docId, erp_sink* bytes, erp_sink* meta) const
{
    try {
        auto entry = documentEntry(config_, doctype, docId);
        if (!entry || !entry->has("file")) return ERP_NOT_FOUND;
        Poco::Path file(entry->getValue<std::string>("file"));
        if (!file.isAbsolute()) file = Poco::Path(Poco::Path(config_.documentsFile).parent(), file);
        Poco::FileInputStream in(file.toString());
        std::string data;
        Poco::StreamCopier::copyToString(in, data);
        Poco::JSON::Object::Ptr m = new Poco::JSON::Object;
        m->set("file_name", entry->optValue<std::string>("file_name", file.getFileName()));
        m->set("content_type", entry->optValue<std::string>("content_type", "application/pdf"));
        if (!writeTo(bytes, data) || !writeTo(meta, json(m))) return ERP_ERROR;
        return ERP_OK;
    } catch (const std::exception& e) {
        writeTo(bytes, e.what());
        return ERP_ERROR;
    }
}

erp_status PluginHost::cbVariable(void* ctx, const char* doctype, const char* docId, const char* name, erp_sink* out)
{
    auto* self = static_cast<PluginHost*>(ctx);
    if (!doctype || !docId || !name) return ERP_INVALID_ARGUMENT;
    // Without a user a restricted doctype cannot be checked: refuse it.
    if (self->config_.documentsRestricted(doctype)) {
        writeTo(out, self->userlessRefusal(doctype));
        return ERP_ERROR;
    }
    return self->readVariable(doctype, docId, name, out);
}

erp_status PluginHost::cbDocument(void* ctx, const char* doctype, const char* docId, erp_sink* bytes, erp_sink* meta)
{
    auto* self = static_cast<PluginHost*>(ctx);
    if (!doctype || !docId) return ERP_INVALID_ARGUMENT;
    if (self->config_.documentsRestricted(doctype)) {
        writeTo(bytes, self->userlessRefusal(doctype));
        return ERP_ERROR;
    }
    return self->readDocument(doctype, docId, bytes, meta);
}

// The catalogue is the documents file's "_variables": {doctype: [{name, description, type, example}]}.
erp_status PluginHost::cbVariableCatalogue(void* ctx, const char* doctype, erp_sink* out)
{
    auto* self = static_cast<PluginHost*>(ctx);
    if (!doctype) return ERP_INVALID_ARGUMENT;
    try {
        auto root = documentsRoot(self->config_);
        auto catalogue = root ? root->getObject("_variables") : nullptr;
        if (!catalogue || !catalogue->has(doctype)) return ERP_NOT_FOUND;
        std::ostringstream text;
        catalogue->get(doctype).extract<Poco::JSON::Array::Ptr>()->stringify(text);
        return writeTo(out, text.str()) ? ERP_OK : ERP_ERROR;
    } catch (const std::exception& e) {
        writeTo(out, e.what());
        return ERP_ERROR;
    }
}

erp_status PluginHost::cbVariableAs(void* ctx, const char* doctype, const char* docId, const char* name,
                                    const char* user, erp_sink* out)
{
    auto* self = static_cast<PluginHost*>(ctx);
    if (!doctype || !docId || !name) return ERP_INVALID_ARGUMENT;
    if (!user || !self->config_.mayReadDocuments(user, doctype)) {
        writeTo(out, self->documentRefusal(doctype, user));
        return ERP_FORBIDDEN;
    }
    return self->readVariable(doctype, docId, name, out);
}

erp_status PluginHost::cbDocumentAs(void* ctx, const char* doctype, const char* docId, const char* user,
                                    erp_sink* bytes, erp_sink* meta)
{
    auto* self = static_cast<PluginHost*>(ctx);
    if (!doctype || !docId) return ERP_INVALID_ARGUMENT;
    if (!user || !self->config_.mayReadDocuments(user, doctype)) {
        writeTo(bytes, self->documentRefusal(doctype, user));
        return ERP_FORBIDDEN;
    }
    return self->readDocument(doctype, docId, bytes, meta);
}

// A document is under hold when its entry says "legal_hold": true.
erp_status PluginHost::cbDocumentsOnHold(void* ctx, const char* linksJson, erp_sink* out)
{
    auto* self = static_cast<PluginHost*>(ctx);
    if (!linksJson) return ERP_INVALID_ARGUMENT;
    try {
        Poco::JSON::Parser parser;
        auto links = parser.parse(linksJson).extract<Poco::JSON::Array::Ptr>();
        Poco::JSON::Object::Ptr catalogue = documentsRoot(self->config_);
        Poco::JSON::Array::Ptr held = new Poco::JSON::Array;
        for (std::size_t i = 0; i < links->size(); ++i) {
            auto link = links->getObject(static_cast<unsigned>(i));
            auto type = catalogue && link ? catalogue->getObject(link->optValue<std::string>("doctype", "")) : nullptr;
            auto entry = type ? type->getObject(link->optValue<std::string>("id", "")) : nullptr;
            held->add(entry && entry->optValue<bool>("legal_hold", false));
        }
        std::ostringstream text;
        held->stringify(text);
        return writeTo(out, text.str()) ? ERP_OK : ERP_ERROR;
    } catch (const std::exception& e) {
        writeTo(out, e.what());
        return ERP_ERROR;
    }
}

void PluginHost::cbEvent(void* ctx, const char* type, const char* payload)
{
    auto* self = static_cast<PluginHost*>(ctx);
    self->log(ERP_LOG_INFO, "erphost.event", std::string(type ? type : "?") + " " + (payload ? payload : "{}"));
    std::lock_guard<std::mutex> lock(self->eventMutex_);
    if (self->eventListener_) self->eventListener_(type ? type : "", payload ? payload : "{}");
    if (self->config_.eventLog.empty()) return;
    std::ofstream out(self->config_.eventLog, std::ios::app);
    Poco::JSON::Object::Ptr record = new Poco::JSON::Object;
    record->set("type", std::string(type ? type : ""));
    record->set("at_ms", cbClock(ctx));
    try {
        Poco::JSON::Parser parser;
        record->set("payload", parser.parse(payload ? payload : "{}"));
    } catch (const Poco::Exception&) {
        record->set("payload", std::string(payload ? payload : ""));
    }
    out << json(record) << '\n';
}

int64_t PluginHost::cbClock(void* ctx)
{
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    return now + static_cast<PluginHost*>(ctx)->config_.clockOffsetMs;
}

} // namespace erphost
