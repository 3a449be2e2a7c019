// What every module gets from the plugin: the host's services and the
// databases. Built once at load, valid until unload.
#pragma once

#include <erp/sdk/host.hpp>

#include "store/DatabaseRegistry.h"

#include <Poco/JSON/Object.h>

#include <memory>
#include <string>
#include <vector>

namespace erpmail {

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

    void emit(const std::string& type, const Poco::JSON::Object::Ptr& payload) const;
    void log(erp_log_level level, const std::string& component, const std::string& message) const;

private:
    erp::sdk::Host host_;
    std::unique_ptr<store::DatabaseRegistry> databases_;
};

/// Serialises a JSON object compactly.
std::string toJson(const Poco::JSON::Object::Ptr& object);
/// Parses a JSON text that must be an object; throws OperationError(invalid_params).
Poco::JSON::Object::Ptr parseObject(const std::string& text);

} // namespace erpmail
