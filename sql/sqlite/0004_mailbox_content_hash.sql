-- After a UIDVALIDITY change, stored mail is found again by its bytes' hash.
CREATE INDEX messages_content_hash ON messages (account_id, content_sha256);
