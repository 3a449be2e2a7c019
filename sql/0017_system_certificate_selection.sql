-- Whether an account always encrypts, and the cipher it asks for: cbc
-- (EnvelopedData, what every client reads) or gcm (AuthEnvelopedData).
ALTER TABLE account_certificates ADD COLUMN always_encrypt INTEGER NOT NULL DEFAULT 0;
ALTER TABLE account_certificates ADD COLUMN cipher VARCHAR(8) NOT NULL DEFAULT 'cbc';

-- The days on which certificate.expiring was recorded for a certificate:
-- at most once a day, however many hosts watch.
CREATE TABLE certificate_expiry_notices (
    certificate_id          VARCHAR(36) NOT NULL,
    day                     BIGINT NOT NULL,
    recorded_at_ms          BIGINT NOT NULL,
    PRIMARY KEY (certificate_id, day)
);
