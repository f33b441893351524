-- WhatsApp templates (issue 27): an outbound message's template values, by the names of
-- config/whatsapp_templates.toml, kept so a message WhatsApp refused outside the 24-hour window
-- (63016) can go again as its template; and, for one going as a template, its ContentSid and
-- numbered variables. JSON: {"values": {...}, "sid": "HX...", "variables": {"1": ...}}.
ALTER TABLE messages ADD COLUMN template TEXT;
