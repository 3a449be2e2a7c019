-- When the server last accepted the account's password or token.
ALTER TABLE fetch_state ADD COLUMN last_login_ms BIGINT;
