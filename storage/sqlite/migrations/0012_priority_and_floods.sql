-- Floods cannot starve an urgent offer (issue 15).
-- Each outbound message's priority (bot/priority.py: 0 crisis ... 5 digests); rows already
-- here are replies (3). The outbox is claimed per channel, most pressing first.
ALTER TABLE messages ADD COLUMN priority INTEGER NOT NULL DEFAULT 3;
CREATE INDEX messages_outbox_by_priority ON messages(channel, priority, next_attempt_at, id)
    WHERE status = 'queued';
-- Strangers: how many numbers wrote lately, and how many answers they were sent.
CREATE INDEX messages_strangers ON messages(direction, created_at) WHERE member_id IS NULL;
CREATE INDEX messages_flood_alerts ON messages(created_at) WHERE kind = 'stranger_flood';
-- Repeats from one number fold into one open inbox item with a count.
ALTER TABLE inbox ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
-- Why a report said undelivered, in words ("phone off or out of signal"), kept with its code
-- for when it arrives before the send is recorded.
ALTER TABLE delivery_reports ADD COLUMN reason TEXT;
