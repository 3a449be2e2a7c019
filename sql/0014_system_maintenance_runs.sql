-- One row per maintenance run (mail.maintenance.run or the daily run), and
-- one per account it looked at, with what each rule removed, kept because
-- of a legal hold, or skipped. summary is JSON.
CREATE TABLE maintenance_runs (
    id                      {{auto_id}},
    started_at_ms           BIGINT NOT NULL,
    finished_at_ms          BIGINT NOT NULL,
    duration_ms             BIGINT NOT NULL,
    started_by              VARCHAR(100) NOT NULL,
    dry_run                 INTEGER NOT NULL,
    outcome                 VARCHAR(20) NOT NULL,
    summary                 TEXT NOT NULL
);
CREATE INDEX maintenance_runs_started ON maintenance_runs (started_at_ms);
CREATE TABLE maintenance_run_accounts (
    run_id                  BIGINT NOT NULL,
    account_id              VARCHAR(36) NOT NULL,
    outcome                 VARCHAR(20) NOT NULL,
    summary                 TEXT NOT NULL,
    PRIMARY KEY (run_id, account_id)
);
CREATE INDEX maintenance_run_accounts_account ON maintenance_run_accounts (account_id, run_id);
