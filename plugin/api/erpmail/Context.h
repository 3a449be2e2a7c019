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
    /// A connection to the system database with its tables and the event
    /// table, which comes with the mailbox migrations: the events of the
    /// installation (account state, certificates, maintenance) are recorded
    /// there. Throws StoreError.
    store::ConnectionLease systemWithEvents();

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

    /// Hands an event to the host at once; lost if the process ends first.
    void emit(const std::string& type, const Poco::JSON::Object::Ptr& payload) const;
    /// Records an event for the host in `db`, inside the caller's open
    /// transaction, so that it commits with the state it reports. Adds a
    /// new "event_id" (a UUID) to the payload and returns it. Throws StoreError.
    std::string recordEvent(store::Connection& db, const std::string& type, const std::string& accountId,
                            Poco::JSON::Object::Ptr payload) const;
    /// Hands the events recorded in `db` to the host, oldest first: claims a
    /// batch, commits the claim, hands it over with no transaction open and
    /// deletes it. At least once, and once unless the process ends before
    /// the delete (the batch then goes out again when its claim has run
    /// out). Call it with no transaction open on `db`. Failures are logged;
    /// the events wait for the next call. Returns how many were handed over.
    std::size_t deliverEvents(store::Connection& db) const noexcept;
    void log(erp_log_level level, const std::string& component, const std::string& message) const;

private:
    erp::sdk::Host::DocumentReader documentReader(const Request& request) const;

    erp::sdk::Host host_;
    std::unique_ptr<store::DatabaseRegistry> databases_;
};

/// Serialises a JSON value (an object, an array, a scalar) compactly.
std::string toJson(const Poco::Dynamic::Var& value);
/// Parses a JSON text that must be an object; throws OperationError(invalid_params).
Poco::JSON::Object::Ptr parseObject(const std::string& text);
/// Parses a JSON object that erpmail stored itself; an empty text is {}.
/// Throws Poco::Exception when the stored text is not an object.
Poco::JSON::Object::Ptr parseStoredObject(const std::string& text);

/// An integer setting of the host's configuration, clamped to [least, most];
/// `fallback` when it is unset or not a number.
int configInt(const Context& context, const std::string& key, int fallback, int least, int most);
/// A yes/no setting: "yes", "true", "on", "1" or "no", "false", "off", "0",
/// in any case; `fallback` when it is unset or none of these.
bool configFlag(const Context& context, const std::string& key, bool fallback);

} // namespace erpmail
