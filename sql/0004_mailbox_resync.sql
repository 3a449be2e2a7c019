-- After a UIDVALIDITY change, stored mail is found again by its bytes' hash.
CREATE INDEX messages_content_hash ON messages (account_id, content_sha256);

-- When a copy left on the IMAP server next falls due for deletion (NULL:
-- none is pending), so that a resync with nothing new ends after SELECT.
ALTER TABLE fetch_state ADD COLUMN next_delete_ms BIGINT;
-- Unknown for folders synced before: due now, so the next fetch looks.
UPDATE fetch_state SET next_delete_ms = 0 WHERE uidvalidity IS NOT NULL;
