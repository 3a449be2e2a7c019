// The record of maintenance runs in the system database: one row per run,
// one per account it looked at.
#pragma once

#include "store/Odbc.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace erpmail::store {

struct MaintenanceRunRecord {
    std::int64_t id = 0;
    std::int64_t startedAtMs = 0;
    std::int64_t finishedAtMs = 0;
    std::int64_t durationMs = 0;
    std::string startedBy; ///< a user, or "schedule" for the daily run
    bool dryRun = false;
    std::string outcome;        ///< "started" until it ends; then "done", "capped" or "failed"
    std::string summary = "{}"; ///< JSON
};

struct MaintenanceRunAccountRecord {
    std::int64_t runId = 0;
    std::string accountId;
    std::string outcome;
    std::string summary = "{}"; ///< JSON
};

class MaintenanceRunRepository {
public:
    explicit MaintenanceRunRepository(Connection& connection) : c_(connection) {}

    /// Records a run as started; returns its id.
    std::int64_t start(const MaintenanceRunRecord& run);
    /// Records what the run did in one account.
    void recordAccount(const MaintenanceRunAccountRecord& account);
    /// Records the run's end.
    void finish(const MaintenanceRunRecord& run);
    /// Runs newest first; with accountId only those that looked at it.
    std::vector<MaintenanceRunRecord> list(const std::optional<std::string>& accountId, std::int64_t offset,
                                           std::int64_t limit);
    /// What run `runId` did per account (of accountId only, when given).
    std::vector<MaintenanceRunAccountRecord> accounts(std::int64_t runId, const std::optional<std::string>& accountId);

private:
    Connection& c_;
};

} // namespace erpmail::store
