"""People: a GP's settings and keywords, onboarding checks, linked chat accounts, roles, their overview."""
