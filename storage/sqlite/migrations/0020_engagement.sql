-- How each person is engaged (issue 25): employed (timesheets, no invoices), self_employed (a
-- freelance locum: invoices, and pension forms when they pension their work) or
-- limited_company (invoices, never NHS pension forms). NULL for staff who take no sessions.
-- Existing members by the rule new ones follow (bot/domain.py default_engagement): locum,
-- partner or untyped GPs self-employed; salaried, retainer, fellow and returner GPs employed;
-- the other professions employed.
ALTER TABLE members ADD COLUMN engagement TEXT
    CHECK (engagement IN ('employed', 'self_employed', 'limited_company'));
UPDATE members SET engagement = CASE
    WHEN profession = 'gp' AND coalesce(gp_type, 'locum') IN ('locum', 'partner') THEN 'self_employed'
    ELSE 'employed'
END
WHERE instr(';' || roles || ';', ';clinician;') > 0;
