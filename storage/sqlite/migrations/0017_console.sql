-- The console (issue 23): one-time sign-in links, signed-in sessions, and the requests for
-- links (rate-limited: each one costs a text). Only hashes of links and session tokens are
-- kept here, so these tables cannot be used to sign in as anyone. (The text that carried a
-- link stays in `messages` until the retention period, as every text does: reading it within
-- the link's 10 minutes takes the database itself.)
CREATE TABLE console_links (
    id         INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    member_id  INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);

CREATE TABLE console_sessions (
    id         INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    member_id  INTEGER REFERENCES members(id) ON DELETE CASCADE,  -- NULL: the admin token
    csrf       TEXT NOT NULL,                                      -- every form carries it
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ended_at   TEXT
);

-- Who asked for a link, by number and by client address ('phone:+44...', 'client:10.0.0.1').
CREATE TABLE console_link_requests (
    id  INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    at  TEXT NOT NULL
);
CREATE INDEX console_link_requests_by_key ON console_link_requests(key, at);

-- The fill board asks which sessions have been escalated: without this, a scan of the audit.
CREATE INDEX audit_by_subject ON audit(subject, action);
