"""The store on SQLite: one repository module per area of the domain, one unit of work over
them all (``unit.py``), the connections and transactions (``store.py``), and the numbered
migrations (``migrate.py``, ``migrations/``)."""

from storage.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
