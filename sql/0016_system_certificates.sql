-- The plugin's certificate store (owner '') and the users' personal stores
-- (owner = the host user). A private key is sealed with the plugin's
-- secret key, bound to the certificate's fingerprint; a key on a PKCS#11
-- token stays there and only its URI is kept.
CREATE TABLE certificates (
    id                      VARCHAR(36) NOT NULL PRIMARY KEY,
    owner                   VARCHAR(100) NOT NULL DEFAULT '',
    fingerprint             VARCHAR(64) NOT NULL,
    subject                 TEXT NOT NULL,
    issuer                  TEXT NOT NULL,
    emails                  TEXT NOT NULL DEFAULT '',
    not_after_ms            BIGINT NOT NULL,
    der                     {{blob}} NOT NULL,
    chain_der               {{blob}},
    sealed_key              {{blob}},
    key_uri                 TEXT,
    created_at_ms           BIGINT NOT NULL,
    created_by              VARCHAR(100) NOT NULL,
    UNIQUE (owner, fingerprint)
);
CREATE INDEX certificates_not_after ON certificates (not_after_ms);

-- An account's signing and encryption certificates (copied into the
-- plugin's store when selected) and whether it always signs.
CREATE TABLE account_certificates (
    account_id              VARCHAR(36) NOT NULL PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    signing_id              VARCHAR(36) REFERENCES certificates (id),
    encryption_id           VARCHAR(36) REFERENCES certificates (id),
    always_sign             INTEGER NOT NULL DEFAULT 0
);
