#include "store/DatabaseRegistry.h"

#include <algorithm>
#include <iterator>

namespace erpmail::store {

ConnectionLease::ConnectionLease(DatabaseRegistry* owner, std::unique_ptr<Connection> connection)
    : owner_(owner), connection_(std::move(connection))
{
}

ConnectionLease::~ConnectionLease()
{
    if (owner_ && connection_) owner_->giveBack(std::move(connection_));
}

DatabaseRegistry::DatabaseRegistry(Lookup lookup, std::size_t maxIdlePerDatabase, std::chrono::milliseconds idleTimeout)
    : lookup_(std::move(lookup)), maxIdle_(maxIdlePerDatabase), idleTimeout_(idleTimeout)
{
}

void DatabaseRegistry::takeExpired(std::vector<Idle>& pool, std::vector<Idle>& expired)
{
    const auto cutoff = std::chrono::steady_clock::now() - idleTimeout_;
    auto end = pool.begin();
    while (end != pool.end() && end->since <= cutoff) ++end;
    std::move(pool.begin(), end, std::back_inserter(expired));
    pool.erase(pool.begin(), end);
}

std::unique_ptr<Connection> DatabaseRegistry::connectDirect(const std::string& databaseId)
{
    auto connectionString = lookup_(databaseId);
    if (!connectionString) throw UnknownDatabase(databaseId, "no such database is configured in the host");
    return std::make_unique<Connection>(databaseId, *connectionString);
}

ConnectionLease DatabaseRegistry::acquire(const std::string& databaseId, Scope scope)
{
    std::unique_ptr<Connection> connection;
    bool needsMigration = false;
    {
        std::vector<Idle> expired; // closed after the lock is released
        std::lock_guard<std::mutex> lock(mutex_);
        auto& pool = idle_[databaseId];
        takeExpired(pool, expired);
        while (!pool.empty() && !connection) {
            connection = std::move(pool.back().connection);
            pool.pop_back();
            if (!connection->isGood()) connection.reset();
        }
        needsMigration = migrated_.count({databaseId, scope}) == 0;
    }
    if (!connection) connection = connectDirect(databaseId);
    if (needsMigration) {
        migrate(*connection, scope);
        std::lock_guard<std::mutex> lock(mutex_);
        migrated_.insert({databaseId, scope});
    }
    return ConnectionLease(this, std::move(connection));
}

void DatabaseRegistry::giveBack(std::unique_ptr<Connection> connection)
{
    if (connection->inTransaction()) return; // a failed unit of work: drop it
    if (!connection->isGood()) return;
    std::vector<Idle> expired;
    std::lock_guard<std::mutex> lock(mutex_);
    auto& pool = idle_[connection->databaseId()];
    takeExpired(pool, expired);
    if (pool.size() < maxIdle_) pool.push_back({std::move(connection), std::chrono::steady_clock::now()});
}

void DatabaseRegistry::clear()
{
    std::lock_guard<std::mutex> lock(mutex_);
    idle_.clear();
    migrated_.clear();
}

} // namespace erpmail::store
