-- A member's own quiet hours ('22:00-07:00', or 'off'); NULL: the pool's.
ALTER TABLE members ADD COLUMN quiet_hours TEXT;

-- Questions put to a member that are not offers: "Did the session go ahead?" (hours), and
-- later check-ins and RSVPs. Answered by code, or as the member's only open question.
CREATE TABLE prompts (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    member_id   INTEGER NOT NULL REFERENCES members(id),
    ref_id      INTEGER NOT NULL,
    code        TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'answered', 'closed')),
    created_at  TEXT NOT NULL,
    answered_at TEXT
);
CREATE INDEX prompts_open ON prompts(member_id) WHERE state = 'open';

-- Check expiry reminders already sent: (member, check, its expiry, 30 or 7 days before).
CREATE TABLE check_reminders (
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    expires   TEXT NOT NULL,
    days      INTEGER NOT NULL,
    sent_at   TEXT NOT NULL,
    PRIMARY KEY (member_id, kind, expires, days)
);
