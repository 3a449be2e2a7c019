-- Each recipient's outcome of an outbox mail, with the server's words: a
-- refused recipient no longer fails the mail, and only the temporarily
-- refused ones go into a later attempt.
CREATE TABLE outbox_recipients (
    outbox_id               BIGINT NOT NULL,
    address                 VARCHAR(320) NOT NULL,
    outcome                 VARCHAR(20) NOT NULL CHECK (outcome IN ('accepted', 'refused_permanent', 'refused_temporary')),
    code                    INTEGER NOT NULL DEFAULT 0,
    answer                  TEXT,
    attempt                 INTEGER NOT NULL,
    updated_at_ms           BIGINT NOT NULL,
    PRIMARY KEY (outbox_id, address)
);
-- A claim's own token: every state change after the claim names it, so a
-- sender whose claim expired and was taken over cannot mark the mail.
ALTER TABLE outbox ADD COLUMN claim_token VARCHAR(36);
