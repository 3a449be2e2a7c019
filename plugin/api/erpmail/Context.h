// What every module gets from the plugin: the host's services and the
// databases. Built once at load, valid until unload.
#pragma once

#include <erp/sdk/host.hpp>

#include "store/DatabaseRegistry.h"

#include <Poco/JSON/Object.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace erpmail {

struct Request;

struct DatabaseInfo {
    std::string id;
    bool system = false;
};

class Context {
public:
    explicit Context(const erp_host_api* host);

    const erp::sdk::Host& host() const { return host_; }
    store::DatabaseRegistry& databases() { return *databases_; }

    /// The host's databases; exactly one is the system database.
    std::vector<DatabaseInfo> databaseList() const;
    /// Id of the system database; throws when the host marks none.
    std::string systemDatabaseId() const;

    /// A host document's variable as the request's user may read it; nullopt
    /// when the host does not know it. Throws OperationError(forbidden, field)
    /// when the user may not read the document: the host refused, or the host
    /// cannot check per user (ABI 1.0) and the user lacks mail.admin.
    std::optional<std::string> documentVariable(const Request& request, const std::string& doctype,
                                                const std::string& docId, const std::string& name,
                                                const std::string& field) const;
    /// A host document's bytes as the request's user may read them; nullopt
    /// when the host has no such document. Throws as documentVariable.
    std::optional<erp::sdk::Host::Document> document(const Request& request, const std::string& doctype,
                                                     const std::string& docId, const std::string& field) const;

    void emit(const std::string& type, const Poco::JSON::Object::Ptr& payload) const;
    void log(erp_log_level level, const std::string& component, const std::string& message) const;

private:
    erp::sdk::Host::DocumentReader documentReader(const Request& request) const;

    erp::sdk::Host host_;
    std::unique_ptr<store::DatabaseRegistry> databases_;
};

/// Serialises a JSON object compactly.
std::string toJson(const Poco::JSON::Object::Ptr& object);
/// Parses a JSON text that must be an object; throws OperationError(invalid_params).
Poco::JSON::Object::Ptr parseObject(const std::string& text);

} // namespace erpmail
