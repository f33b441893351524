-- The pool core: practices, members and their checks, sessions, offers, bookings,
-- messages in and out (the outbox), timers, the inbox and the audit log.
-- Times are UTC text 'YYYY-MM-DDTHH:MM:SS.ffffffZ' (sortable); dates are 'YYYY-MM-DD'.

CREATE TABLE practices (
    ods_code        TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    pcn             TEXT NOT NULL DEFAULT '',
    locality        TEXT NOT NULL DEFAULT '',
    address         TEXT NOT NULL DEFAULT '',
    clinical_system TEXT NOT NULL DEFAULT '',
    info_pack       TEXT NOT NULL DEFAULT ''
);

CREATE TABLE members (
    id                           INTEGER PRIMARY KEY,
    name                         TEXT NOT NULL,
    phone                        TEXT NOT NULL UNIQUE,          -- E.164
    email                        TEXT,
    roles                        TEXT NOT NULL DEFAULT 'gp',    -- ';'-separated
    gp_type                      TEXT,
    registration_number          TEXT,
    preferred_channel            TEXT NOT NULL DEFAULT 'sms',
    slack_user_id                TEXT UNIQUE,
    telegram_chat_id             TEXT UNIQUE,
    localities                   TEXT NOT NULL DEFAULT '',      -- ';'-separated, empty = anywhere
    practices                    TEXT NOT NULL DEFAULT '',      -- ODS codes, empty = anywhere
    days                         TEXT NOT NULL DEFAULT '',      -- mon, tue-am, fri-pm; empty = any
    max_sessions_per_week        INTEGER,
    contracted_sessions_per_week INTEGER NOT NULL DEFAULT 0,
    paused_until                 TEXT,                          -- last day of a pause
    quiet_start                  TEXT,                          -- 'HH:MM' London, member's own
    quiet_end                    TEXT,
    urgent_at_night              INTEGER NOT NULL DEFAULT 0,
    created_at                   TEXT NOT NULL
);

-- A member who said STOP on a channel hears nothing more on it.
CREATE TABLE opt_outs (
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    channel   TEXT NOT NULL,
    at        TEXT NOT NULL,
    PRIMARY KEY (member_id, channel)
);

CREATE TABLE checks (
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    expires   TEXT,                                             -- NULL: never lapses
    PRIMARY KEY (member_id, kind)
);

CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    practice    TEXT NOT NULL REFERENCES practices(ods_code),
    starts_at   TEXT NOT NULL,
    ends_at     TEXT NOT NULL,
    rate_pence  INTEGER NOT NULL CHECK (rate_pence >= 0),
    urgent      INTEGER NOT NULL DEFAULT 0,
    notes       TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL DEFAULT 'clinical',
    status      TEXT NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'filled', 'cancelled', 'expired', 'delivered')),
    round       INTEGER NOT NULL DEFAULT 1,                     -- a DROP starts a new round
    posted_by   INTEGER REFERENCES members(id),                 -- NULL: the admin API token
    posted_via  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    filled_at   TEXT,
    CHECK (ends_at > starts_at)
);
CREATE INDEX sessions_by_start ON sessions(starts_at);

CREATE TABLE offers (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions(id),
    member_id   INTEGER NOT NULL REFERENCES members(id),
    code        TEXT NOT NULL,
    round       INTEGER NOT NULL,
    wave        INTEGER NOT NULL,
    channel     TEXT,                                           -- where it was sent
    state       TEXT NOT NULL DEFAULT 'open'
                CHECK (state IN ('open', 'accepted', 'declined', 'withdrawn', 'expired')),
    answer      TEXT,                                           -- 'yes' / 'no', as they replied
    sent_at     TEXT NOT NULL,
    answered_at TEXT
);
CREATE UNIQUE INDEX offers_one_open_per_member ON offers(session_id, member_id) WHERE state = 'open';
CREATE INDEX offers_by_member ON offers(member_id, state);
CREATE INDEX offers_by_session ON offers(session_id, state);

CREATE TABLE bookings (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions(id),
    member_id   INTEGER NOT NULL REFERENCES members(id),
    offer_id    INTEGER REFERENCES offers(id),
    code        TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'booked' CHECK (state IN ('booked', 'dropped', 'cancelled')),
    booked_at   TEXT NOT NULL,
    booked_via  TEXT NOT NULL,
    ended_at    TEXT
);
-- The last line of defence against a double booking: one live booking per session.
CREATE UNIQUE INDEX bookings_one_per_session ON bookings(session_id) WHERE state = 'booked';
CREATE INDEX bookings_by_member ON bookings(member_id, state);

-- Messages in and out. Outbound rows are the outbox: committed with the change that caused
-- them, sent afterwards by the dispatcher.
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    direction       TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    member_id       INTEGER REFERENCES members(id),
    channel         TEXT NOT NULL,
    address         TEXT NOT NULL,
    external_id     TEXT,                                       -- the provider's id of an inbound
    provider_id     TEXT,                                       -- the provider's id once sent
    body            TEXT,                                       -- NULL once the retention passes
    choices         TEXT,                                       -- JSON [[label, value], ...]
    topic           TEXT,
    kind            TEXT NOT NULL DEFAULT 'reply',
    status          TEXT NOT NULL,
    -- in: received; out: queued, sending, sent, delivered, undelivered, failed
    not_before      TEXT,
    next_attempt_at TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    error           TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    updated_at      TEXT
);
CREATE UNIQUE INDEX messages_inbound_once ON messages(channel, external_id) WHERE direction = 'in';
CREATE INDEX messages_outbox ON messages(next_attempt_at) WHERE status = 'queued';
CREATE INDEX messages_by_address ON messages(channel, address, id);
CREATE INDEX messages_sending ON messages(status) WHERE status = 'sending';

CREATE TABLE timers (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    due_at     TEXT NOT NULL,
    state      TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'cancelled', 'failed')),
    payload    TEXT NOT NULL DEFAULT '{}',
    attempts   INTEGER NOT NULL DEFAULT 0,
    error      TEXT,
    created_at TEXT NOT NULL,
    done_at    TEXT
);
CREATE INDEX timers_due ON timers(due_at) WHERE state = 'pending';
CREATE INDEX timers_by_subject ON timers(kind, subject) WHERE state = 'pending';

-- Messages the bot did not understand, for a coordinator to read, answer and mark done.
CREATE TABLE inbox (
    id          INTEGER PRIMARY KEY,
    message_id  INTEGER NOT NULL REFERENCES messages(id),
    member_id   INTEGER REFERENCES members(id),
    state       TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done')),
    created_at  TEXT NOT NULL,
    done_by     INTEGER REFERENCES members(id),
    done_at     TEXT
);
CREATE INDEX inbox_open ON inbox(state, id);

-- Who did what, when, on which channel. Never message text. Append-only.
CREATE TABLE audit (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    subject  TEXT NOT NULL,
    channel  TEXT,
    detail   TEXT NOT NULL DEFAULT '{}'
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
