"""A timer that fell due while every worker was down runs once when three start at once."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

from bot.clock import SystemClock
from bot.commands import PostSession
from config import load_settings
from main import open_pool
from storage.sqlite.timefmt import to_db
from tests.workers.serve import PRACTICE, Workers, base_env, scalar, seed, sql, tomorrow_at, until

SESSIONS = 3
WAVES = {"POOL_WAVE_SIZE": "2", "POOL_WAVE_MINUTES": "30", "POOL_BATCH_SECONDS": "0"}


async def post_routine_sessions(database: str) -> list[int]:
    """Routine sessions posted by a worker that then stops: wave 1 offered (to 2 GPs each), the
    wave-2 timers pending half an hour on."""
    pool = await open_pool(load_settings(base_env(database, **WAVES)), clock=SystemClock())
    try:
        ids = []
        for n in range(SESSIONS):
            start = tomorrow_at(8, 30, days=2 + n)
            session = await pool.engine.execute(
                PostSession(PRACTICE, start, start + timedelta(hours=4), 32000, urgent=False), actor="test"
            )
            ids.append(session.id)
        return ids
    finally:
        await pool.close()


def offers_by_wave(database: str) -> dict[tuple[int, int], int]:
    rows = sql(database, "SELECT session_id, wave, count(*) FROM offers GROUP BY session_id, wave")
    return {(session, wave): n for session, wave, n in rows}


def test_a_wave_due_while_every_worker_was_down_runs_once(postgres_url: str, tmp_path: Path) -> None:
    asyncio.run(seed(postgres_url, 8, channel="sandbox"))
    sessions = asyncio.run(post_routine_sessions(postgres_url))
    assert offers_by_wave(postgres_url) == {(s, 1): 2 for s in sessions}
    # All down, and the waves' time came and went: make them due a minute ago.
    moved = sql(
        postgres_url,
        "UPDATE timers SET due_at = %s WHERE kind = 'offer_wave' AND state = 'pending' RETURNING subject",
        to_db(SystemClock().now() - timedelta(minutes=1)),
    )
    assert sorted(int(s) for (s,) in moved) == sessions

    env = base_env(postgres_url, **WAVES)
    with Workers(tmp_path) as workers:
        workers.start(env, env, env)
        until(
            lambda: all(offers_by_wave(postgres_url).get((s, 2)) for s in sessions),
            30,
            "wave 2 offered for every session",
        )
        # Four polls of every worker (POOL_POLL_SECONDS=0.5) in which a second run would show.
        want = {(s, w): 2 for s in sessions for w in (1, 2)}
        watch_until = time.monotonic() + 2.0
        while time.monotonic() < watch_until:
            assert offers_by_wave(postgres_url) == want, "a wave ran more than once"
            time.sleep(0.1)
        until(
            lambda: (
                scalar(postgres_url, "SELECT count(*) FROM messages WHERE status = 'sent'") >= 4 * SESSIONS
            ),
            15,
            "the offers sent",
        )
        logs = workers.logs()

    pending = sql(
        postgres_url,
        "SELECT subject, payload, count(*) FROM timers WHERE kind = 'offer_wave' AND state = 'pending' "
        "GROUP BY subject, payload",
    )
    assert sorted(int(s) for s, _, n in pending if n == 1) == sessions, f"one wave-3 timer each: {pending}"
    done = scalar(postgres_url, "SELECT count(*) FROM timers WHERE kind = 'offer_wave' AND state = 'done'")
    assert done == SESSIONS
    offers = sql(postgres_url, "SELECT kind, status, count(*) FROM messages GROUP BY kind, status")
    assert offers == [("offer", "sent", 4 * SESSIONS)], offers
    assert "Traceback" not in logs, logs


async def test_workers_starting_together_write_each_standing_job_once_and_run_upkeep_in_one(
    postgres_url: str, tmp_path: Path
) -> None:
    """Each recurring job (the daily sweeps) is one pending timer however many workers start at
    once, and an upkeep job (`Pool.every`, the Slack look-ups) runs in one worker at a time."""
    from tests.harness import Harness  # the in-process pool, here three on one database

    workers = await asyncio.gather(
        *(
            Harness.open(tmp_path / f"w{n}", POOL_DATABASE=postgres_url, POOL_ADMIN_TOKEN="t")
            for n in range(3)
        )
    )
    try:
        kinds = workers[0].pool.engine.standing
        assert kinds, "the pool has recurring jobs"
        pending = sql(postgres_url, "SELECT kind, count(*) FROM timers WHERE state = 'pending' GROUP BY kind")
        assert {kind: n for kind, n in pending if kind in kinds} == dict.fromkeys(kinds, 1)

        ran: list[int] = []
        for n, worker in enumerate(workers):

            async def upkeep(n: int = n) -> None:
                ran.append(n)

            await worker.pool._in_one_worker("upkeep", upkeep)()
        assert len(ran) == 1, ran
        holder = ran[0]
        await workers[holder].close()  # the holder stops: another takes the job over
        others = [w for n, w in enumerate(workers) if n != holder]
        for n, worker in enumerate(others):

            async def upkeep_again(n: int = n) -> None:
                ran.append(10 + n)

            await worker.pool._in_one_worker("upkeep", upkeep_again)()
        assert len(ran) == 2, ran
    finally:
        for worker in workers:
            await worker.close()


async def test_a_worker_started_without_a_channel_leaves_its_messages_to_the_worker_sending_them(
    postgres_url: str, tmp_path: Path
) -> None:
    """Queued messages for a channel this worker does not have fail at its start (so offers find
    another way) only when no other worker is sending on that channel."""
    from bot.domain import Outbound
    from tests.fakes import RecordingChannel
    from tests.harness import Harness

    env = {"POOL_DATABASE": postgres_url, "POOL_ADMIN_TOKEN": "t"}
    sender = await Harness.open(tmp_path / "a", **env)
    try:
        gp = await sender.gp()

        async def say_tomorrow(turn) -> None:
            turn.say(Outbound(text="later", member_id=gp.id, not_before=turn.now + timedelta(days=1)))

        await sender.pool.engine.run("test", say_tomorrow)
        await sender.pool.dispatcher.drain()  # nothing due; it holds the sandbox channel now
        other = await Harness.open(
            tmp_path / "b", channels={"sms": RecordingChannel(sender.clock, "sms")}, **env
        )
        await other.close()
        assert sql(postgres_url, "SELECT status FROM messages WHERE body = 'later'") == [("queued",)]
    finally:
        await sender.close()
    alone = await Harness.open(tmp_path / "c", channels={"sms": RecordingChannel(sender.clock, "sms")}, **env)
    await alone.close()
    assert sql(postgres_url, "SELECT status FROM messages WHERE body = 'later'") == [("failed",)]
