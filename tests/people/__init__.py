"""People: keywords, roles, professions (flows/people/)."""
