-- Beyond GPs (issue 17): every member has a profession (config/professions.toml), GPs by
-- default; a level within it ("advanced"); sessions say which professions they are for.
ALTER TABLE members ADD COLUMN profession TEXT NOT NULL DEFAULT 'gp';
ALTER TABLE members ADD COLUMN level TEXT;
ALTER TABLE sessions ADD COLUMN professions TEXT NOT NULL DEFAULT 'gp';  -- ';'-separated
-- The role of those offered sessions was 'gp'; it is 'clinician' now ('gp' is read as it).
UPDATE members SET roles = trim(replace(';' || roles || ';', ';gp;', ';clinician;'), ';')
    WHERE instr(';' || roles || ';', ';gp;') > 0;
CREATE INDEX members_by_profession ON members(profession);
