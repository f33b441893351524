-- Invoices and the GP locum pension forms (issue 26).
-- Members: a locum GP's NHS Pensions SD number (empty: they do not pension their locum work),
-- the employee contribution tier they chose for the scheme year (1 to 6; empty until they say),
-- and how they invoice: one invoice a practice a calendar month (the default), or one a session.
ALTER TABLE members ADD COLUMN pension_sd_number TEXT CHECK (pension_sd_number GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]');
ALTER TABLE members ADD COLUMN pension_tier INTEGER CHECK (pension_tier BETWEEN 1 AND 6);
ALTER TABLE members ADD COLUMN invoice_by TEXT NOT NULL DEFAULT 'month' CHECK (invoice_by IN ('month', 'session'));

-- What an invoice prints about the person: kept only for invoices (bank details are never sent
-- in a message and shown masked everywhere else), one row a member, set by CLI, API or console.
CREATE TABLE billing (
    member_id      INTEGER PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    address        TEXT NOT NULL DEFAULT '',   -- lines separated by newlines
    company_name   TEXT NOT NULL DEFAULT '',   -- a limited company's full name
    company_number TEXT NOT NULL DEFAULT '',
    account_name   TEXT NOT NULL DEFAULT '',
    sort_code      TEXT NOT NULL DEFAULT '' CHECK (sort_code = '' OR sort_code GLOB '[0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    account_number TEXT NOT NULL DEFAULT '' CHECK (account_number = '' OR account_number GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'),
    updated_at     TEXT NOT NULL
);

-- Invoices and credit notes, numbered without gaps per person (seq), never edited or deleted:
-- a wrong one is cancelled by a credit note. What was printed is kept whole (document, JSON),
-- so a later change of address or bank never alters an invoice already issued.
CREATE TABLE invoices (
    id            INTEGER PRIMARY KEY,
    member_id     INTEGER NOT NULL REFERENCES members(id),
    practice      TEXT NOT NULL REFERENCES practices(ods_code),
    seq           INTEGER NOT NULL CHECK (seq > 0),
    number        TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    credits       INTEGER REFERENCES invoices(id),   -- a credit note: the invoice it cancels
    period        TEXT NOT NULL,                     -- YYYY-MM, or a session's code
    issued_on     TEXT NOT NULL,
    due_on        TEXT,
    state         TEXT NOT NULL CHECK (state IN ('draft', 'sent', 'paid', 'overdue', 'cancelled', 'issued')),
    fee_pence     INTEGER NOT NULL,
    expenses_pence INTEGER NOT NULL,
    pensionable_pence INTEGER NOT NULL DEFAULT 0,
    employer_pence INTEGER NOT NULL DEFAULT 0,
    total_pence   INTEGER NOT NULL,
    pensions      INTEGER NOT NULL DEFAULT 0,       -- the GP pensions this work (Form A)
    document      TEXT NOT NULL,                    -- the invoice as issued (JSON)
    form_a        TEXT,                             -- its Form A as issued (JSON), when pensioned
    created_at    TEXT NOT NULL,
    sent_at       TEXT,
    paid_on       TEXT,
    paid_by       INTEGER REFERENCES members(id),
    paid_marked_at TEXT,
    cancelled_at  TEXT,
    reminded_at   TEXT,
    escalated_at  TEXT,
    window_warned_at TEXT,                          -- the practice told its 10-week window closes
    UNIQUE (member_id, seq),
    CHECK ((kind = 'credit_note') = (credits IS NOT NULL))
);
CREATE INDEX invoices_by_state ON invoices(state, due_on);
CREATE INDEX invoices_by_practice ON invoices(practice, issued_on);
CREATE INDEX invoices_paid ON invoices(member_id, paid_on) WHERE paid_on IS NOT NULL;

-- Which sessions and expenses an invoice bills: a session is on at most one live invoice
-- (its line is released when the invoice is cancelled).
CREATE TABLE invoice_lines (
    id          INTEGER PRIMARY KEY,
    invoice_id  INTEGER NOT NULL REFERENCES invoices(id),
    session_id  INTEGER NOT NULL REFERENCES sessions(id),
    expense_id  INTEGER REFERENCES expenses(id),
    amount_pence INTEGER NOT NULL,
    live        INTEGER NOT NULL DEFAULT 1           -- 0 once its invoice is cancelled
);
CREATE UNIQUE INDEX invoice_lines_one_live_session ON invoice_lines(session_id)
    WHERE live = 1 AND expense_id IS NULL;
CREATE UNIQUE INDEX invoice_lines_one_live_expense ON invoice_lines(expense_id)
    WHERE live = 1 AND expense_id IS NOT NULL;
CREATE INDEX invoice_lines_by_invoice ON invoice_lines(invoice_id);

-- Links to a document sent in a message: the SHA-256 of a random token, what it opens, and
-- until when (an invoice, its Form A, or a month's Form B).
CREATE TABLE document_links (
    token_hash  TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('invoice', 'form_a', 'form_b')),
    ref         TEXT NOT NULL,                     -- an invoice's id, or "member_id:YYYY-MM"
    expires_at  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
