-- Coordinators, practice managers, leads and mentors are a handful among thousands of plain
-- clinicians: escalation and alerts look them up on every post, and without this index each
-- look-up read every member (about 50 ms at 50,000). storage/sqlite/members.py asks with the
-- same condition so SQLite can use it.
CREATE INDEX IF NOT EXISTS members_not_only_clinicians ON members (id) WHERE roles != 'clinician';
