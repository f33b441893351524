"""The same repositories as SQLite's (storage/sqlite/*.py), run over psycopg connections.

The SQL is shared: each statement is translated once (``to_pg``) and bound through psycopg.
Each connection is adapted (``adapt``) so that values type as they do in SQLite: an int or a
bool is sent untyped and the server types it from where it stands (``text = ?`` with an int,
``CASE WHEN ?``), a str's NUL characters (which PostgreSQL's text cannot hold) become U+FFFD,
and a ``numeric`` (what ``sum(bigint)`` returns) comes back an int or a float,
never a Decimal. Rows are tuples, as sqlite3's are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from psycopg import AsyncConnection, AsyncCursor
from psycopg.adapt import Dumper, Loader
from psycopg_pool import AsyncConnectionPool

from storage.postgres.dialect import to_pg
from storage.sqlite.unit import SqliteUnit


class _LooseInt(Dumper):
    """An int (or bool, as 0/1) as text of unknown type: the server types it from its context."""

    oid = 0

    def dump(self, obj: Any) -> bytes:
        return b"%d" % obj


class _Text(Dumper):
    """A str as text of unknown type (psycopg's default), with any NUL character, which a
    PostgreSQL text cannot hold (SQLite's can: a fuzzed or hostile inbound SMS), as U+FFFD."""

    oid = 0

    def dump(self, obj: Any) -> bytes:
        if "\x00" in obj:
            obj = obj.replace("\x00", "\ufffd")
        return obj.encode()


class _Number(Loader):
    """``numeric`` as SQLite hands numbers back: an int without a fraction, else a float."""

    def load(self, data: Any) -> int | float:
        text = bytes(data)
        return float(text) if (b"." in text or b"e" in text or b"N" in text) else int(text)


def adapt(conn: AsyncConnection[Any]) -> None:
    """What each connection is given as it opens (the pools' ``configure``, or by hand)."""
    conn.adapters.register_dumper(int, _LooseInt)
    conn.adapters.register_dumper(bool, _LooseInt)
    conn.adapters.register_dumper(str, _Text)
    conn.adapters.register_loader("numeric", _Number)


class PostgresUnit(SqliteUnit):
    """Every area's repository over one psycopg connection, in a transaction."""

    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, conn: AsyncConnection[Any] | None = None) -> None:
        self._conn: AsyncConnection[Any] = conn  # type: ignore[assignment]  # set per checkout
        self._topics: set[str] = set()
        super().__init__()

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        cursor = await self._conn.execute(to_pg(sql), params)
        return await cursor.fetchone()

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        cursor = await self._conn.execute(to_pg(sql), params)
        return await cursor.fetchall()

    async def _run(self, sql: str, params: Sequence[Any] = ()) -> AsyncCursor[Any]:
        """A statement whose row count is all the caller reads (new ids come by RETURNING)."""
        return await self._conn.execute(to_pg(sql), params)

    async def _many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if rows:
            async with self._conn.cursor() as cursor:
                await cursor.executemany(to_pg(sql), rows)

    def notify(self, topic: str) -> None:
        """Wake the workers listening on ``topic`` ('outbox', 'timers') once this commits."""
        self._topics.add(topic)

    async def lock(self, name: str) -> None:
        """Hold ``name`` until this unit's transaction ends; another unit asking waits."""
        await self._conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (name,))


class PostgresReader(SqliteUnit):
    """Reads outside a transaction: each query on a connection of the read-only autocommit pool,
    so each statement sees what had committed when it began (as SQLite's WAL reader does)."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool
        super().__init__()

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(to_pg(sql), params)
            return await cursor.fetchone()

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(to_pg(sql), params)
            return await cursor.fetchall()

    async def _run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        async with self._pool.connection() as conn:
            return await conn.execute(to_pg(sql), params)

    async def _many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self._pool.connection() as conn, conn.cursor() as cursor:
            await cursor.executemany(to_pg(sql), list(rows))
