-- Hours signed off and pay worked out once (issue 25). One row per delivered session: the hours
-- as the clinician (or a coordinator for them) reported them, and the practice's answer. Pay is
-- written once, when the hours are signed off, and never recalculated.
CREATE TABLE signoffs (
    session_id     INTEGER PRIMARY KEY REFERENCES sessions(id),
    member_id      INTEGER NOT NULL REFERENCES members(id),
    practice       TEXT NOT NULL REFERENCES practices(ods_code),
    hours          REAL NOT NULL CHECK (hours > 0),
    reported_hours REAL,                         -- the first report, when a settlement changed it
    state          TEXT NOT NULL DEFAULT 'awaiting' CHECK (state IN ('awaiting', 'queried', 'signed_off')),
    reported_by    TEXT NOT NULL,                -- gp, coordinator, practice, before
    reported_at    TEXT NOT NULL,
    pay_pence      INTEGER CHECK (pay_pence >= 0),
    pay_rule       TEXT CHECK (pay_rule IN ('session', 'pro_rata', 'agreed')),
    signed_off_at  TEXT,
    signed_off_by  INTEGER REFERENCES members(id), -- NULL with a time: the pool's admin
    query          TEXT NOT NULL DEFAULT '',
    queried_at     TEXT,
    queried_by     INTEGER REFERENCES members(id),
    settled_note   TEXT NOT NULL DEFAULT '',
    reminded_at    TEXT,
    escalated_at   TEXT,
    CHECK ((state = 'signed_off') = (pay_pence IS NOT NULL))
);
CREATE INDEX signoffs_by_state ON signoffs(state, practice);
CREATE INDEX signoffs_by_member ON signoffs(member_id);

-- Sessions delivered before sign-off existed: their hours wait for the practice like new ones
-- (so no one's pay is taken as agreed that was never agreed), with no reminders sent.
INSERT INTO signoffs (session_id, member_id, practice, hours, reported_by, reported_at)
SELECT s.id, b.member_id, s.practice, s.delivered_hours, 'before', coalesce(s.closed_at, s.ends_at)
FROM sessions s JOIN bookings b ON b.session_id = s.id AND b.state = 'booked'
WHERE s.status = 'delivered' AND s.delivered_hours > 0;

-- Expenses beside a session's fee (never pensionable): mileage at the pool's rate when added
-- (kept with the line), or another cost with a note.
CREATE TABLE expenses (
    id           INTEGER PRIMARY KEY,
    session_id   INTEGER NOT NULL REFERENCES sessions(id),
    member_id    INTEGER NOT NULL REFERENCES members(id),
    kind         TEXT NOT NULL CHECK (kind IN ('mileage', 'other')),
    miles        REAL CHECK (miles > 0),
    amount_pence INTEGER NOT NULL CHECK (amount_pence > 0),
    note         TEXT NOT NULL DEFAULT '',
    added_at     TEXT NOT NULL,
    added_by     INTEGER REFERENCES members(id),  -- NULL: the pool's admin
    CHECK ((kind = 'mileage') = (miles IS NOT NULL))
);
CREATE INDEX expenses_by_session ON expenses(session_id);
CREATE INDEX expenses_by_member ON expenses(member_id);
