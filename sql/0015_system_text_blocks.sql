-- Named text blocks of an account, one of them its signature. doctypes is
-- the comma list of host document types a block is meant for; empty: any.
CREATE TABLE text_blocks (
    id                      VARCHAR(36) NOT NULL PRIMARY KEY,
    account_id              VARCHAR(36) NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name                    VARCHAR(200) NOT NULL,
    subject                 TEXT,
    body_text               TEXT,
    body_html               TEXT,
    doctypes                TEXT NOT NULL DEFAULT '',
    is_signature            INTEGER NOT NULL DEFAULT 0,
    allow_empty             INTEGER NOT NULL DEFAULT 0,
    created_at_ms           BIGINT NOT NULL,
    updated_at_ms           BIGINT NOT NULL,
    updated_by              VARCHAR(100) NOT NULL,
    UNIQUE (account_id, name)
);
CREATE UNIQUE INDEX text_blocks_one_signature ON text_blocks (account_id) WHERE is_signature = 1;
