"""Booking is one atomic check across workers too: two pools on one PostgreSQL database (each
its own connection pool, so their transactions really do run at once at the database), as two
`serve` processes would be, take replies at the same moment."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.domain import OfferState, SessionStatus
from tests.harness import Harness, at
from tests.workers.serve import TOKEN


@pytest.fixture
async def workers(postgres_url: str, tmp_path: Path) -> AsyncIterator[tuple[Harness, Harness]]:
    """Two workers on one database, sharing a fake clock (the same moment in both)."""
    first = await Harness.open(tmp_path / "a", POOL_DATABASE=postgres_url, POOL_ADMIN_TOKEN=TOKEN)
    second = None
    try:
        second = await Harness.open(
            tmp_path / "b", clock=first.clock, POOL_DATABASE=postgres_url, POOL_ADMIN_TOKEN=TOKEN
        )
        yield first, second
    finally:
        if second is not None:
            await second.close()
        await first.close()


def retries(*pools: Harness) -> int:
    """Units run again after a serialization failure, in all these workers (PostgresStore's)."""
    return sum(pool.pool.store.retries for pool in pools)  # type: ignore[attr-defined]


async def settle(*pools: Harness) -> None:
    """Until neither worker has anything due (a message one committed may be the other's to send)."""
    while True:
        handled = 0
        for pool in pools:
            handled += await pool.pool.timers.run_due() + await pool.pool.dispatcher.drain()
        if not handled:
            return


async def test_two_hundred_acceptances_split_across_two_workers_book_exactly_one(
    workers: tuple[Harness, Harness],
) -> None:
    a, b = workers
    await a.practice()
    gps = await a.gps(200)
    session = await a.post(urgent=True)
    inbound = [a.inbound(gp, "YES") for gp in gps]

    # Every other reply to the second worker, all fired at once.
    results = await asyncio.gather(
        *((a if n % 2 == 0 else b).pool.engine.receive(message) for n, message in enumerate(inbound))
    )
    await settle(a, b)

    assert all(results), "every reply was taken (none refused as a duplicate)"
    view = await a.view(session)
    assert view.session.status == SessionStatus.FILLED
    assert view.booked is not None
    kinds = {gp.id: [m.kind for m in await a.messages(gp)] for gp in gps}
    booked = [gp_id for gp_id, got in kinds.items() if "booked" in got]
    assert booked == [view.booked.id]
    told_gone = [gp_id for gp_id, got in kinds.items() if got[-1] == "already_filled"]
    assert len(told_gone) == 199, {k: v for k, v in kinds.items() if v[-1] != "already_filled"}
    assert len([o for o, _ in view.offers if o.state == OfferState.ACCEPTED]) == 1
    stored = await a.pool.store.reader()._one(  # type: ignore[attr-defined]
        "SELECT count(*) FROM bookings WHERE session_id = ? AND state = 'booked'", (session.id,)
    )
    assert stored[0] == 1


async def test_one_gp_accepting_two_overlapping_offers_on_two_workers_at_once_gets_one(
    workers: tuple[Harness, Harness],
) -> None:
    """Each worker checks the GP has no overlapping booking and books: under READ COMMITTED
    both checks could pass (write skew). SERIALIZABLE, with the unit retried, must let one
    through. Repeated, so the two really race more than once."""
    a, b = workers
    await a.practice()
    await a.practice("X20001", "Hillview Health Centre")
    before = retries(a, b)
    rounds = 8
    for n in range(rounds):
        day = a.tomorrow + timedelta(days=n)
        gp = await a.gp(f"Dr Racer {n}")
        first = await a.post(start=at(day, 8, 30), urgent=True)  # 08:30-12:30
        second = await a.post(practice="X20001", start=at(day, 10, 0), urgent=True)  # 10:00-14:00
        codes = await a.offer_code(gp, first), await a.offer_code(gp, second)

        await asyncio.gather(
            a.pool.engine.receive(a.inbound(gp, f"yes {codes[0]}")),
            b.pool.engine.receive(b.inbound(gp, f"yes {codes[1]}")),
        )
        await settle(a, b)

        views = [await a.view(first), await a.view(second)]
        booked = [v for v in views if v.booked is not None]
        assert len(booked) == 1, f"round {n}: {[v.session.status for v in views]}"
        assert booked[0].booked.id == gp.id
        other = next(v for v in views if v.booked is None)
        assert other.session.status == SessionStatus.OPEN, f"round {n}: the other stays open for others"
        kinds = [m.kind for m in await a.messages(gp)]
        assert kinds.count("booked") == 1 and kinds.count("cannot_book") == 1, f"round {n}: {kinds}"
        assert "overlaps" in next(m.body for m in await a.messages(gp) if m.kind == "cannot_book")
    assert retries(a, b) > before, "the two units never collided: the race was not run"
