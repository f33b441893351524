"""Numbered migrations (``migrations/NNNN_name.sql``), applied in order, each once."""

from __future__ import annotations

import sqlite3
from importlib import resources


def numbered_migrations() -> list[tuple[int, str]]:
    folder = resources.files("storage.sqlite") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append((number, entry.read_text(encoding="utf-8")))
    return sorted(found)


def migrate(conn: sqlite3.Connection) -> None:
    """Apply every numbered migration above the database's user_version, all in one
    transaction, reading the version under the write lock (two processes may start at once)."""
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("BEGIN IMMEDIATE")
    try:
        (current,) = conn.execute("PRAGMA user_version").fetchone()
        for number, script in numbered_migrations():
            if number <= current:
                continue
            for statement in statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def statements(script: str) -> list[str]:
    """A script's statements one by one (a trigger's body holds several ';')."""
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                statements.append(pending.strip())
            pending = ""
    if pending.strip() and not all(
        part.strip().startswith("--") or not part.strip() for part in pending.splitlines()
    ):
        raise ValueError(f"incomplete SQL at the end of a migration: {pending[:80]!r}")
    return statements
