-- GPs choose their work (issue 18).
-- Where MORE continues: the last list each member asked for, and how far they have read.
CREATE TABLE member_lists (
    member_id INTEGER PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,               -- open, offers, bookings, groups
    position  INTEGER NOT NULL,            -- the next item to show (0: nothing more)
    at        TEXT NOT NULL
);
-- An offer issued because the person asked what is open (OPEN), not sent in a wave: kept
-- out of the waves' figures. Rows already here came from waves.
ALTER TABLE offers ADD COLUMN source TEXT NOT NULL DEFAULT 'wave';
-- Routine offers to one person within POOL_BATCH_SECONDS go as one message: when each was
-- told (NULL: waiting for its batch) and the batch's message topic (to edit it on chat apps).
ALTER TABLE offers ADD COLUMN notified_at TEXT;
ALTER TABLE offers ADD COLUMN batch TEXT;
UPDATE offers SET notified_at = sent_at;
CREATE INDEX offers_waiting_to_be_told ON offers(member_id) WHERE notified_at IS NULL;
