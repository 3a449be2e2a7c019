-- How many mails the last fetch left on the server because each is larger
-- than the installation's limit (erpmail.fetch.max_message_mb).
ALTER TABLE fetch_state ADD COLUMN too_large INTEGER NOT NULL DEFAULT 0;
