-- The people around the GP hear what they need, when they want it (issue 19).
-- How a coordinator or practice manager hears about their sessions: 'now' (each event as it
-- happens) or 'daily HH:MM' (one digest a day at that London time; urgent events still at once).
ALTER TABLE members ADD COLUMN alerts TEXT NOT NULL DEFAULT 'now';
-- The practice's own phone number (E.164), shown in offers and wherever a text says to call
-- the practice. Existing practices have none.
ALTER TABLE practices ADD COLUMN phone TEXT NOT NULL DEFAULT '';
-- Events held for a member's daily digest: one line each, sent together at their time.
CREATE TABLE digest_items (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    session_id  INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
    event       TEXT NOT NULL,             -- booked, dropped, cancelled, declined, hours, ...
    line        TEXT NOT NULL,             -- the event in one line, as the digest shows it
    created_at  TEXT NOT NULL,
    sent_at     TEXT                       -- NULL: waiting for the next digest
);
CREATE INDEX digest_items_waiting ON digest_items(member_id) WHERE sent_at IS NULL;
CREATE INDEX digest_items_sent ON digest_items(member_id, sent_at);
