"""PostgreSQL's numbered migrations (``migrations/NNNN_name.sql``), applied at start, once.

PostgreSQL starts from a baseline: ``0001_baseline.sql`` is the schema SQLite has after its own
migrations up to ``BASELINE_OF_SQLITE`` (25), so no PostgreSQL database ever replays SQLite's
history (migrations that only backfilled old data have nothing to do here). From then on:

    **A new migration is a file in both folders**: ``storage/sqlite/migrations/0026_x.sql`` and
    ``storage/postgres/migrations/0002_x.sql`` (PostgreSQL's number = SQLite's − 24), each in
    its engine's dialect. The schema-parity test in tests/storage/test_postgres.py fails until
    both agree.

The version is kept in ``pool_schema_version`` (PostgreSQL has no ``PRAGMA user_version``);
it reads as SQLite's number, so both engines report the same version. Several workers starting
at once take ``pg_advisory_lock`` on one key, on an autocommit connection, before reading the
version: the first applies the newer files, each in its own transaction (PostgreSQL's DDL is
transactional), and the others then find nothing to do.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from psycopg import AsyncConnection

BASELINE_OF_SQLITE = 25
"""The SQLite version PostgreSQL's migration 0001 stands for."""

_LOCK = "SELECT pg_advisory_lock(hashtextextended('pool:migrate', 0))"
_UNLOCK = "SELECT pg_advisory_unlock(hashtextextended('pool:migrate', 0))"


def numbered_migrations() -> list[tuple[int, str]]:
    """(SQLite-equivalent version, script) for each file, in order."""
    folder = resources.files("storage.postgres") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append((number + BASELINE_OF_SQLITE - 1, entry.read_text(encoding="utf-8")))
    return sorted(found)


async def schema_version(conn: AsyncConnection[Any]) -> int:
    cursor = await conn.execute("SELECT to_regclass('pool_schema_version') IS NOT NULL")
    row = await cursor.fetchone()
    if not row or not row[0]:
        return 0
    cursor = await conn.execute("SELECT version FROM pool_schema_version")
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def migrate(conn: AsyncConnection[Any]) -> int:
    """Apply every migration above the database's version; the version now. ``conn`` must be in
    autocommit mode (the advisory lock is the session's, held across the transactions)."""
    await conn.set_autocommit(True)
    await conn.execute(_LOCK)
    try:
        current = await schema_version(conn)
        for version, script in numbered_migrations():
            if version <= current:
                continue
            async with conn.transaction():
                await conn.execute("CREATE TABLE IF NOT EXISTS pool_schema_version (version bigint NOT NULL)")
                await conn.execute(script.encode())  # no parameters: the script goes as one simple query
                await conn.execute("DELETE FROM pool_schema_version")
                await conn.execute("INSERT INTO pool_schema_version (version) VALUES (%s)", (version,))
            current = version
        return current
    finally:
        await conn.execute(_UNLOCK)
