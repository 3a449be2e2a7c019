-- System database: accounts, who may see them, and plugin settings.
-- Times are milliseconds since 1970-01-01 UTC.
CREATE TABLE accounts (
    id                      VARCHAR(36) NOT NULL PRIMARY KEY,
    label                   VARCHAR(200) NOT NULL,
    owner                   VARCHAR(100) NOT NULL,
    kind                    VARCHAR(10) NOT NULL CHECK (kind IN ('personal', 'public')),
    database_id             VARCHAR(100) NOT NULL,
    sender_name             VARCHAR(200),
    sender_email            VARCHAR(320),
    online                  INTEGER NOT NULL DEFAULT 1,
    offline_reason          TEXT,
    always_signature        INTEGER NOT NULL DEFAULT 0,
    signature               TEXT,
    contacts_sync           INTEGER NOT NULL DEFAULT 0,
    e_printing              INTEGER NOT NULL DEFAULT 0,
    visibility_group        VARCHAR(100),
    server_settings         TEXT NOT NULL DEFAULT '{}',
    retention_settings      TEXT NOT NULL DEFAULT '{}',
    secrets                 {{blob}},
    created_at_ms           BIGINT NOT NULL,
    updated_at_ms           BIGINT NOT NULL
);
CREATE INDEX accounts_owner ON accounts (owner);

CREATE TABLE account_visibility (
    account_id              VARCHAR(36) NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id                 VARCHAR(100) NOT NULL,
    PRIMARY KEY (account_id, user_id)
);

CREATE TABLE settings (
    name                    VARCHAR(200) NOT NULL PRIMARY KEY,
    value                   TEXT NOT NULL
);
