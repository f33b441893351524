"""The PostgreSQL engine's own mechanics, on a real cluster (tests/postgres.py): the schema equal
to SQLite's, migrations once across starting workers, SERIALIZABLE units retried whole, the
worker's advisory locks, wake-ups by LISTEN/NOTIFY, and types that read as SQLite's."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import psycopg
import pytest

from storage.postgres import PostgresStore
from storage.postgres.dialect import to_pg
from storage.postgres.migrate import numbered_migrations as pg_migrations
from storage.postgres.migrate import schema_version
from storage.sqlite.migrate import migrate as sqlite_migrate
from storage.sqlite.migrate import numbered_migrations as sqlite_migrations
from tests.postgres import Databases


def test_placeholders_are_translated_outside_string_literals() -> None:
    assert to_pg("SELECT a FROM t WHERE b = ? AND c LIKE 'x%' AND d = '?' AND e IN (?,?)") == (
        "SELECT a FROM t WHERE b = %s AND c LIKE 'x%%' AND d = '?' AND e IN (%s,%s)"
    )
    assert to_pg("SELECT 'it''s ?', ?") == "SELECT 'it''s ?', %s"


# -- the schema ------------------------------------------------------------------------------------

_SQLITE_TYPES = {"INTEGER": "bigint", "TEXT": "text", "REAL": "double precision", "BLOB": "bytea"}


def _sqlite_schema(path: Path) -> tuple[dict[str, dict[str, tuple[str, bool]]], set[tuple[Any, ...]]]:
    db = sqlite3.connect(path, isolation_level=None)
    sqlite_migrate(db)
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    columns = {
        table: {
            name: (_SQLITE_TYPES[kind.upper()], bool(notnull) or bool(pk))  # a key is never NULL in use
            for _, name, kind, notnull, _, pk in db.execute(f"PRAGMA table_info({table})")
        }
        for table in tables
    }
    indexes = set()
    for table in tables:
        for _, name, unique, origin, partial in db.execute(f"PRAGMA index_list({table})"):
            if origin == "pk":
                continue
            cols = tuple(r[2] for r in db.execute(f"PRAGMA index_info({name})"))
            # An inline UNIQUE constraint has an sqlite_autoindex_* name: compare it by its columns.
            indexes.add((table, None if origin == "u" else name, cols, bool(unique), bool(partial)))
    db.close()
    return columns, indexes


async def _pg_schema(url: str) -> tuple[dict[str, dict[str, tuple[str, bool]]], set[tuple[Any, ...]]]:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        cursor = await conn.execute(
            "SELECT table_name, column_name, data_type, is_nullable = 'NO' FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name != 'pool_schema_version'"
        )
        columns: dict[str, dict[str, tuple[str, bool]]] = {}
        for table, column, kind, notnull in await cursor.fetchall():
            columns.setdefault(table, {})[column] = (kind, notnull)
        cursor = await conn.execute(
            "SELECT t.relname, i.relname, x.indisunique, x.indpred IS NOT NULL, x.indisprimary, "
            "  c.contype IS NOT NULL, "
            "  array(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(n, o) "
            "        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n ORDER BY k.o) "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "JOIN pg_namespace s ON s.oid = t.relnamespace LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid "
            "WHERE s.nspname = 'public' AND t.relname != 'pool_schema_version'"
        )
        indexes = set()
        for table, name, unique, partial, primary, constraint, cols in await cursor.fetchall():
            if not primary:
                indexes.add((table, None if constraint else name, tuple(cols), unique, partial))
    return columns, indexes


async def test_the_postgresql_schema_is_sqlites_at_its_latest_version(
    postgres_url: str, tmp_path: Path
) -> None:
    sqlite_columns, sqlite_indexes = _sqlite_schema(tmp_path / "pool.db")
    pg_columns, pg_indexes = await _pg_schema(postgres_url)
    assert sorted(pg_columns) == sorted(sqlite_columns), "the same tables"
    for table, columns in sqlite_columns.items():
        assert pg_columns[table] == columns, f"{table}: the same columns, types and NOT NULLs"
    assert pg_indexes == sqlite_indexes, "the same indexes: unique, partial, on the same columns"
    assert max(v for v, _ in pg_migrations()) == max(n for n, _ in sqlite_migrations()), "the same version"


async def test_workers_starting_together_on_a_blank_database_migrate_it_once(
    postgres_databases: Databases,
) -> None:
    url = postgres_databases.fresh(blank=True)
    try:
        stores = await asyncio.gather(*(PostgresStore.open(url, min_size=1) for _ in range(4)))
        for store in stores:
            await store.close()
        async with await psycopg.AsyncConnection.connect(url) as conn:
            assert await schema_version(conn) == max(n for n, _ in sqlite_migrations())
            cursor = await conn.execute("SELECT count(*) FROM pool_schema_version")
            assert await cursor.fetchone() == (1,)
    finally:
        postgres_databases.drop_all()


# -- concurrency -----------------------------------------------------------------------------------


async def test_two_serializable_units_checking_then_inserting_leave_one_row_and_one_retries(
    postgres_url: str,
) -> None:
    store = await PostgresStore.open(postgres_url)
    both_read = asyncio.Barrier(2)
    first_attempts: list[int] = []
    try:
        async with store.unit_of_work() as uow:
            await uow._run("CREATE TABLE claims (what text NOT NULL)")

        async def claim(uow: Any) -> bool:
            first_attempts.append(1)
            taken = await uow._one("SELECT count(*) FROM claims WHERE what = 'session 1'")
            if len(first_attempts) <= 2:
                await both_read.wait()  # both have read "free" before either writes
            if taken[0]:
                return False
            await uow._run("INSERT INTO claims (what) VALUES ('session 1')")
            return True

        results = await asyncio.gather(store.transact(claim), store.transact(claim))
        assert sorted(results) == [False, True], "one books; the other, run again, sees it taken"
        assert store.retries == 1
        assert await store.reader()._one("SELECT count(*) FROM claims") == (1,)
    finally:
        await store.close()


async def test_a_lock_is_one_workers_until_its_connection_goes(postgres_url: str) -> None:
    first = await PostgresStore.open(postgres_url, min_size=1)
    second = await PostgresStore.open(postgres_url, min_size=1)
    try:
        assert await first.try_lock("pool:dispatch:sms")
        assert await first.try_lock("pool:dispatch:sms"), "asking again while holding it"
        assert not await second.try_lock("pool:dispatch:sms")
        assert await second.try_lock("pool:dispatch:slack"), "another name is free"
        await first.unlock("pool:dispatch:sms")  # once is enough: asking again did not stack it
        assert await second.try_lock("pool:dispatch:sms")
        await second.unlock("pool:dispatch:sms")
        assert await first.try_lock("pool:dispatch:sms")
        assert first._lock_conn is not None
        await first._lock_conn.close()  # the worker's connection dies: the server frees its locks
        assert await _taken_once_freed(second, "pool:dispatch:sms")
        assert not await first.try_lock("pool:dispatch:sms"), "reconnected, but another has it now"
    finally:
        await first.close()
        await second.close()


async def _taken_once_freed(store: PostgresStore, name: str) -> bool:
    """Whether ``store`` takes ``name`` within two seconds: the server frees a dead session's
    locks as soon as it has seen the session end, which is not the same instant."""
    for _ in range(100):
        if await store.try_lock(name):
            return True
        await asyncio.sleep(0.02)
    return False


async def test_a_lock_check_left_unanswered_counts_as_a_lost_connection(postgres_url: str) -> None:
    first = await PostgresStore.open(postgres_url, min_size=1)
    second = await PostgresStore.open(postgres_url, min_size=1)
    try:
        assert await first.try_lock("pool:dispatch:sms")
        conn = first._lock_conn
        assert conn is not None
        given = conn.info.get_parameters()
        assert given.get("connect_timeout") == "10" and given.get("keepalives_idle") == "30", given

        async def unanswered(*args: object, **kwargs: object) -> None:
            await asyncio.sleep(60)  # a silently dropped network: no reply, no error

        conn.execute = unanswered  # type: ignore[method-assign]
        first.LOCK_CHECK_SECONDS, first.LOCK_CALL_SECONDS = 0.0, 0.2
        started = asyncio.get_running_loop().time()
        assert not await first.try_lock("pool:dispatch:sms"), "its locks are gone with it"
        assert asyncio.get_running_loop().time() - started < 5
        assert first._lock_conn is None and conn.closed
        assert await _taken_once_freed(second, "pool:dispatch:sms")
        assert not await first.try_lock("pool:dispatch:sms"), "reconnected, but another has it now"
    finally:
        await first.close()
        await second.close()


async def test_a_notice_arrives_after_a_commit_and_not_after_a_rollback(postgres_url: str) -> None:
    listening = await PostgresStore.open(postgres_url, min_size=1)
    other = await PostgresStore.open(postgres_url, min_size=1)
    heard: list[str] = []
    arrived = asyncio.Event()

    def on_notice(topic: str) -> None:
        heard.append(topic)
        arrived.set()

    try:
        await listening.listen(on_notice)
        with pytest.raises(RuntimeError):
            async with other.unit_of_work() as uow:
                uow.notify("outbox")
                raise RuntimeError("rolled back")
        async with other.unit_of_work() as uow:
            uow.notify("timers")
            await asyncio.sleep(0.05)
            assert heard == [], "nothing before the commit"
        await asyncio.wait_for(arrived.wait(), 5)
        await asyncio.sleep(0.05)
        assert heard == ["timers"]
    finally:
        await listening.close()
        await other.close()


async def test_the_listener_comes_back_after_losing_its_connection(postgres_url: str) -> None:
    store = await PostgresStore.open(postgres_url, min_size=1)
    heard: list[str] = []
    try:
        await store.listen(heard.append)
        assert store._listen_conn is not None
        await store._listen_conn.close()  # the server, or the network, dropped it
        for _ in range(100):
            await asyncio.sleep(0.05)
            if store._listen_conn is not None and not store._listen_conn.closed and heard:
                break
        assert sorted(heard) == ["outbox", "timers"], "back, it says to look now (notices were lost)"
        heard.clear()
        async with store.unit_of_work() as uow:
            uow.notify("outbox")
        for _ in range(100):
            if heard:
                break
            await asyncio.sleep(0.02)
        assert heard == ["outbox"]
    finally:
        await store.close()


# -- types as SQLite has them ----------------------------------------------------------------------


async def test_values_bind_and_read_as_they_do_on_sqlite(engine: Any) -> None:
    async with engine.unit_of_work() as uow:
        row = await uow._one(
            "SELECT CASE WHEN ? THEN 'yes' ELSE 'no' END, 'session:' || ?, ? + 1, "
            "(SELECT sum(n) FROM (SELECT CAST(2 AS INTEGER) AS n UNION ALL SELECT 3) t), ?",
            (True, 5, 41, None),
        )
        assert row == ("yes", "session:5", 42, 5, None)
        assert type(row[3]) is int, "sum() of integers is an int, never a Decimal"
        assert isinstance(row, tuple)
        nul = await uow._one("SELECT ? || ''", ("a\x00b",))
        assert nul in (("a\x00b",), ("a\ufffdb",)), "kept (SQLite) or replaced (PostgreSQL), never refused"
        assert await uow._one("SELECT instr('abc', 'c'), json_extract('{\"step\": 2}', '$.step')") in (
            (3, 2),
            (3, "2"),
        )


async def test_the_password_never_reaches_the_logs(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    import logging
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(postgres_url)
    with_password = urlunsplit(parts._replace(netloc=f"postgres:s3cret-pw@{parts.hostname}:{parts.port}"))
    caplog.set_level(logging.DEBUG)
    store = await PostgresStore.open(with_password, min_size=1)  # the test cluster trusts, ignores it
    await store.close()
    assert "s3cret-pw" not in caplog.text
    assert f"{parts.hostname}:{parts.port}" in caplog.text, "the database is named"


async def test_text_orders_by_code_point_as_on_sqlite(engine: Any) -> None:
    from bot.domain import Practice

    names = ["beech", "Beech", "ash", "Élan", "_yard", "elm", "Zed", "10 Quay", "9 Quay"]
    async with engine.unit_of_work() as uow:
        for n, name in enumerate(names):
            await uow.practices.add_practice(Practice(f"Y{n:05d}", name, "", "", "", "", ""))
    rows = await engine.reader()._all("SELECT name FROM practices ORDER BY name")
    assert [name for (name,) in rows] == sorted(names)
    rows = await engine.reader()._all("SELECT lower(name) FROM practices WHERE name > 'Z' ORDER BY 1")
    assert [name for (name,) in rows] == sorted(n.lower() if n.isascii() else n for n in names if n > "Z")
