"""The store: the only place with SQL. SQLite today (aiosqlite), PostgreSQL later."""

from storage.sqlite import SqliteStore

__all__ = ["SqliteStore"]
