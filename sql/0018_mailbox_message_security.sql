-- S/MIME of received mail: what verification found when a message was
-- stored (kept, never recomputed from a raw form that retention may have
-- rewritten), and the certificates of signers whose signature was valid,
-- for encrypting to them.
CREATE TABLE message_security (
    message_id              BIGINT NOT NULL PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    kind                    VARCHAR(20) NOT NULL,
    status                  VARCHAR(20) NOT NULL,
    reason                  TEXT,
    signers                 TEXT NOT NULL DEFAULT '[]',
    verified_at_ms          BIGINT NOT NULL,
    verified_before_attachment_removal INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE address_certificates (
    id                      {{auto_id}},
    account_id              VARCHAR(36) NOT NULL,
    email                   VARCHAR(320) NOT NULL,
    fingerprint             VARCHAR(64) NOT NULL,
    subject                 TEXT NOT NULL,
    not_before_ms           BIGINT NOT NULL,
    not_after_ms            BIGINT NOT NULL,
    der                     {{blob}} NOT NULL,
    collected_at_ms         BIGINT NOT NULL,
    message_id              BIGINT,
    UNIQUE (account_id, email, fingerprint)
);
