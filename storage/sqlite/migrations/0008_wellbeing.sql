-- Wellbeing check-ins, only for GPs who said yes. Answers belong to the GP: coordinators see
-- monthly aggregates over five or more people; comments never leave this table except to the
-- named wellbeing lead, and only when the GP asks for that.
CREATE TABLE wellbeing_plans (
    member_id    INTEGER PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    consented_at TEXT NOT NULL,
    cadence      TEXT NOT NULL CHECK (cadence IN ('weekly', 'fortnightly', 'monthly')),
    weekday      INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    at_time      TEXT NOT NULL,                                   -- 'HH:MM', London
    stopped_at   TEXT
);
CREATE TABLE checkins (
    id           INTEGER PRIMARY KEY,
    member_id    INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    asked_at     TEXT NOT NULL,
    score        INTEGER CHECK (score BETWEEN 1 AND 5),
    answered_at  TEXT,
    comment      TEXT,
    lead_consent TEXT CHECK (lead_consent IN ('yes', 'no'))
);
CREATE INDEX checkins_by_member ON checkins(member_id, id);
