-- A member who leaves the pool (issue 24): the day they left. From then they are offered
-- nothing, and their checks' evidence is deleted POOL_EVIDENCE_MONTHS later. Everyone here
-- now is still in the pool.
ALTER TABLE members ADD COLUMN left_on TEXT;
