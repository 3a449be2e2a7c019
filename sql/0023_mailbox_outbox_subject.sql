-- The subject of an outbox mail as it was written, so that the outbox lists
-- it without reading the mail's bytes. Mail queued before stays without one.
ALTER TABLE outbox ADD COLUMN subject TEXT;
