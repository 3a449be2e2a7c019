#include "store/MaintenanceRunRepository.h"

namespace erpmail::store {

std::int64_t MaintenanceRunRepository::start(const MaintenanceRunRecord& run)
{
    Statement st(c_, "INSERT INTO maintenance_runs (started_at_ms, finished_at_ms, duration_ms, started_by, dry_run,"
                     " outcome, summary) VALUES (?, ?, 0, ?, ?, 'started', '{}')");
    st.bindInt(1, run.startedAtMs)
        .bindInt(2, run.startedAtMs)
        .bindText(3, run.startedBy)
        .bindInt(4, run.dryRun ? 1 : 0);
    st.execute();
    return c_.lastInsertId();
}

void MaintenanceRunRepository::recordAccount(const MaintenanceRunAccountRecord& a)
{
    Statement st(c_, "INSERT INTO maintenance_run_accounts (run_id, account_id, outcome, summary) VALUES (?, ?, ?, ?)");
    st.bindInt(1, a.runId).bindText(2, a.accountId).bindText(3, a.outcome).bindText(4, a.summary);
    st.execute();
}

void MaintenanceRunRepository::finish(const MaintenanceRunRecord& run)
{
    Statement st(c_, "UPDATE maintenance_runs SET finished_at_ms = ?, duration_ms = ?, outcome = ?, summary = ?"
                     " WHERE id = ?");
    st.bindInt(1, run.finishedAtMs).bindInt(2, run.durationMs).bindText(3, run.outcome).bindText(4, run.summary);
    st.bindInt(5, run.id);
    st.execute();
}

std::vector<MaintenanceRunRecord> MaintenanceRunRepository::list(const std::optional<std::string>& accountId,
                                                                 std::int64_t offset, std::int64_t limit)
{
    std::vector<MaintenanceRunRecord> out;
    Statement st(
        c_, std::string("SELECT r.id, r.started_at_ms, r.finished_at_ms, r.duration_ms, r.started_by,"
                        " r.dry_run, r.outcome, r.summary FROM maintenance_runs r") +
                (accountId ? " WHERE r.id IN (SELECT run_id FROM maintenance_run_accounts WHERE account_id = ?)" : "") +
                " ORDER BY r.id DESC LIMIT ? OFFSET ?");
    int pos = 1;
    if (accountId) st.bindText(pos++, *accountId);
    st.bindInt(pos, limit).bindInt(pos + 1, offset);
    st.execute();
    while (st.fetch()) {
        MaintenanceRunRecord r;
        r.id = st.intOr(1, 0);
        r.startedAtMs = st.intOr(2, 0);
        r.finishedAtMs = st.intOr(3, 0);
        r.durationMs = st.intOr(4, 0);
        r.startedBy = st.textOr(5);
        r.dryRun = st.intOr(6, 0) != 0;
        r.outcome = st.textOr(7);
        r.summary = st.textOr(8, "{}");
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<MaintenanceRunAccountRecord> MaintenanceRunRepository::accounts(std::int64_t runId,
                                                                            const std::optional<std::string>& accountId)
{
    std::vector<MaintenanceRunAccountRecord> out;
    Statement st(c_, std::string("SELECT run_id, account_id, outcome, summary FROM maintenance_run_accounts"
                                 " WHERE run_id = ?") +
                         (accountId ? " AND account_id = ?" : "") + " ORDER BY account_id");
    st.bindInt(1, runId);
    if (accountId) st.bindText(2, *accountId);
    st.execute();
    while (st.fetch()) {
        MaintenanceRunAccountRecord a;
        a.runId = st.intOr(1, 0);
        a.accountId = st.textOr(2);
        a.outcome = st.textOr(3);
        a.summary = st.textOr(4, "{}");
        out.push_back(std::move(a));
    }
    return out;
}

} // namespace erpmail::store
