"""The dispatcher keeps inside provider limits, retries what is transient, gives up visibly."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.domain import Outbound
from bot.outbox import Dispatcher
from bot.ports import ChannelLimits, OptedOut, RetryLater, Sent, Unreachable
from tests.fakes import RecordingChannel
from tests.harness import START, Harness


async def _pool(tmp_path: Path, channel_kwargs: dict) -> tuple[Harness, RecordingChannel]:
    clock = FakeClock(START)
    channel = RecordingChannel(clock, **channel_kwargs)
    pool = await Harness.open(tmp_path, clock=clock, channels={"sandbox": channel})
    return pool, channel


async def _queue(pool: Harness, member_ids: list[int], text: str = "hello") -> None:
    async def say(turn) -> None:
        for member_id in member_ids:
            turn.say(Outbound(text=text, member_id=member_id))

    await pool.pool.engine.run("test", say)


async def _status(pool: Harness, phone: str) -> list[tuple[str, str | None]]:
    reader = pool.pool.store.reader()
    rows = await reader._all("SELECT status, error FROM messages WHERE address = ? ORDER BY id", (phone,))
    return [tuple(r) for r in rows]


async def test_a_429_with_retry_after_is_honoured_then_sent(tmp_path: Path) -> None:
    pool, channel = await _pool(tmp_path, {"script": [RetryLater("429 Too Many Requests", after=30)]})
    try:
        gp = await pool.gp()
        await _queue(pool, [gp.id])
        await pool.pool.dispatcher.drain()
        assert channel.sent == []
        assert await _status(pool, gp.phone) == [("queued", "429 Too Many Requests")]

        pool.clock.advance(timedelta(seconds=29))
        await pool.pool.dispatcher.drain()
        assert channel.sent == []
        pool.clock.advance(timedelta(seconds=1))
        await pool.pool.dispatcher.drain()
        assert len(channel.sent) == 1
        assert (await _status(pool, gp.phone))[0][0] == "sent"
    finally:
        await pool.close()


async def test_server_errors_back_off_then_fail_with_the_reason(tmp_path: Path) -> None:
    failures = [RetryLater("HTTP 500")] * 5
    pool, channel = await _pool(tmp_path, {"script": failures})
    try:
        gp = await pool.gp()
        await _queue(pool, [gp.id])
        waits = []
        for _ in range(5):
            before = pool.clock.now()
            await pool.pool.dispatcher.drain()
            due = await pool.pool.store.next_outbox_due()
            if due is None:
                break
            waits.append((due - before).total_seconds())
            pool.clock.set(due)
        assert waits == [2.0, 4.0, 8.0, 16.0]
        assert await _status(pool, gp.phone) == [("failed", "gave up after 5 tries: HTTP 500")]
        assert len(channel.attempts) == 5 and channel.sent == []
    finally:
        await pool.close()


async def test_an_unreachable_address_fails_at_once(tmp_path: Path) -> None:
    pool, _ = await _pool(tmp_path, {"script": [Unreachable("not a mobile number")]})
    try:
        gp = await pool.gp()
        await _queue(pool, [gp.id])
        await pool.pool.dispatcher.drain()
        assert await _status(pool, gp.phone) == [("failed", "not a mobile number")]
    finally:
        await pool.close()


async def test_a_provider_opt_out_is_recorded_and_nothing_more_is_sent(tmp_path: Path) -> None:
    pool, channel = await _pool(tmp_path, {"script": [OptedOut("21610")]})
    try:
        gp = await pool.gp()
        await _queue(pool, [gp.id])
        await pool.pool.dispatcher.drain()
        member = await pool.pool.store.reader().members.member(gp.id)
        assert "sandbox" in member.opted_out
        await _queue(pool, [gp.id], "another")
        await pool.pool.dispatcher.drain()
        assert channel.sent == []
        assert (await _status(pool, gp.phone))[-1] == ("failed", "no enabled channel reaches this member")
    finally:
        await pool.close()


async def test_sends_are_paced_at_the_channel_rate(tmp_path: Path) -> None:
    pool, channel = await _pool(tmp_path, {"limits": ChannelLimits(per_second=10)})
    try:
        gps = await pool.gps(50)
        start = pool.clock.now()
        await _queue(pool, [g.id for g in gps])
        await pool.pool.dispatcher.drain()
        times = [(at - start).total_seconds() for at, _ in channel.sent]
        assert len(times) == 50
        gaps = [b - a for a, b in pairwise(times)]
        assert min(gaps) >= 0.1 - 1e-6
        assert times[-1] <= 4.9 + 1e-6
    finally:
        await pool.close()


async def test_one_persons_messages_keep_their_order_through_a_retry(tmp_path: Path) -> None:
    pool, channel = await _pool(
        tmp_path, {"script": [RetryLater("timeout")], "limits": ChannelLimits(per_address_interval=1.0)}
    )
    try:
        gp = await pool.gp()
        await _queue(pool, [gp.id], "first")
        await _queue(pool, [gp.id], "second")
        await pool.pool.dispatcher.drain()
        assert channel.sent == []
        pool.clock.advance(timedelta(seconds=2))
        await pool.pool.dispatcher.drain()
        assert [m.text for _, m in channel.sent] == ["first", "second"]
        (first_at, _), (second_at, _) = channel.sent
        assert (second_at - first_at).total_seconds() >= 1.0
        attempts = await pool.pool.store.reader()._all("SELECT attempts FROM messages ORDER BY id")
        assert [a for (a,) in attempts] == [2, 1], "the held-back message was not counted as a try"
    finally:
        await pool.close()


async def test_sent_messages_record_the_provider_id(tmp_path: Path) -> None:
    pool, channel = await _pool(tmp_path, {"script": [Sent("SM123")]})
    try:
        gp = await pool.gp()
        await _queue(pool, [gp.id])
        await pool.pool.dispatcher.drain()
        rows = await pool.pool.store.reader()._all("SELECT provider_id, status FROM messages")
        assert [tuple(r) for r in rows] == [("SM123", "sent")]
        assert [m.address for _, m in channel.sent] == [gp.phone]
    finally:
        await pool.close()


async def test_outcomes_not_written_are_kept_and_written_next_time(tmp_path: Path) -> None:
    pool, channel = await _pool(tmp_path, {})
    try:
        gp = await pool.gp()
        await _queue(pool, [gp.id])
        store = pool.pool.store
        real = store.record_dispatch
        calls = []

        async def locked_once(outcomes, now):
            calls.append(len(outcomes))
            if len(calls) == 1:
                raise sqlite3.OperationalError("database is locked")
            await real(outcomes, now)

        store.record_dispatch = locked_once  # type: ignore[method-assign]
        with pytest.raises(sqlite3.OperationalError):
            await pool.pool.dispatcher.run_once()
        assert await _status(pool, gp.phone) == [("sending", None)]
        await pool.pool.dispatcher.run_once()  # nothing new to claim, but the kept outcome is written
        assert await _status(pool, gp.phone) == [("sent", None)]
        assert len(channel.sent) == 1, "sent once, recorded once"
    finally:
        await pool.close()


async def test_an_adapter_that_raises_keeps_the_messages_and_logs_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A provider answering something the adapter cannot read, through a whole broadcast:
    every message stays queued for another try, and the log has one traceback, not fifty."""

    class Broken(RecordingChannel):
        async def send(self, message):  # type: ignore[no-untyped-def]
            raise AttributeError("'str' object has no attribute 'get'")

    clock = FakeClock(START)
    pool = await Harness.open(tmp_path, clock=clock, channels={"sandbox": Broken(clock)})
    try:
        gps = await pool.gps(50)
        await _queue(pool, [gp.id for gp in gps])
        await pool.pool.dispatcher.drain()
        assert {await _status(pool, gp.phone) == [("queued", "AttributeError")] for gp in gps} == {True}
        raised = [r for r in caplog.records if r.name == "bot.outbox"]
        assert len(raised) == 1 and raised[0].exc_info is not None
    finally:
        await pool.close()


async def test_a_providers_pause_holds_for_the_worker_that_sends_on_the_channel_next(tmp_path: Path) -> None:
    pool, channel = await _pool(tmp_path, {"script": [RetryLater("429 Too Many Requests", after=30)]})
    try:
        first, second = await pool.gp(), await pool.gp()
        start = pool.clock.now()
        await _queue(pool, [first.id])
        await pool.pool.dispatcher.drain()
        assert await pool.pool.store.channel_paused_until("sandbox") == start + timedelta(seconds=30)
        # This worker stops; another takes the channel over and has a message due now.
        await _queue(pool, [second.id])
        other = Dispatcher(pool.pool.store, {"sandbox": channel}, pool.clock)
        await other.drain()
        assert second.id in [m.member_id for _, m in channel.sent]
        assert all(when >= start + timedelta(seconds=30) for when, _ in channel.sent), "it kept the pause"
    finally:
        await pool.close()
