"""The store: migrations applied once, the audit log append-only, bodies kept for a set time."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot.domain import AuditEntry
from storage import SqliteStore
from storage.sqlite.migrate import numbered_migrations
from tests import postgres
from tests.harness import Harness

SQLITE_ONLY = pytest.mark.skipif(postgres.ENGINE == "postgres", reason="SQLite's own file and write lock")


async def test_migrations_apply_once_and_the_database_is_wal(tmp_path: Path) -> None:
    path = tmp_path / "pool.db"
    for _ in range(2):
        store = await SqliteStore.open(path)
        await store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == max(n for n, _ in numbered_migrations())
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_the_audit_log_is_append_only(engine: Any) -> None:
    from datetime import UTC, datetime

    async with engine.unit_of_work() as uow:
        await uow.audit.record(
            AuditEntry("member:1", "session_posted", "session:1", "sandbox"), datetime.now(UTC)
        )
    for change in ("UPDATE audit SET actor = 'someone else'", "DELETE FROM audit"):
        with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError), match="append-only"):
            async with engine.unit_of_work() as uow:
                await uow._run(change)
    assert await engine.reader()._one("SELECT count(*) FROM audit") == (1,)


async def test_the_audit_log_never_holds_message_text(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.post(urgent=True)
    await pool.send(gp, "Yes please")
    await pool.send(gp, "see you there")
    await pool.send(gp, "Can I bring my student")
    rows = await pool.pool.store.reader()._all("SELECT actor, action, subject, detail FROM audit")
    assert {r[1] for r in rows} >= {"session_posted", "offers_sent", "session_booked"}
    dump = repr(rows)
    assert "see you there" not in dump and "student" not in dump and gp.phone not in dump


async def test_message_bodies_are_deleted_after_the_retention_period(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "HELP")
    pool.clock.advance(timedelta(days=91))
    await pool.pool.housekeeping()
    rows = await pool.pool.store.reader()._all("SELECT direction, body FROM messages")
    assert rows and all(body is None for _, body in rows)
    assert {direction for direction, _ in rows} == {"in", "out"}, "the rows stay for the figures"


async def test_a_failed_unit_of_work_leaves_nothing_behind(pool: Harness) -> None:
    with pytest.raises(RuntimeError):
        async with pool.pool.store.unit_of_work() as uow:
            await uow.timers.add_timer("x", "y", pool.clock.now(), {}, pool.clock.now())
            raise RuntimeError("half way")
    due = await pool.pool.store.reader().timers.due_timers(pool.clock.now() + timedelta(days=1))
    assert "x" not in [t.kind for t in due]


@SQLITE_ONLY
async def test_a_unit_of_work_waits_for_another_process_without_blocking_the_loop(pool: Harness) -> None:
    import asyncio

    other = sqlite3.connect(pool.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the CLI, say, is writing

    async def write() -> None:
        async with pool.pool.store.unit_of_work() as uow:
            await uow.timers.add_timer("x", "y", pool.clock.now(), {}, pool.clock.now())

    task = asyncio.create_task(write())
    for _ in range(5):
        await asyncio.sleep(0)  # the loop keeps running other work meanwhile
    assert not task.done()
    other.execute("COMMIT")
    other.close()
    await task
    assert await pool.pool.store.reader().timers.next_timer_due() is not None


def test_two_processes_starting_at_once_migrate_once(tmp_path: Path) -> None:
    import asyncio
    import threading

    path = tmp_path / "pool.db"
    errors: list[BaseException] = []

    async def open_and_close() -> None:
        store = await SqliteStore.open(path)
        await store.close()

    def start() -> None:
        try:
            asyncio.run(open_and_close())
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == max(n for n, _ in numbered_migrations())
