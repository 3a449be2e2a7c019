#include "store/DatabaseRegistry.h"

namespace erpmail::store {

ConnectionLease::ConnectionLease(DatabaseRegistry* owner, std::unique_ptr<Connection> connection)
    : owner_(owner), connection_(std::move(connection))
{
}

ConnectionLease::~ConnectionLease()
{
    if (owner_ && connection_) owner_->giveBack(std::move(connection_));
}

DatabaseRegistry::DatabaseRegistry(Lookup lookup, std::size_t maxIdlePerDatabase)
    : lookup_(std::move(lookup)), maxIdle_(maxIdlePerDatabase)
{
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
        std::lock_guard<std::mutex> lock(mutex_);
        auto& pool = idle_[databaseId];
        while (!pool.empty() && !connection) {
            connection = std::move(pool.back());
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
    std::lock_guard<std::mutex> lock(mutex_);
    auto& pool = idle_[connection->databaseId()];
    if (pool.size() < maxIdle_) pool.push_back(std::move(connection));
}

void DatabaseRegistry::clear()
{
    std::lock_guard<std::mutex> lock(mutex_);
    idle_.clear();
    migrated_.clear();
}

} // namespace erpmail::store
