-- SMS: segments billed per message, the provider's error code, and delivery reports.

ALTER TABLE messages ADD COLUMN segments INTEGER;
ALTER TABLE messages ADD COLUMN error_code TEXT;
CREATE INDEX messages_by_provider_id ON messages(channel, provider_id) WHERE provider_id IS NOT NULL;

-- Every delivery report a provider sent (its status callbacks), once each: a repeated callback
-- has one effect, and a report that arrives before the send was recorded is kept for it.
CREATE TABLE delivery_reports (
    channel     TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    status      TEXT NOT NULL,
    error_code  TEXT,
    received_at TEXT NOT NULL,
    PRIMARY KEY (channel, provider_id, status)
);
