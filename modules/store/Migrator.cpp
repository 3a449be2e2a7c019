#include "store/Migrator.h"

#include <chrono>

namespace erpmail::store {

namespace {

constexpr const char* kCreateSchemaVersion =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER NOT NULL PRIMARY KEY,"
    " scope VARCHAR(16) NOT NULL,"
    " name VARCHAR(200) NOT NULL,"
    " applied_at_ms BIGINT NOT NULL)";

bool isApplied(Connection& c, int version)
{
    Statement st(c, "SELECT 1 FROM schema_version WHERE version = ?");
    st.bindInt(1, version);
    st.execute();
    return st.fetch();
}

std::int64_t nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

const char* scopeName(Scope scope)
{
    return scope == Scope::System ? "system" : "mailbox";
}

std::vector<std::string> splitStatements(const std::string& sql)
{
    std::vector<std::string> out;
    std::string current;
    std::size_t pos = 0;
    while (pos < sql.size()) {
        std::size_t end = sql.find('\n', pos);
        std::string line = sql.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        pos = end == std::string::npos ? sql.size() : end + 1;
        std::size_t first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos || line.compare(first, 2, "--") == 0) continue;
        std::size_t last = line.find_last_not_of(" \t\r");
        line = line.substr(0, last + 1);
        if (line.back() == ';') {
            current += line.substr(0, line.size() - 1);
            out.push_back(current);
            current.clear();
        } else {
            current += line;
            current += '\n';
        }
    }
    if (current.find_first_not_of(" \t\r\n") != std::string::npos) out.push_back(current);
    return out;
}

int currentVersion(Connection& c, Scope scope)
{
    c.execute(kCreateSchemaVersion);
    Statement st(c, "SELECT MAX(version) FROM schema_version WHERE scope = ?");
    st.bindText(1, scopeName(scope));
    st.execute();
    if (!st.fetch()) return 0;
    return static_cast<int>(st.getInt(1).value_or(0));
}

MigrationReport migrate(Connection& c, Scope scope)
{
    const std::string dialect = dialectName(c.dialect());
    const std::string scopeText = scopeName(scope);

    MigrationReport report;
    // Usually every migration is in already: found out by reading, so that a
    // process opening the database does not wait for the write lock (which
    // a long fetch holds from one transaction to the next).
    auto pending = [&] {
        for (const Migration& m : embeddedMigrations())
            if (dialect == m.dialect && scopeText == m.scope && !isApplied(c, m.version)) return true;
        return false;
    };
    bool upToDate = false;
    try {
        upToDate = !pending();
    } catch (const StoreError&) {
        // No schema_version table yet.
    }
    if (upToDate) {
        report.currentVersion = currentVersion(c, scope);
        return report;
    }
    if (c.dialect() == Dialect::SQLite) {
        // auto_vacuum takes effect only before the first table (or at a
        // VACUUM), and not after a read in the same transaction: a new
        // database gets it here, ahead of migration 0013.
        Statement tables(c, "SELECT COUNT(*) FROM sqlite_master");
        tables.execute();
        const bool fresh = tables.fetch() && tables.intOr(1, 0) == 0;
        tables.close();
        if (fresh) c.execute("PRAGMA auto_vacuum = INCREMENTAL");
    }
    Transaction tx(c);
    if (c.dialect() == Dialect::PostgreSQL) {
        // Hosts starting together take turns; the table is created under the lock too.
        Statement lock(c, "SELECT pg_advisory_xact_lock(7301001)");
        lock.execute();
    }
    c.execute(kCreateSchemaVersion);
    for (const Migration& m : embeddedMigrations()) {
        if (dialect != m.dialect || scopeText != m.scope) continue;
        if (isApplied(c, m.version)) continue; // applied by another process meanwhile
        for (const std::string& statement : splitStatements(m.sql)) {
            try {
                c.execute(statement);
            } catch (const StoreError& e) {
                throw StoreError(c.databaseId(), "migration " + std::to_string(m.version) + "_" + m.scope + "_" +
                                                     m.name + " failed: " + e.what());
            }
        }
        Statement record(c, "INSERT INTO schema_version (version, scope, name, applied_at_ms) VALUES (?, ?, ?, ?)");
        record.bindInt(1, m.version).bindText(2, m.scope).bindText(3, m.name).bindInt(4, nowMs());
        record.execute();
        ++report.applied;
    }
    tx.commit();
    report.currentVersion = currentVersion(c, scope);
    return report;
}

} // namespace erpmail::store
