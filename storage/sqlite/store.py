"""The store on SQLite: WAL, one writer connection, numbered migrations.

SQLite allows one writer at a time. All writes go through one connection guarded by an
asyncio lock and run as ``BEGIN IMMEDIATE`` transactions, so a unit of work sees a consistent
state and its compare-and-set updates cannot interleave with another's.

The writer runs its statements on the event loop's own thread. A unit of work is a handful of
indexed statements (well under a millisecond); sending each one to aiosqlite's thread instead
cost a loop turn per statement while the lock was held, which capped the pool at about 300
replies a second with a p99 over a second (bench/replies.py; see the README). Reads that need no
transaction (the API, the sandbox outbox, the timer loop's polling) use a second, read-only
aiosqlite connection, which WAL lets read while the writer writes. When another process (the
CLI) holds SQLite's write lock, the writer waits for it without blocking the loop.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from storage.sqlite.migrate import migrate
from storage.sqlite.unit import SqliteReader, SqliteUnitOfWork
from storage.store_base import StoreBase


class SqliteStore(StoreBase):
    """Opens the database, applies migrations, and hands out units of work."""

    # How long a unit of work waits for another process's write lock before giving up.
    LOCK_WAIT_SECONDS = 10.0

    def __init__(self, writer: sqlite3.Connection, reader: aiosqlite.Connection) -> None:
        self._writer = writer
        self._reader = reader
        self._lock = asyncio.Lock()
        # One of each, reused: a unit is only its connection and its repositories.
        self._read = SqliteReader(reader)
        self._work = SqliteUnitOfWork(writer)

    @classmethod
    async def open(cls, path: Path | str) -> SqliteStore:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = sqlite3.connect(path, isolation_level=None)
        deadline = time.monotonic() + cls.LOCK_WAIT_SECONDS
        while True:
            # Processes starting together on a new file contend for the switch to WAL and
            # for the migrations; SQLite answers some of those at once with "locked".
            try:
                for pragma in _PRAGMAS:
                    writer.execute(pragma)
                migrate(writer)
                break
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.05)
        # From here on the writer never waits inside SQLite (that would block the loop); see _begin.
        writer.execute("PRAGMA busy_timeout = 0")
        reader = await aiosqlite.connect(path, isolation_level=None)
        for pragma in _PRAGMAS:
            await reader.execute(pragma)
        await reader.execute("PRAGMA query_only = ON")
        return cls(writer, reader)

    async def close(self) -> None:
        await self._reader.close()
        self._writer.close()

    async def _begin(self) -> None:
        """BEGIN IMMEDIATE, waiting (asynchronously) while another process holds the lock."""
        deadline = time.monotonic() + self.LOCK_WAIT_SECONDS
        pause = 0.002
        while True:
            try:
                self._writer.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.1)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[SqliteUnitOfWork]:
        async with self._lock:
            await self._begin()
            try:
                yield self._work
            except BaseException:
                self._writer.execute("ROLLBACK")
                raise
            else:
                self._writer.execute("COMMIT")

    def reader(self) -> SqliteReader:
        return self._read


_PRAGMAS = (
    "PRAGMA busy_timeout = 5000",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
)
