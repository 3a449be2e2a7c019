-- Retention: when a message entered the trash (NULL outside the trash, and
-- for mail trashed before this column existed: the next maintenance run
-- starts its clock then), and what the removal of a large attachment kept.
-- received_at_ms is when erpmail stored the message (received or sent), the
-- age every rule counts from; the Date header is the sender's word.
ALTER TABLE messages ADD COLUMN trashed_at_ms BIGINT;
ALTER TABLE attachments ADD COLUMN removed_sha256 VARCHAR(64);
ALTER TABLE attachments ADD COLUMN removed_reason TEXT;
-- The columns the rules filter on, so that a run costs what expires.
CREATE INDEX messages_trashed ON messages (account_id, trashed_at_ms);
CREATE INDEX messages_stored ON messages (account_id, received_at_ms);
CREATE INDEX attachments_kept_by_size ON attachments (size) WHERE removed_at_ms IS NULL;
-- {{if sqlite}}
-- Freed pages go back to the file at each run's PRAGMA incremental_vacuum.
-- A database made before this migration keeps its mode until one
-- VACUUM (README, "Retention"); new ones are made incremental at once.
PRAGMA auto_vacuum = INCREMENTAL;
-- {{end}}
