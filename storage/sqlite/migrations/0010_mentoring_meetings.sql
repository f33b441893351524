-- Meetings a mentoring pair says they had ("Did you meet?"), for the cadence and the report.
CREATE TABLE mentoring_meetings (
    id            INTEGER PRIMARY KEY,
    mentorship_id INTEGER NOT NULL REFERENCES mentorships(id) ON DELETE CASCADE,
    met_on        TEXT NOT NULL,
    logged_by     INTEGER REFERENCES members(id)
);
