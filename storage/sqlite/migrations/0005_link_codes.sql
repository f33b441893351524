-- One-time codes that link a chat account (Telegram) to a member: only a hash is kept, so
-- the database cannot be used to link someone else's chat.
CREATE TABLE link_codes (
    id         INTEGER PRIMARY KEY,
    code_hash  TEXT NOT NULL UNIQUE,
    member_id  INTEGER NOT NULL REFERENCES members(id),
    channel    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
