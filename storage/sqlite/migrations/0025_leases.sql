-- Several workers share one database (PostgreSQL): a claimed outbox row or due timer is held
-- for a lease, not for ever. A worker that dies mid-send leaves rows 'sending' whose lease
-- runs out; another worker (or the next start) takes them over. Rows already 'sending' at the
-- upgrade have no lease, which reads as run out: they go again, as the old start-up reset did.
ALTER TABLE messages ADD COLUMN claimed_until TEXT;
ALTER TABLE timers ADD COLUMN claimed_until TEXT;
CREATE INDEX messages_sending_lease ON messages(channel, claimed_until) WHERE status = 'sending';

-- A provider's "slow down" (429 with Retry-After) holds the whole channel, whichever worker
-- sends on it next.
CREATE TABLE channel_pauses (
    channel TEXT PRIMARY KEY,
    paused_until TEXT NOT NULL
);

-- Slack users looked up and found not to be members, so no worker asks Slack again too soon.
CREATE TABLE slack_not_members (
    user_id TEXT PRIMARY KEY,
    looked_at TEXT NOT NULL
);
