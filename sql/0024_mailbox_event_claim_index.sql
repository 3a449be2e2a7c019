-- Handing events over reads and deletes a claimed batch by its token; without
-- an index each batch reads the whole table, and after a fetch of thousands
-- of mails the batches took longer than the fetch's last commit.
CREATE INDEX mail_events_claim ON mail_events (claim_token);
