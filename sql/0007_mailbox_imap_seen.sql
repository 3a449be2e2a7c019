-- What has been fetched from an IMAP folder, independent of the messages:
-- deleting, moving or archiving a message never makes it new again. The
-- hash finds a mail again after a UIDVALIDITY change, even when its
-- message is gone here.
CREATE TABLE imap_seen (
    account_id              VARCHAR(36) NOT NULL,
    folder                  VARCHAR(200) NOT NULL,
    uidvalidity             BIGINT NOT NULL,
    uid                     BIGINT NOT NULL,
    content_sha256          VARCHAR(64),
    first_seen_ms           BIGINT NOT NULL,
    PRIMARY KEY (account_id, folder, uidvalidity, uid)
);
CREATE INDEX imap_seen_hash ON imap_seen (account_id, folder, content_sha256);
INSERT INTO imap_seen (account_id, folder, uidvalidity, uid, content_sha256, first_seen_ms)
    SELECT account_id, folder, imap_uidvalidity, imap_uid, MIN(content_sha256), MIN(received_at_ms)
    FROM messages WHERE imap_uidvalidity IS NOT NULL AND imap_uid IS NOT NULL
    GROUP BY account_id, folder, imap_uidvalidity, imap_uid;
