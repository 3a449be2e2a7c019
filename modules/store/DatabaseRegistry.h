// The databases a host offers, with a pool of open connections per id.
#pragma once

#include "store/Migrator.h"
#include "store/Odbc.h"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace erpmail::store {

/// The host offers no database with this id.
class UnknownDatabase : public StoreError {
public:
    using StoreError::StoreError;
};

class DatabaseRegistry;

/// A connection borrowed from the registry; returned to the pool when the
/// lease ends, or dropped when its link broke or a transaction was left open.
class ConnectionLease {
public:
    ConnectionLease(DatabaseRegistry* owner, std::unique_ptr<Connection> connection);
    ConnectionLease(ConnectionLease&&) noexcept = default;
    ConnectionLease& operator=(ConnectionLease&&) noexcept = default;
    ~ConnectionLease();

    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }

private:
    DatabaseRegistry* owner_ = nullptr;
    std::unique_ptr<Connection> connection_;
};

class DatabaseRegistry {
public:
    /// Looks up a database id's ODBC connection string; nullopt when unknown.
    using Lookup = std::function<std::optional<std::string>(const std::string& databaseId)>;

    /// Connections given back stay open for reuse until they have been idle
    /// for idleTimeout, at most maxIdlePerDatabase of them per database.
    explicit DatabaseRegistry(Lookup lookup, std::size_t maxIdlePerDatabase = 64,
                              std::chrono::milliseconds idleTimeout = std::chrono::seconds(60));
    DatabaseRegistry(const DatabaseRegistry&) = delete;
    DatabaseRegistry& operator=(const DatabaseRegistry&) = delete;

    /// A pooled connection, migrated for `scope` on first use in this
    /// process. Throws UnknownDatabase or DatabaseUnavailable.
    ConnectionLease acquire(const std::string& databaseId, Scope scope);

    /// A fresh connection outside the pool, not migrated (for checks).
    std::unique_ptr<Connection> connectDirect(const std::string& databaseId);

    /// Closes every idle connection and forgets which databases were migrated.
    void clear();

private:
    friend class ConnectionLease;
    struct Idle {
        std::unique_ptr<Connection> connection;
        std::chrono::steady_clock::time_point since;
    };
    void giveBack(std::unique_ptr<Connection> connection);
    /// Moves the connections of `pool` idle for longer than idleTimeout_ to
    /// `expired` (closed by the caller, outside the lock).
    void takeExpired(std::vector<Idle>& pool, std::vector<Idle>& expired);

    Lookup lookup_;
    std::size_t maxIdle_;
    std::chrono::milliseconds idleTimeout_;
    std::mutex mutex_;
    std::map<std::string, std::vector<Idle>> idle_; ///< per database, the longest idle first
    std::set<std::pair<std::string, Scope>> migrated_;
};

} // namespace erpmail::store
