-- An account's database: messages, attachments, addresses, fetch state, outbox.
-- Times are milliseconds since 1970-01-01 UTC.
CREATE TABLE messages (
    id                      {{auto_id}},
    account_id              VARCHAR(36) NOT NULL,
    direction               VARCHAR(3) NOT NULL CHECK (direction IN ('in', 'out')),
    state                   VARCHAR(10) NOT NULL CHECK (state IN ('pending', 'archived', 'trash', 'sent')),
    personal                INTEGER NOT NULL DEFAULT 0,
    folder                  VARCHAR(200) NOT NULL DEFAULT '',
    imap_uidvalidity        BIGINT,
    imap_uid                BIGINT,
    pop3_uidl               VARCHAR(100),
    message_id              TEXT,
    in_reply_to             TEXT,
    references_header       TEXT,
    subject                 TEXT,
    from_address            TEXT,
    to_addresses            TEXT,
    cc_addresses            TEXT,
    date_ms                 BIGINT,
    received_at_ms          BIGINT NOT NULL,
    body_text               TEXT,
    body_html               TEXT,
    raw                     {{blob}},
    raw_size                BIGINT NOT NULL DEFAULT 0,
    content_sha256          VARCHAR(64),
    parse_warning           TEXT,
    document_links          TEXT NOT NULL DEFAULT '[]'
);
CREATE UNIQUE INDEX messages_imap_key ON messages (account_id, folder, imap_uidvalidity, imap_uid);
CREATE UNIQUE INDEX messages_pop3_key ON messages (account_id, pop3_uidl);
CREATE INDEX messages_list ON messages (account_id, state, received_at_ms);
CREATE INDEX messages_message_id ON messages (message_id);

CREATE TABLE attachments (
    id                      {{auto_id}},
    message_id              BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    ordinal                 INTEGER NOT NULL,
    file_name               TEXT,
    content_type            VARCHAR(200) NOT NULL,
    content_id              TEXT,
    size                    BIGINT NOT NULL,
    content                 {{blob}},
    removed_at_ms           BIGINT
);
CREATE INDEX attachments_message ON attachments (message_id);

CREATE TABLE addresses (
    id                      {{auto_id}},
    account_id              VARCHAR(36) NOT NULL,
    email                   VARCHAR(320) NOT NULL,
    display_name            TEXT,
    last_seen_ms            BIGINT NOT NULL,
    UNIQUE (account_id, email)
);

CREATE TABLE fetch_state (
    account_id              VARCHAR(36) NOT NULL,
    folder                  VARCHAR(200) NOT NULL,
    uidvalidity             BIGINT,
    uidnext                 BIGINT,
    highest_modseq          BIGINT,
    lease_owner             VARCHAR(100),
    lease_until_ms          BIGINT,
    last_success_ms         BIGINT,
    last_error              TEXT,
    consecutive_failures    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, folder)
);

CREATE TABLE pop3_seen (
    account_id              VARCHAR(36) NOT NULL,
    uidl                    VARCHAR(100) NOT NULL,
    first_seen_ms           BIGINT NOT NULL,
    deleted_on_server       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, uidl)
);

CREATE TABLE outbox (
    id                      {{auto_id}},
    account_id              VARCHAR(36) NOT NULL,
    message_id              VARCHAR(255) NOT NULL UNIQUE,
    state                   VARCHAR(10) NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'cancelled')),
    attempts                INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms         BIGINT NOT NULL,
    last_answer             TEXT,
    envelope_from           VARCHAR(320) NOT NULL,
    envelope_to             TEXT NOT NULL,
    raw                     {{blob}} NOT NULL,
    document_links          TEXT NOT NULL DEFAULT '[]',
    created_by              VARCHAR(100) NOT NULL,
    created_at_ms           BIGINT NOT NULL,
    claimed_by              VARCHAR(100),
    claimed_until_ms        BIGINT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_ms);
