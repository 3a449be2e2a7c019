// Numbered SQL migrations, one source for both dialects, embedded in the plugin
// at build time.
#pragma once

#include "store/Odbc.h"

#include <string>
#include <vector>

namespace erpmail::store {

/// Which tables a database carries: the system database holds accounts and
/// settings; an account's database holds its messages.
enum class Scope { System, Mailbox };

const char* scopeName(Scope scope);

struct Migration {
    const char* dialect; ///< "sqlite" or "postgresql"
    int version;         ///< NNNN of sql/NNNN_<scope>_<name>.sql
    const char* scope;   ///< "system" or "mailbox"
    const char* name;
    const char* sql;
};

/// Every migration file from sql/, expanded once per dialect, in version order
/// within each dialect (generated).
const std::vector<Migration>& embeddedMigrations();

struct MigrationReport {
    int applied = 0;        ///< migrations applied by this call
    int currentVersion = 0; ///< highest version recorded for the scope
};

/// Applies the scope's pending migrations in one transaction and records each
/// in schema_version. A second call is a no-op. On PostgreSQL an advisory
/// lock serialises hosts that start at the same moment.
MigrationReport migrate(Connection& connection, Scope scope);

/// Highest version recorded for the scope, 0 when none.
int currentVersion(Connection& connection, Scope scope);

/// Splits a migration file into statements: each ends with ';' at line end.
std::vector<std::string> splitStatements(const std::string& sql);

} // namespace erpmail::store
