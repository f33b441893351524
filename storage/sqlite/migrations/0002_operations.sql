-- Running a pool: delivered hours, availability, practices' preferences, the cost ledger.

ALTER TABLE sessions ADD COLUMN delivered_hours REAL;
ALTER TABLE sessions ADD COLUMN closed_at TEXT;                -- cancelled, expired or delivered

-- "AVAILABLE tue pm": a GP says they could work a half day.
CREATE TABLE availability (
    member_id  INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    day        TEXT NOT NULL,
    half       TEXT NOT NULL CHECK (half IN ('am', 'pm')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (member_id, day, half)
);
CREATE INDEX availability_by_day ON availability(day, half);

-- GPs a practice prefers (offered first) or does not want (never offered).
CREATE TABLE practice_preferences (
    practice   TEXT NOT NULL REFERENCES practices(ods_code),
    member_id  INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('prefer', 'block')),
    PRIMARY KEY (practice, member_id)
);

-- The pool's running costs, against its set-up funding (not GPs' pay).
CREATE TABLE costs (
    id           INTEGER PRIMARY KEY,
    day          TEXT NOT NULL,
    amount_pence INTEGER NOT NULL CHECK (amount_pence > 0),
    what         TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
