"""The two ways in: a read-only view (WAL readers never wait) and a unit of work (one
``BEGIN IMMEDIATE`` transaction on the writer). Both carry every area's repository, so a unit
of work spans them all: ``uow.sessions.add_session(...)``, ``uow.outbox.enqueue(...)``."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite

from storage.sqlite.audit import SqliteAudit
from storage.sqlite.bookings import SqliteBookings
from storage.sqlite.digests import SqliteDigests
from storage.sqlite.eligibility import SqliteEligibility
from storage.sqlite.evidence import SqliteEvidence
from storage.sqlite.groups import SqliteGroups
from storage.sqlite.inbox import SqliteInbox
from storage.sqlite.invoices import SqliteInvoices
from storage.sqlite.members import SqliteMembers
from storage.sqlite.mentoring import SqliteMentoring
from storage.sqlite.messages import SqliteMessages
from storage.sqlite.money import SqliteMoney
from storage.sqlite.offers import SqliteOffers
from storage.sqlite.outbox import SqliteOutbox
from storage.sqlite.pay import SqlitePay
from storage.sqlite.practices import SqlitePractices
from storage.sqlite.prompts import SqlitePrompts
from storage.sqlite.sessions import SqliteSessions
from storage.sqlite.signins import SqliteSignIns
from storage.sqlite.timers import SqliteTimers
from storage.sqlite.wellbeing import SqliteWellbeing
from storage.sqlite.whatsapp import SqliteWhatsApp


class SqliteUnit:
    """Every area's repository over one connection; subclasses say how a query runs."""

    # What a claim adds to take rows no other worker holds: nothing here, since SQLite has one
    # writer at a time (PostgreSQL: " FOR UPDATE SKIP LOCKED").
    skip_locked = ""

    def __init__(self) -> None:
        self.members = SqliteMembers(self)
        self.eligibility = SqliteEligibility(self)
        self.practices = SqlitePractices(self)
        self.sessions = SqliteSessions(self)
        self.offers = SqliteOffers(self)
        self.bookings = SqliteBookings(self)
        self.messages = SqliteMessages(self)
        self.digests = SqliteDigests(self)
        self.prompts = SqlitePrompts(self)
        self.outbox = SqliteOutbox(self)
        self.timers = SqliteTimers(self)
        self.inbox = SqliteInbox(self)
        self.audit = SqliteAudit(self)
        self.groups = SqliteGroups(self)
        self.mentoring = SqliteMentoring(self)
        self.wellbeing = SqliteWellbeing(self)
        self.money = SqliteMoney(self)
        self.pay = SqlitePay(self)
        self.invoices = SqliteInvoices(self)
        self.signins = SqliteSignIns(self)
        self.evidence = SqliteEvidence(self)
        self.whatsapp = SqliteWhatsApp(self)

    def notify(self, topic: str) -> None:
        """Tell the other workers, once this commits, that there is new work ("outbox",
        "timers"). One process is told by the engine itself (its on_commit)."""

    async def lock(self, name: str) -> None:
        """Hold ``name`` until this unit ends, so units doing the same thing (writing the
        standing timers at start) take turns. SQLite's units already take turns."""

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        raise NotImplementedError

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        raise NotImplementedError

    async def _run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        raise NotImplementedError

    async def _many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        raise NotImplementedError

    async def _all_in(self, sql: str, ids: Iterable[int], before: tuple[Any, ...] = ()) -> list[Any]:
        """Rows for ``sql`` whose ``{ids}`` placeholders stand for the ids, in chunks that stay
        inside SQLite's limit on bound parameters; ``before``: parameters ahead of them."""
        unique = sorted(set(ids))
        rows: list[Any] = []
        for start in range(0, len(unique), 400):
            chunk = unique[start : start + 400]
            query = sql.replace("{ids}", ",".join("?" * len(chunk)))
            rows.extend(await self._all(query, (*before, *(chunk * sql.count("{ids}")))))
        return rows


class SqliteReader(SqliteUnit):
    """Reads on the read-only aiosqlite connection; a write is refused by SQLite (query_only)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        super().__init__()

    # One trip to aiosqlite's thread per query: on a busy pool the trips, not SQLite, cost most.
    async def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = await self._conn.execute_fetchall(sql, params)
        return rows[0] if rows else None

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return list(await self._conn.execute_fetchall(sql, params))

    async def _run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return await self._conn.execute(sql, params)

    async def _many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(sql, rows)


class SqliteUnitOfWork(SqliteUnit):
    """One ``BEGIN IMMEDIATE`` transaction on the writer connection (a plain sqlite3 one, on the
    loop's own thread: see storage/sqlite/store.py)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        super().__init__()

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(sql, params).fetchone()

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._conn.execute(sql, params).fetchall()

    async def _run(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self._conn.execute(sql, params)

    async def _many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)
