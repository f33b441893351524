"""The store on PostgreSQL: the same repositories as SQLite's (storage/sqlite/*.py, their SQL
shared through ``dialect.to_pg``), over psycopg 3's async connections (``unit.py``), the pools,
retries, advisory locks and LISTEN/NOTIFY (``store.py``), and PostgreSQL's own migrations
(``migrate.py``, ``migrations/``)."""

from storage.postgres.store import PostgresStore

__all__ = ["PostgresStore"]
