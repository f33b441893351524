"""The store on PostgreSQL: several ``serve`` workers share one database.

- Units of work come from a pool of connections and run **SERIALIZABLE**, one transaction each.
  A unit that decides on what it read (a booking's clash and cap checks) may then fail at any
  statement or at commit with a serialization failure (40001) or a deadlock (40P01): ``transact``
  runs the whole unit again, with a short jittered back-off, and counts the retries.
- The dispatcher's short transactions (storage/store_base.py: claims with ``FOR UPDATE SKIP
  LOCKED`` into a lease) run READ COMMITTED (``_short_unit``): a claim must skip the rows
  another worker holds, not fail.
- Reads outside a transaction use a second, small pool of read-only autocommit connections.
- ``try_lock``/``unlock``: session-level advisory locks on **one dedicated connection** (never a
  pooled one, which would carry a lock back into the pool). When the worker dies, the server
  ends its session and its locks go with it.
- ``listen``: a dedicated autocommit connection LISTENs on ``pool_outbox`` and ``pool_timers``;
  a unit's ``notify(topic)`` becomes ``pg_notify`` just before its COMMIT (so it is delivered
  only if the unit commits). The callers' polling stays as the fallback.
- Every connection has a ``connect_timeout`` and TCP keepalives (``NETWORK``, unless the URL sets
  its own), and each call on the lock connection is bounded (``LOCK_CALL_SECONDS``): a silently
  dropped network ends in a lost connection within about a minute, never a wait for TCP to give
  up while every dispatcher and upkeep job queues behind ``try_lock``.

The URL is only ever logged without its password (``describe``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import psycopg
from psycopg import AsyncConnection, IsolationLevel, errors
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import AsyncConnectionPool

from storage.postgres.migrate import migrate
from storage.postgres.unit import PostgresReader, PostgresUnit, adapt
from storage.store_base import StoreBase

log = logging.getLogger(__name__)

T = TypeVar("T")

APPLICATION = "pool-bot"
TOPICS = ("outbox", "timers")

NETWORK: dict[str, Any] = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}
"""libpq's settings every connection gets, so a dead network is noticed (seconds)."""


def describe(url: str) -> str:
    """``user@host:port/dbname``: the database named without its password, for logs."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql (an unreadable URL)"
    user = f"{info['user']}@" if info.get("user") else ""
    port = f":{info['port']}" if info.get("port") else ""
    return f"postgresql://{user}{info.get('host', '')}{port}/{info.get('dbname', '')}"


def network(url: str) -> dict[str, Any]:
    """``NETWORK``'s settings the URL does not set itself (an operator's own values win)."""
    try:
        given = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        given = {}
    return {key: value for key, value in NETWORK.items() if key not in given}


class PostgresStore(StoreBase):
    """Opens the pools, applies migrations under an advisory lock, hands out units of work."""

    # Whole-unit retries on 40001/40P01, and the back-off between them (seconds, doubling).
    ATTEMPTS = 10
    FIRST_PAUSE = 0.002
    LAST_PAUSE = 0.1
    # A held lock is confirmed (its connection still answers) at most this often.
    LOCK_CHECK_SECONDS = 1.0
    # The longest a call on the lock connection may take (the guard is held meanwhile); longer
    # counts as a lost connection.
    LOCK_CALL_SECONDS = 5.0
    # How long the listener waits for a notice before looking whether it should stop.
    LISTEN_SECONDS = 1.0

    def __init__(self, url: str, work: AsyncConnectionPool[Any], read: AsyncConnectionPool[Any]) -> None:
        self._url = url
        self._work = work
        self._read_pool = read
        self._read = PostgresReader(read)
        self._spare: list[PostgresUnit] = []  # units (22 repositories each) reused across checkouts
        self.retries = 0
        """Units run again after a serialization failure or a deadlock (the benchmarks read it)."""
        self._lock_conn: AsyncConnection[Any] | None = None
        self._lock_guard = asyncio.Lock()
        self._held: set[str] = set()
        self._lock_seen = 0.0  # when the lock connection last answered (monotonic)
        self._listener: asyncio.Task[None] | None = None
        self._listen_conn: AsyncConnection[Any] | None = None

    @classmethod
    async def open(cls, url: str, min_size: int = 2, max_size: int = 10) -> PostgresStore:
        log.info("store: opening %s", describe(url))
        async with await AsyncConnection.connect(
            url, autocommit=True, application_name=APPLICATION, **network(url)
        ) as conn:
            await migrate(conn)
        work: AsyncConnectionPool[Any] = AsyncConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            open=False,
            name="pool-work",
            kwargs={"application_name": APPLICATION, **network(url)},
            configure=_configure,
        )
        read: AsyncConnectionPool[Any] = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=5,
            open=False,
            name="pool-read",
            kwargs={
                "application_name": APPLICATION,
                "autocommit": True,
                "options": "-c default_transaction_read_only=on",
                **network(url),
            },
            configure=_configure,
        )
        try:
            await work.open(wait=True, timeout=30)
            await read.open(wait=True, timeout=30)
        except BaseException:
            await work.close()
            await read.close()
            raise
        return cls(url, work, read)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
            self._listener = None
        for conn in (self._listen_conn, self._lock_conn):
            if conn is not None and not conn.closed:
                await conn.close()
        self._listen_conn = self._lock_conn = None
        self._held.clear()
        await self._work.close()
        await self._read_pool.close()

    # -- units of work ----------------------------------------------------------------------------

    @asynccontextmanager
    async def _unit(self, isolation: IsolationLevel) -> AsyncIterator[PostgresUnit]:
        async with self._work.connection() as conn:
            if conn.isolation_level != isolation:
                await conn.set_isolation_level(isolation)
            unit = self._spare.pop() if self._spare else PostgresUnit()
            unit._conn = conn
            try:
                async with conn.transaction():
                    yield unit
                    for topic in sorted(unit._topics):  # delivered only when this commits
                        await conn.execute("SELECT pg_notify(%s, '')", ("pool_" + topic,))
            finally:
                unit._topics.clear()
                unit._conn = None  # type: ignore[assignment]
                self._spare.append(unit)

    def unit_of_work(self) -> contextlib.AbstractAsyncContextManager[PostgresUnit]:
        """One transaction, SERIALIZABLE. Prefer ``transact``, which retries serialization failures."""
        return self._unit(IsolationLevel.SERIALIZABLE)

    def _short_unit(self) -> contextlib.AbstractAsyncContextManager[PostgresUnit]:
        """The dispatcher's short transactions: READ COMMITTED, so SKIP LOCKED skips, not fails."""
        return self._unit(IsolationLevel.READ_COMMITTED)

    async def transact(self, work: Callable[[PostgresUnit], Awaitable[T]]) -> T:
        """``await work(uow)`` in a unit of work, run again whole (a fresh transaction) when
        PostgreSQL could not serialize it or broke a deadlock with it."""
        pause = self.FIRST_PAUSE
        for attempt in range(1, self.ATTEMPTS + 1):
            try:
                async with self.unit_of_work() as uow:
                    return await work(uow)
            except (errors.SerializationFailure, errors.DeadlockDetected):
                if attempt == self.ATTEMPTS:
                    raise
                self.retries += 1
                await asyncio.sleep(random.uniform(pause / 2, pause))
                pause = min(pause * 2, self.LAST_PAUSE)
        raise AssertionError("unreachable")

    def reader(self) -> PostgresReader:
        return self._read

    # -- locks held by this worker (one dedicated connection) -------------------------------------

    async def try_lock(self, name: str) -> bool:
        """Take ``name`` for this worker unless another holds it; True while it is ours (asking
        again does not stack it). A lost lock connection lost its locks: this reconnects and
        tries to take ``name`` again (False when another worker has it by then)."""
        async with self._lock_guard:
            for _ in range(2):
                try:
                    conn = await self._lock_connection()
                    if name in self._held:
                        if time.monotonic() - self._lock_seen > self.LOCK_CHECK_SECONDS:
                            await self._lock_call(conn, "SELECT 1")  # still connected, so still ours
                            self._lock_seen = time.monotonic()
                        return True
                    row = await self._lock_call(
                        conn, "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (name,)
                    )
                    self._lock_seen = time.monotonic()
                    if row and row[0]:
                        self._held.add(name)
                        return True
                    return False
                except psycopg.OperationalError as error:
                    log.warning("store: the lock connection was lost (%s); its locks are gone", error)
                    await self._drop_lock_connection()
                except TimeoutError:
                    # No answer: the network may be gone, so reconnecting now would likely wait
                    # out connect_timeout too, with the guard held. The next call reconnects.
                    log.warning(
                        "store: the lock connection did not answer in %.0fs; its locks count as gone",
                        self.LOCK_CALL_SECONDS,
                    )
                    await self._drop_lock_connection()
                    return False
            return False

    async def unlock(self, name: str) -> None:
        async with self._lock_guard:
            if name not in self._held:
                return
            self._held.discard(name)
            conn = self._lock_conn
            if conn is None or conn.closed:
                return
            try:
                await self._lock_call(conn, "SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (name,))
            except (psycopg.OperationalError, TimeoutError):
                await self._drop_lock_connection()

    async def _lock_call(self, conn: AsyncConnection[Any], query: str, params: tuple[Any, ...] = ()) -> Any:
        """The first row of ``query`` on the lock connection, or TimeoutError after LOCK_CALL_SECONDS."""

        async def call() -> Any:
            cursor = await conn.execute(query, params or None)
            return await cursor.fetchone()

        return await asyncio.wait_for(call(), self.LOCK_CALL_SECONDS)

    async def _lock_connection(self) -> AsyncConnection[Any]:
        if self._lock_conn is None or self._lock_conn.closed or self._lock_conn.broken:
            if self._lock_conn is not None:
                await self._drop_lock_connection()
            self._lock_conn = await AsyncConnection.connect(
                self._url, autocommit=True, application_name=f"{APPLICATION}-locks", **network(self._url)
            )
        return self._lock_conn

    async def _drop_lock_connection(self) -> None:
        self._held.clear()
        conn, self._lock_conn = self._lock_conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    # -- wake-ups from other workers (LISTEN/NOTIFY) ----------------------------------------------

    async def listen(self, on_notice: Callable[[str], None]) -> None:
        """Call ``on_notice('outbox' | 'timers')`` whenever a unit that notified commits, in any
        worker. Returns once listening (or, when the server cannot be reached now, once the
        listener is trying again in the background)."""
        if self._listener is not None:
            raise RuntimeError("the store is already listening")
        ready = asyncio.get_running_loop().create_future()
        self._listener = asyncio.create_task(self._listen(on_notice, ready), name="pool-listen")
        await asyncio.shield(ready)

    async def _listen(self, on_notice: Callable[[str], None], ready: asyncio.Future[None]) -> None:
        pause = 0.1
        while True:
            try:
                async with await AsyncConnection.connect(
                    self._url, autocommit=True, application_name=f"{APPLICATION}-listen", **network(self._url)
                ) as conn:
                    self._listen_conn = conn
                    for topic in TOPICS:
                        await conn.execute(f"LISTEN pool_{topic}")
                    if not ready.done():
                        ready.set_result(None)
                    elif pause > 0.1:  # notices sent while we were away are lost: look now
                        for topic in TOPICS:
                            _tell(on_notice, topic)
                    pause = 0.1
                    while True:
                        async for notice in conn.notifies(timeout=self.LISTEN_SECONDS):
                            _tell(on_notice, notice.channel.removeprefix("pool_"))
            except Exception as error:  # lost, refused, or broken: polling covers the gap
                log.warning("store: listening stopped (%s); polling meanwhile, again in %.1fs", error, pause)
                if not ready.done():
                    ready.set_result(None)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 10.0)
            finally:
                self._listen_conn = None


def _tell(on_notice: Callable[[str], None], topic: str) -> None:
    try:
        on_notice(topic)
    except Exception:
        log.exception("store: waking the %s failed", topic)


async def _configure(conn: AsyncConnection[Any]) -> None:
    adapt(conn)
