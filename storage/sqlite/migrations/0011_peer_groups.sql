-- Peer groups: networking, action learning sets, peer support groups, coaching circles.
CREATE TABLE peer_groups (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL CHECK (kind IN ('networking', 'action_learning', 'peer_support', 'coaching')),
    closed     INTEGER NOT NULL,                  -- 1: only its members are invited or may come
    lead_id    INTEGER REFERENCES members(id),
    coffee     INTEGER NOT NULL DEFAULT 0,        -- 1: a "coffee" pairing round every four weeks
    created_at TEXT NOT NULL
);
CREATE TABLE group_members (
    group_id  INTEGER NOT NULL REFERENCES peer_groups(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    joined_at TEXT NOT NULL,
    PRIMARY KEY (group_id, member_id)
);
CREATE TABLE group_sessions (
    id             INTEGER PRIMARY KEY,
    group_id       INTEGER NOT NULL REFERENCES peer_groups(id) ON DELETE CASCADE,
    series_id      INTEGER,                       -- the first session of a recurring series
    starts_at      TEXT NOT NULL,
    ends_at        TEXT NOT NULL,
    place          TEXT NOT NULL DEFAULT '',
    link           TEXT NOT NULL DEFAULT '',
    capacity       INTEGER CHECK (capacity IS NULL OR capacity > 0),
    calendar_token TEXT NOT NULL UNIQUE,          -- the calendar file's unguessable address
    state          TEXT NOT NULL DEFAULT 'scheduled' CHECK (state IN ('scheduled', 'cancelled')),
    created_at     TEXT NOT NULL
);
CREATE INDEX group_sessions_by_group ON group_sessions(group_id, starts_at);
-- One answer per person per session; the waitlist is in the order people asked.
CREATE TABLE rsvps (
    session_id  INTEGER NOT NULL REFERENCES group_sessions(id) ON DELETE CASCADE,
    member_id   INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    answer      TEXT NOT NULL CHECK (answer IN ('going', 'not_going', 'waitlist')),
    answered_at TEXT NOT NULL,
    attended    INTEGER,                          -- NULL: not said; 1 made it; 0 did not
    PRIMARY KEY (session_id, member_id)
);
-- Nudges to come back: when each went, and who turned them off.
CREATE TABLE peer_nudges (
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    sent_at   TEXT NOT NULL
);
CREATE INDEX peer_nudges_by_member ON peer_nudges(member_id, sent_at);
CREATE TABLE peer_nudges_muted (
    member_id INTEGER PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    at        TEXT NOT NULL
);
-- Coffee rounds: who was paired with whom (a pair or a trio), so nobody meets the same
-- people again soon.
CREATE TABLE pairing_rounds (
    id       INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES peer_groups(id) ON DELETE CASCADE,
    held_at  TEXT NOT NULL
);
CREATE TABLE pairing_members (
    round_id  INTEGER NOT NULL REFERENCES pairing_rounds(id) ON DELETE CASCADE,
    pod       INTEGER NOT NULL,                   -- members of the same pod meet
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    PRIMARY KEY (round_id, member_id)
);
