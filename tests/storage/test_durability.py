"""Nothing is lost across a crash: persist, then send; timers run once, also after a stop."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.commands import PostSession
from bot.domain import Outbound
from bot.policy import PoolPolicy
from bot.ports import DispatchOutcome
from flows.shifts.offers import WAVE_TIMER
from tests.fakes import RecordingChannel
from tests.harness import START, Harness, at


async def test_messages_committed_before_a_crash_are_all_sent_after_restart(tmp_path: Path) -> None:
    pool = await Harness.open(tmp_path)
    await pool.practice()
    gps = await pool.gps(30)
    # Posted and committed, but the process dies before the dispatcher sends anything.
    await pool.pool.engine.execute(
        PostSession("X10001", at(pool.tomorrow, 9), at(pool.tomorrow, 13), 32000, urgent=True), actor="test"
    )
    channel = RecordingChannel(pool.clock)
    restarted = await pool.reopen(channels={"sandbox": channel})
    try:
        await restarted.pool.settle()
        assert sorted(m.member_id for _, m in channel.sent) == sorted(g.id for g in gps)
        assert all(m.kind == "offer" for _, m in channel.sent)
    finally:
        await restarted.close()


async def test_messages_in_flight_at_a_crash_are_sent_again_after_restart(tmp_path: Path) -> None:
    pool = await Harness.open(tmp_path)
    await pool.practice()
    gps = await pool.gps(12)
    await pool.pool.engine.execute(
        PostSession("X10001", at(pool.tomorrow, 9), at(pool.tomorrow, 13), 32000, urgent=True), actor="test"
    )
    # The dispatcher claimed a batch (queued → sending) for its lease and was killed before
    # recording it.
    lease = timedelta(seconds=120)
    claimed = await pool.pool.store.claim_outbox(
        pool.clock.now(), limit=5, lease_until=pool.clock.now() + lease
    )
    assert len(claimed) == 5
    channel = RecordingChannel(pool.clock)
    restarted = await pool.reopen(channels={"sandbox": channel})
    try:
        await restarted.pool.settle()
        # Another worker may still be sending those five: they wait for the lease to run out.
        assert len(channel.sent) == 7
        assert {m.member_id for _, m in channel.sent}.isdisjoint(m.member_id for m in claimed)
        restarted.clock.advance(lease)
        await restarted.pool.settle()
        assert sorted(m.member_id for _, m in channel.sent) == sorted(g.id for g in gps)
        await restarted.pool.settle()
        assert len(channel.sent) == 12, "each message once after the restart"
    finally:
        await restarted.close()


async def test_a_timer_due_while_stopped_runs_exactly_once_after_start(tmp_path: Path) -> None:
    policy = PoolPolicy(wave_size=1, wave_wait=timedelta(minutes=30))
    pool = await Harness.open(tmp_path, policy=policy)
    await pool.practice()
    first, second, third = await pool.gps(3)
    session = await pool.post()
    assert [m.id for _, m in (await pool.view(session)).offers] == [first.id]
    await pool.close()

    pool.clock.advance(timedelta(minutes=40))  # the wave timer fell due while nothing ran
    restarted = await Harness.open(tmp_path, clock=pool.clock, policy=policy)
    try:
        ran = await restarted.pool.timers.run_due()
        assert ran == 1
        assert await restarted.pool.timers.run_due() == 0
        await restarted.pool.settle()
        view = await restarted.view(session)
        assert [m.id for _, m in view.offers] == [first.id, second.id]
        assert [m.kind for m in await restarted.messages(second)] == ["offer"]
        assert await restarted.messages(third) == []
    finally:
        await restarted.close()


async def test_a_timer_that_fails_is_retried_then_marked_failed(pool: Harness) -> None:
    calls = []

    async def broken(turn, timer) -> None:
        calls.append(timer.id)
        raise RuntimeError("boom")

    pool.pool.engine.on_timer("broken", broken)
    async with pool.pool.store.unit_of_work() as uow:
        await uow.timers.add_timer("broken", "x", pool.clock.now(), {}, pool.clock.now())
    for _ in range(10):
        await pool.pool.timers.run_due()
        pool.clock.advance(timedelta(minutes=2))
    assert len(calls) == pool.pool.timers.max_attempts
    later = await pool.pool.store.reader().timers.due_timers(pool.clock.now() + timedelta(days=365))
    assert "broken" not in [t.kind for t in later], "given up, not pending"


async def test_work_of_a_failed_timer_is_rolled_back(pool: Harness) -> None:
    async def half_done(turn, timer) -> None:
        await turn.uow.timers.add_timer("other", "y", turn.now, {}, turn.now)
        raise RuntimeError("after writing")

    pool.pool.engine.on_timer("half", half_done)
    async with pool.pool.store.unit_of_work() as uow:
        await uow.timers.add_timer("half", "x", pool.clock.now(), {}, pool.clock.now())
    await pool.pool.timers.run_due()
    due = await pool.pool.store.reader().timers.due_timers(pool.clock.now() + timedelta(days=1))
    assert [t.kind for t in due if t.kind in ("half", "other")] == ["half"]


async def test_a_timer_claimed_by_a_worker_that_died_runs_once_when_its_lease_runs_out(
    tmp_path: Path,
) -> None:
    policy = PoolPolicy(wave_size=1, wave_wait=timedelta(minutes=30))
    pool = await Harness.open(tmp_path, policy=policy)
    await pool.practice()
    first, second = await pool.gps(2)
    session = await pool.post()
    pool.clock.advance(timedelta(minutes=40))
    # A worker took the due wave timer for its lease, then died before running it.
    lease = timedelta(seconds=120)
    taken = await pool.pool.store.claim_due_timers(pool.clock.now(), 100, pool.clock.now() + lease)
    assert WAVE_TIMER in [t.kind for t in taken]
    assert await pool.pool.store.claim_due_timers(pool.clock.now(), 100, pool.clock.now() + lease) == []
    restarted = await pool.reopen()
    try:
        assert await restarted.pool.timers.run_due() == 0, "another worker may still be running them"
        await restarted.pool.settle()
        assert [m.id for _, m in (await restarted.view(session)).offers] == [first.id]
        restarted.clock.advance(lease)
        assert await restarted.pool.timers.run_due() >= 1
        restarted.clock.advance(lease)
        assert await restarted.pool.timers.run_due() == 0, "each ran once"
        await restarted.pool.settle()
        assert [m.id for _, m in (await restarted.view(session)).offers] == [first.id, second.id]
        assert [m.kind for m in await restarted.messages(second)] == ["offer"]
    finally:
        await restarted.close()


async def test_two_claims_at_once_take_different_messages(pool: Harness) -> None:
    gps = await pool.gps(12)

    async def say(turn) -> None:
        for gp in gps:
            turn.say(Outbound(text="hello", member_id=gp.id))

    await pool.pool.engine.run("test", say)
    now, lease = pool.clock.now(), pool.clock.now() + timedelta(minutes=2)
    store = pool.pool.store
    first, second = await asyncio.gather(
        store.claim_outbox(now, 5, lease, channel="sandbox"),
        store.claim_outbox(now, 5, lease, channel="sandbox"),
    )
    assert len(first) == len(second) == 5
    assert {m.id for m in first}.isdisjoint(m.id for m in second)


class _Stuck(RecordingChannel):
    """A provider that never answers (its worker is told to stop mid-send)."""

    def __init__(self, clock) -> None:
        super().__init__(clock)
        self.blocked = asyncio.Event()

    async def send(self, message):
        self.attempts.append(message)
        self.blocked.set()
        await asyncio.Event().wait()


async def test_a_clean_stop_gives_back_what_it_claimed_so_the_next_worker_need_not_wait(
    tmp_path: Path,
) -> None:
    stuck = _Stuck(FakeClock(START))
    pool = await Harness.open(tmp_path, channels={"sandbox": stuck})
    gps = await pool.gps(12)

    async def say(turn) -> None:
        for gp in gps:
            turn.say(Outbound(text="hello", member_id=gp.id))

    await pool.pool.engine.run("test", say)
    sending = asyncio.ensure_future(pool.pool.dispatcher.drain())
    await stuck.blocked.wait()  # a batch claimed, its first send in the provider's hands
    sending.cancel()  # SIGTERM: the drain's time is up
    with contextlib.suppress(asyncio.CancelledError):
        await sending
    await pool.pool.dispatcher.release()
    channel = RecordingChannel(pool.clock)
    restarted = await pool.reopen(channels={"sandbox": channel})
    try:
        await restarted.pool.settle()  # no clock moved: nothing waits for a lease
        assert sorted(m.member_id for _, m in channel.sent) == sorted(g.id for g in gps)
    finally:
        await restarted.close()


async def test_an_outcome_is_written_only_while_its_claim_stands(pool: Harness) -> None:
    """A worker whose lease ran out (it lost its channel, say) and another took the message
    over: the first one's late outcome does not overwrite the second's claim."""
    gp = await pool.gp()

    async def say(turn) -> None:
        turn.say(Outbound(text="hello", member_id=gp.id))

    await pool.pool.engine.run("test", say)
    store, lease = pool.pool.store, timedelta(seconds=120)
    first_lease = pool.clock.now() + lease
    (first,) = await store.claim_outbox(pool.clock.now(), 5, first_lease, channel="sandbox")
    pool.clock.advance(lease)
    second_lease = pool.clock.now() + lease
    (again,) = await store.claim_outbox(pool.clock.now(), 5, second_lease, channel="sandbox")
    assert again.id == first.id
    await store.record_dispatch(
        [DispatchOutcome(first.id, "sent", "late-1", claimed_until=first_lease)], pool.clock.now()
    )
    row = await store.reader()._one("SELECT status, provider_id FROM messages WHERE id = ?", (first.id,))
    assert tuple(row) == ("sending", None), "the stale claim's outcome is not written"
    await store.record_dispatch(
        [DispatchOutcome(first.id, "sent", "taken-2", claimed_until=second_lease)], pool.clock.now()
    )
    row = await store.reader()._one("SELECT status, provider_id FROM messages WHERE id = ?", (first.id,))
    assert tuple(row) == ("sent", "taken-2")
