-- Chat channels (Slack, Telegram) lay a message's facts out as fields and edit a message in
-- place when its topic moves on (an offer becomes "booked" or "filled").
ALTER TABLE messages ADD COLUMN details TEXT;                          -- JSON [[label, value], ...]
ALTER TABLE messages ADD COLUMN supersedes INTEGER NOT NULL DEFAULT 0;  -- 1: the topic's new state
CREATE INDEX messages_by_topic ON messages(channel, address, topic) WHERE topic IS NOT NULL;
-- When this member's email was last looked up in Slack (users.lookupByEmail), found or not.
ALTER TABLE members ADD COLUMN slack_looked_up_at TEXT;
