-- Since when an account is offline, and who set it offline: NULL when it
-- went by itself (its database could not be reached), so that it may come
-- back by itself (erpmail.account.auto_online_seconds).
ALTER TABLE accounts ADD COLUMN offline_since_ms BIGINT;
ALTER TABLE accounts ADD COLUMN offline_by VARCHAR(100);
UPDATE accounts SET offline_since_ms = updated_at_ms WHERE online = 0;
UPDATE accounts SET offline_by = SUBSTR(offline_reason, 16) WHERE online = 0 AND offline_reason LIKE 'set offline by %';
