-- Checks with evidence (issue 24): every time a check is recorded or renewed, who verified
-- it, when, its expiry and the document seen, kept as history; `checks` stays the current
-- state that eligibility reads. Documents (PDF, JPEG or PNG, 5 MB at most) live in the store
-- and go with their member.
CREATE TABLE documents (
    id           INTEGER PRIMARY KEY,
    member_id    INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    content_type TEXT NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    size         INTEGER NOT NULL,
    content      BLOB NOT NULL,
    uploaded_at  TEXT NOT NULL
);
CREATE INDEX documents_by_member ON documents(member_id);

CREATE TABLE check_records (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    expires     TEXT,                                            -- NULL: never lapses
    verified_on TEXT,                                            -- when the evidence was seen
    verified_by INTEGER REFERENCES members(id) ON DELETE SET NULL, -- NULL: the pool's admin
    source      TEXT NOT NULL,                                   -- console, api, cli, import, before
    document_id INTEGER REFERENCES documents(id) ON DELETE SET NULL,  -- NULL once deleted
    document_type TEXT,                                              -- what was seen, kept after
    recorded_at TEXT NOT NULL
);
CREATE INDEX check_records_by_member ON check_records(member_id, id);

-- What was on record before history was kept: one row each, marked as such.
INSERT INTO check_records (member_id, kind, expires, verified_on, verified_by, source, recorded_at)
SELECT member_id, kind, expires, NULL, NULL, 'before',
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', 'now')
FROM checks;
