"""An urgent broadcast to a large pool is written a chunk at a time (flows/shifts/offers.py), so
the server keeps answering meanwhile; everyone still gets exactly one offer, a booking in the
middle stops the rest, and a crash between chunks finishes the broadcast on restart."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.commands import PostSession
from bot.domain import OfferState, SessionStatus
from flows.shifts import offers
from tests.harness import Harness, at


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(offers, "BROADCAST_CHUNK", 3)


async def post_urgent(pool: Harness) -> int:
    start = at(pool.tomorrow, 8, 30)
    session = await pool.pool.engine.execute(
        PostSession("X10001", start, start + timedelta(hours=4), 32000, urgent=True, via="test"), actor="test"
    )
    return session.id


async def offers_of(pool: Harness, session_id: int) -> list:  # type: ignore[type-arg]
    return await pool.pool.store.reader().offers.offers_for_session(session_id)


async def test_a_broadcast_beyond_one_chunk_reaches_everyone_exactly_once(pool: Harness) -> None:
    gps = await pool.gps(8)
    session_id = await post_urgent(pool)
    assert len(await offers_of(pool, session_id)) == 3, "the post's own transaction writes one chunk"
    assert await pool.pool.store.reader().timers.has_pending_timer("offer_broadcast")

    await pool.pool.settle()

    made = await offers_of(pool, session_id)
    assert sorted(o.member_id for o in made) == sorted(gp.id for gp in gps)
    for gp in gps:
        assert [m.kind for m in await pool.messages(gp)].count("offer") == 1
    assert not await pool.pool.store.reader().timers.has_pending_timer("offer_broadcast")


async def test_a_booking_between_chunks_stops_the_rest_of_the_broadcast(pool: Harness) -> None:
    gps = await pool.gps(8)
    session_id = await post_urgent(pool)
    first = (await offers_of(pool, session_id))[0]
    await pool.pool.dispatcher.drain()
    taker = next(gp for gp in gps if gp.id == first.member_id)

    await pool.send(taker, "YES")
    await pool.pool.settle()

    view = await pool.view(await pool.pool.store.reader().sessions.session(session_id))  # type: ignore[arg-type]
    assert view.session.status == SessionStatus.FILLED and view.booked is not None
    assert view.booked.id == taker.id
    made = await offers_of(pool, session_id)
    assert len(made) == 3, "nobody past the first chunk was offered a filled session"
    assert [o.state for o in made].count(OfferState.ACCEPTED) == 1


async def test_a_crash_between_chunks_finishes_the_broadcast_on_restart(pool: Harness) -> None:
    gps = await pool.gps(8)
    session_id = await post_urgent(pool)

    restarted = await pool.reopen()  # killed after the first chunk's commit
    try:
        await restarted.pool.settle()
        made = await offers_of(restarted, session_id)
        assert sorted(o.member_id for o in made) == sorted(gp.id for gp in gps)
    finally:
        await restarted.close()
