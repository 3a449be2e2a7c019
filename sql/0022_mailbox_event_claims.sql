-- A process that hands events to the host claims them first, commits the
-- claim, and deletes them once handed over: no transaction stays open while
-- the host takes them. A claim that runs out (the process ended in between)
-- lets another process hand them over again, with the same event_id.
ALTER TABLE mail_events ADD COLUMN claim_token VARCHAR(36);
ALTER TABLE mail_events ADD COLUMN claimed_until_ms BIGINT;
