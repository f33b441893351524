"""One set of SQL for both engines: the repositories write SQLite's ``?`` placeholders, and
PostgreSQL's units translate each statement once (cached) into psycopg's ``%s``."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4096)
def to_pg(sql: str) -> str:
    """``?`` → ``%s`` and a literal ``%`` → ``%%``, outside '…' string literals only (a ``?``
    inside a literal is text; a ``%`` inside one still needs doubling, as psycopg reads the
    whole string for placeholders)."""
    out: list[str] = []
    quoted = False
    for char in sql:
        if char == "'":
            quoted = not quoted  # '' (an escaped quote) toggles twice: still right
            out.append(char)
        elif char == "%":
            out.append("%%")
        elif char == "?" and not quoted:
            out.append("%s")
        else:
            out.append(char)
    return "".join(out)
