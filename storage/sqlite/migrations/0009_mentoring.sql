-- Mentoring: a register of mentors, mentees' requests, and pairings the lead approves.
CREATE TABLE mentors (
    member_id    INTEGER PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    capacity     INTEGER NOT NULL CHECK (capacity >= 0),     -- mentees at once
    hours        REAL NOT NULL DEFAULT 1,                    -- per four weeks, each mentee
    interests    TEXT NOT NULL DEFAULT '',                   -- ';'-separated
    localities   TEXT NOT NULL DEFAULT '',
    trained      INTEGER NOT NULL DEFAULT 0,
    joined_at    TEXT NOT NULL,
    left_at      TEXT
);
CREATE TABLE mentee_requests (
    id         INTEGER PRIMARY KEY,
    member_id  INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    wants      TEXT NOT NULL DEFAULT '',
    interests  TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    state      TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'matched', 'withdrawn'))
);
CREATE TABLE mentorships (
    id          INTEGER PRIMARY KEY,
    mentee_id   INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    mentor_id   INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    state       TEXT NOT NULL CHECK (state IN ('proposed', 'active', 'ended', 'declined')),
    fit         INTEGER NOT NULL DEFAULT 0,
    why         TEXT NOT NULL DEFAULT '',
    proposed_at TEXT NOT NULL,
    approved_at TEXT,
    ended_at    TEXT
);
