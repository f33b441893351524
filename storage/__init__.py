"""The store: the only place with SQL. SQLite (the embedded default) or PostgreSQL (several
workers), chosen by POOL_DATABASE: a path, or a ``postgresql://`` URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.sqlite import SqliteStore

if TYPE_CHECKING:
    from storage.postgres.store import PostgresStore

__all__ = ["SqliteStore", "is_postgres", "open_store"]


def is_postgres(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))


async def open_store(target: str) -> SqliteStore | PostgresStore:
    """SqliteStore for a path, PostgresStore for a postgresql:// (or postgres://) URL."""
    if is_postgres(target):
        from storage.postgres.store import PostgresStore  # psycopg only when PostgreSQL is used

        return await PostgresStore.open(target)
    return await SqliteStore.open(target)
