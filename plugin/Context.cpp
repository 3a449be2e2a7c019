#include "erpmail/Context.h"

#include "erpmail/Module.h"
#include "erpmail/OperationError.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

namespace erpmail {

Context::Context(const erp_host_api* host) : host_(host)
{
    databases_ = std::make_unique<store::DatabaseRegistry>(
        [this](const std::string& id) { return host_.connectionString(id); });
}

std::vector<DatabaseInfo> Context::databaseList() const
{
    std::vector<DatabaseInfo> out;
    Poco::JSON::Parser parser;
    auto array = parser.parse(host_.databasesJson()).extract<Poco::JSON::Array::Ptr>();
    for (std::size_t i = 0; i < array->size(); ++i) {
        auto item = array->getObject(static_cast<unsigned>(i));
        if (!item) continue;
        out.push_back({item->optValue<std::string>("id", ""), item->optValue<bool>("system", false)});
    }
    return out;
}

std::string Context::systemDatabaseId() const
{
    for (const auto& db : databaseList())
        if (db.system) return db.id;
    throw OperationError("unavailable", "the host marks no database as the system database");
}

erp::sdk::Host::DocumentReader Context::documentReader(const Request& request) const
{
    return {request.user, host_.hasPermission(request.user, permission::Admin)};
}

std::optional<std::string> Context::documentVariable(const Request& request, const std::string& doctype,
                                                     const std::string& docId, const std::string& name,
                                                     const std::string& field) const
{
    try {
        return host_.resolveVariable(doctype, docId, name, documentReader(request));
    } catch (const erp::sdk::DocumentForbidden& e) {
        throw OperationError("forbidden", e.what(), field);
    }
}

std::optional<erp::sdk::Host::Document> Context::document(const Request& request, const std::string& doctype,
                                                          const std::string& docId, const std::string& field) const
{
    try {
        return host_.fetchDocument(doctype, docId, documentReader(request));
    } catch (const erp::sdk::DocumentForbidden& e) {
        throw OperationError("forbidden", e.what(), field);
    }
}

void Context::emit(const std::string& type, const Poco::JSON::Object::Ptr& payload) const
{
    host_.emit(type, toJson(payload));
}

void Context::log(erp_log_level level, const std::string& component, const std::string& message) const
{
    host_.log(level, component.c_str(), message);
}

std::string toJson(const Poco::JSON::Object::Ptr& object)
{
    std::ostringstream out;
    object->stringify(out);
    return out.str();
}

Poco::JSON::Object::Ptr parseObject(const std::string& text)
{
    Poco::JSON::Parser parser;
    Poco::Dynamic::Var value;
    try {
        value = parser.parse(text.empty() ? std::string("{}") : text);
    } catch (const Poco::Exception& e) {
        throw OperationError("invalid_params", "params are not valid JSON: " + e.message());
    }
    if (value.type() != typeid(Poco::JSON::Object::Ptr))
        throw OperationError("invalid_params", "params must be a JSON object");
    return value.extract<Poco::JSON::Object::Ptr>();
}

} // namespace erpmail
