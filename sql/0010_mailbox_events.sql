-- Events for the host, written in the transaction of the state they report
-- (a mail sent, failed or received) and deleted once handed to the host.
-- event_id stays the same however often an event is handed over.
CREATE TABLE mail_events (
    id                      {{auto_id}},
    event_id                VARCHAR(36) NOT NULL UNIQUE,
    type                    VARCHAR(64) NOT NULL,
    account_id              VARCHAR(36) NOT NULL,
    payload                 TEXT NOT NULL,
    recorded_at_ms          BIGINT NOT NULL
);
