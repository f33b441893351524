-- WhatsApp (issue 27): a member's opt-in, recorded and never assumed, and their 24-hour window.
-- One row a member once WhatsApp is involved: asked for by the WHATSAPP keyword on another
-- channel (requested_at, until they confirm on WhatsApp), opted in (when and how: 'keyword' by
-- confirming, 'inbound' by writing to the pool's WhatsApp number, 'console' by a coordinator;
-- never by import), the last time they wrote on WhatsApp (free-form messages may go for 24
-- hours after it), and when WhatsApp said the number is not on WhatsApp (63003/63024).
CREATE TABLE whatsapp (
    member_id       INTEGER PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    number          TEXT NOT NULL CHECK (number GLOB '+[1-9]*'),  -- E.164; their phone unless set otherwise
    requested_at    TEXT,
    opted_in_at     TEXT,
    opt_in_source   TEXT CHECK (opt_in_source IN ('keyword', 'inbound', 'console')),
    last_inbound_at TEXT,
    unreachable_at  TEXT,
    CHECK ((opted_in_at IS NULL) = (opt_in_source IS NULL))
);
CREATE INDEX whatsapp_by_number ON whatsapp (number);
