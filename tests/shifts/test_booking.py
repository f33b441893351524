"""Booking is one atomic check: the first valid acceptance wins, on the real SQLite store."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.domain import OfferState, SessionStatus
from tests.harness import Harness, at


async def test_two_hundred_gps_accept_at_once_and_exactly_one_is_booked(pool: Harness) -> None:
    gps = await pool.gps(200)
    session = await pool.post(urgent=True)
    inbound = [pool.inbound(gp, "YES") for gp in gps]

    results = await asyncio.gather(*(pool.pool.engine.receive(message) for message in inbound))
    await pool.pool.settle()

    assert all(results)
    view = await pool.view(session)
    assert view.session.status == SessionStatus.FILLED
    assert view.booked is not None
    kinds = {gp.id: [m.kind for m in await pool.messages(gp)] for gp in gps}
    booked = [gp_id for gp_id, got in kinds.items() if "booked" in got]
    assert booked == [view.booked.id]
    told_filled = [gp_id for gp_id, got in kinds.items() if got[-1] == "already_filled"]
    assert len(told_filled) == 199
    bookings = [o for o, _ in view.offers if o.state == OfferState.ACCEPTED]
    assert len(bookings) == 1


async def test_a_gp_holding_two_overlapping_offers_who_accepts_both_gets_one(pool: Harness) -> None:
    await pool.practice("X20001", "Hillview Health Centre")
    gp = await pool.gp()
    first = await pool.post(start=at(pool.tomorrow, 8, 30), urgent=True)
    second = await pool.post(practice="X20001", start=at(pool.tomorrow, 10, 0), urgent=True)
    first_code, second_code = await pool.offer_code(gp, first), await pool.offer_code(gp, second)

    await pool.send(gp, f"yes {first_code}")
    await pool.send(gp, f"yes {second_code}")

    assert (await pool.view(first)).booked.id == gp.id
    assert (await pool.view(second)).booked is None
    assert (await pool.view(second)).session.status == SessionStatus.OPEN
    last = await pool.last(gp)
    assert last.kind == "cannot_book"
    assert "overlaps" in last.body


async def test_booking_withdraws_the_gps_overlapping_offers_and_their_waves_move_on(tmp_path) -> None:
    from bot.policy import PoolPolicy

    pool = await Harness.open(tmp_path, policy=PoolPolicy(wave_size=1, wave_wait=timedelta(minutes=30)))
    try:
        await pool.practice()
        await pool.practice("X20001", "Hillview Health Centre")
        gp = await pool.gp("Dr Both")
        booked = await pool.post(start=at(pool.tomorrow, 13, 30), hours=4.5)  # 13:30-18:00
        clash = await pool.post(practice="X20001", start=at(pool.tomorrow, 14, 0), hours=4.5)  # 14:00-18:30
        later = await pool.post(practice="X20001", start=at(pool.tomorrow, 18, 30), hours=2)  # 18:30-20:30
        await pool.gp("Dr Next")  # joins after the first waves: only in the next ones

        await pool.send(gp, f"YES {await pool.offer_code(gp, booked)}")

        assert (await pool.view(booked)).booked.id == gp.id
        states = {m.name: o.state for o, m in (await pool.view(clash)).offers}
        assert states == {"Dr Both": OfferState.WITHDRAWN, "Dr Next": OfferState.OPEN}, (
            "the clash's wave moves on now, not in half an hour"
        )
        assert {m.name: o.state for o, m in (await pool.view(later)).offers} == {"Dr Both": OfferState.OPEN}
        await pool.send(gp, "OFFERS")
        listing = (await pool.last(gp)).body
        assert "Hillview" in listing and "14:00" not in listing and "18:30" in listing, listing
        await pool.send(gp, f"YES {await pool.offer_code(gp, clash)}")
        assert (await pool.last(gp)).kind == "cannot_book" and "overlaps" in (await pool.last(gp)).body
    finally:
        await pool.close()


async def test_a_gp_cannot_accept_an_offer_made_to_someone_else(pool: Harness) -> None:
    offered, outsider = (
        await pool.gp("Dr Offered", localities=("Northside",)),
        await pool.gp("Dr Outsider", localities=("Southgate",)),
    )
    session = await pool.post(urgent=True)
    code = await pool.offer_code(offered, session)

    await pool.send(outsider, f"YES {code}")

    assert (await pool.view(session)).booked is None
    reply = await pool.last(outsider)
    assert reply.kind == "unknown_code"
    assert code in reply.body


async def test_the_same_inbound_id_twice_has_one_effect(pool: Harness) -> None:
    gp = await pool.gp()
    session = await pool.post(urgent=True)

    assert await pool.send(gp, "yes", external_id="SM-1") is True
    assert await pool.send(gp, "yes", external_id="SM-1") is False

    kinds = [m.kind for m in await pool.messages(gp)]
    assert kinds == ["offer", "booked", "info_pack"]
    assert (await pool.view(session)).booked.id == gp.id


async def test_yes_twice_books_once_and_says_so(pool: Harness) -> None:
    gp = await pool.gp()
    session = await pool.post(urgent=True)
    await pool.send(gp, "yes")
    await pool.send(gp, "yes")
    assert (await pool.last(gp)).kind == "already_booked"
    assert len([o for o, _ in (await pool.view(session)).offers if o.state == OfferState.ACCEPTED]) == 1


async def test_a_later_acceptor_is_told_kindly_and_others_see_it_filled(pool: Harness) -> None:
    poster = await pool.coordinator()
    first, second, third = await pool.gps(3)
    session = await pool.post(urgent=True, posted_by=poster)

    await pool.send(first, "yes")
    assert (await pool.last(second)).kind == "offer_withdrawn"
    await pool.send(second, "yes please")

    assert (await pool.last(second)).kind == "already_filled"
    assert "already been filled" in (await pool.last(second)).body
    assert (await pool.last(third)).kind == "offer_withdrawn"
    told = await pool.last(poster)
    assert told.kind == "poster_update" and first.name in told.body and session.code in told.body
    answers = {m.name: o for o, m in (await pool.view(session)).offers}
    assert answers[second.name].answer == "yes" and answers[second.name].state == OfferState.WITHDRAWN


async def test_the_info_pack_comes_only_the_first_time_at_a_practice(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.post(start=at(pool.tomorrow, 8, 30), urgent=True)
    await pool.send(gp, "yes")
    assert [m.kind for m in await pool.messages(gp)][-2:] == ["booked", "info_pack"]
    assert "Park in bay 4." in (await pool.last(gp)).body
    await pool.post(start=at(pool.tomorrow, 14, 0), urgent=True)
    await pool.send(gp, "yes")
    assert (await pool.last(gp)).kind == "booked"


async def test_acceptance_rechecks_the_weekly_cap(pool: Harness) -> None:
    gp = await pool.gp(max_sessions_per_week=1)
    morning = await pool.post(start=at(pool.tomorrow, 8, 30), urgent=True)
    afternoon = await pool.post(start=at(pool.tomorrow, 14, 0), urgent=True)
    await pool.send(gp, f"yes {await pool.offer_code(gp, morning)}")
    await pool.send(gp, f"yes {await pool.offer_code(gp, afternoon)}")
    assert (await pool.view(afternoon)).booked is None
    reply = await pool.last(gp)
    assert reply.kind == "cannot_book" and "limit of 1" in reply.body


async def test_with_two_open_offers_a_bare_yes_asks_which_and_changes_nothing(pool: Harness) -> None:
    gp = await pool.gp()
    morning = await pool.post(start=at(pool.tomorrow, 8, 30), urgent=True)
    afternoon = await pool.post(start=at(pool.tomorrow, 14, 0), urgent=True)

    await pool.send(gp, "yes")

    reply = await pool.last(gp)
    assert reply.kind == "clarify"
    for session in (morning, afternoon):
        assert await pool.offer_code(gp, session) in reply.body
        assert (await pool.view(session)).booked is None


async def test_a_change_of_mind_after_declining_books_while_it_is_open(pool: Harness) -> None:
    gp, _ = await pool.gps(2)
    session = await pool.post(urgent=True)
    code = await pool.offer_code(gp, session)
    await pool.send(gp, "no")
    await pool.send(gp, f"yes {code}")
    assert (await pool.view(session)).booked.id == gp.id


async def test_routine_sessions_go_in_waves_and_a_wave_of_declines_brings_the_next(tmp_path) -> None:
    from bot.policy import PoolPolicy

    pool = await Harness.open(tmp_path, policy=PoolPolicy(wave_size=2, wave_wait=timedelta(minutes=30)))
    try:
        await pool.practice()
        gps = await pool.gps(5)
        session = await pool.post()
        offered = lambda view: sorted(m.id for _, m in view.offers)  # noqa: E731
        assert offered(await pool.view(session)) == [gps[0].id, gps[1].id]

        await pool.advance(minutes=29)
        assert len((await pool.view(session)).offers) == 2
        await pool.advance(minutes=1)
        assert offered(await pool.view(session)) == [g.id for g in gps[:4]]

        # Both of wave 2 say no: wave 3 goes now, not in half an hour.
        await pool.send(gps[2], "no")
        await pool.send(gps[3], "no")
        assert len((await pool.view(session)).offers) == 4
        await pool.send(gps[0], "no")
        await pool.send(gps[1], "no")
        assert offered(await pool.view(session)) == [g.id for g in gps]
        waves = sorted({o.wave for o, _ in (await pool.view(session)).offers})
        assert waves == [1, 2, 3]
    finally:
        await pool.close()


async def test_a_filled_session_is_not_offered_again_when_its_wave_timer_fires(tmp_path) -> None:
    from bot.policy import PoolPolicy

    pool = await Harness.open(tmp_path, policy=PoolPolicy(wave_size=1, wave_wait=timedelta(minutes=30)))
    try:
        await pool.practice()
        first, _second = await pool.gps(2)
        session = await pool.post()
        await pool.send(first, "yes")
        await pool.advance(hours=2)
        assert len((await pool.view(session)).offers) == 1
    finally:
        await pool.close()


async def test_drop_reopens_and_reoffers_to_others_not_the_dropper(pool: Harness) -> None:
    poster = await pool.coordinator()
    dropper, other = await pool.gps(2)
    session = await pool.post(urgent=True, posted_by=poster)
    code = await pool.offer_code(dropper, session)
    await pool.send(dropper, "yes")

    await pool.send(dropper, f"DROP {code}")

    view = await pool.view(session)
    assert view.session.status == SessionStatus.OPEN and view.booked is None
    assert (await pool.last(dropper)).kind == "dropped"
    assert "given up" in (await pool.last(poster)).body
    reoffer = await pool.last(other)
    assert reoffer.kind == "offer"
    assert [m.id for o, m in view.offers if o.round == 2] == [other.id]
    await pool.send(other, "yes")
    assert (await pool.view(session)).booked.id == other.id


async def test_drop_needs_a_code_and_it_must_be_theirs(pool: Harness) -> None:
    gp, other = await pool.gps(2)
    session = await pool.post(urgent=True)
    code = await pool.offer_code(gp, session)
    await pool.send(gp, "yes")

    await pool.send(gp, "drop")
    assert (await pool.last(gp)).kind == "drop_which" and code in (await pool.last(gp)).body
    await pool.send(other, f"drop {code}")
    assert (await pool.last(other)).kind == "drop_unknown"
    assert (await pool.view(session)).booked.id == gp.id


async def test_a_session_cannot_be_dropped_once_started(pool: Harness) -> None:
    gp = await pool.gp()
    session = await pool.post(urgent=True, start=at(pool.today, 9, 0))
    code = await pool.offer_code(gp, session)
    await pool.send(gp, "yes")
    await pool.advance(hours=1, minutes=30)
    await pool.send(gp, f"DROP {code}")
    assert (await pool.view(session)).booked.id == gp.id


async def test_a_bare_yes_after_declining_books_nothing(pool: Harness) -> None:
    gp, _ = await pool.gps(2)
    session = await pool.post(urgent=True)
    code = await pool.offer_code(gp, session)
    await pool.send(gp, "No")
    for text in ("yes thanks", "ok yes", "YES"):
        await pool.send(gp, text)
        reply = await pool.last(gp)
        assert reply.kind == "already_declined", text
        assert f"reply YES {code}" in reply.body, "the way to change their mind is spelled out"
    assert (await pool.view(session)).booked is None


async def test_a_late_bare_yes_after_a_fill_is_told_it_has_gone(pool: Harness) -> None:
    first, second = await pool.gps(2)
    session = await pool.post(urgent=True)
    await pool.send(first, "yes")
    await pool.send(second, "yes")
    assert (await pool.last(second)).kind == "already_filled"
    assert (await pool.view(session)).booked.id == first.id


async def test_nothing_can_be_booked_once_the_session_has_started(pool: Harness) -> None:
    poster = await pool.coordinator()
    gp = await pool.gp()
    session = await pool.post(urgent=True, start=at(pool.today, 9, 0), posted_by=poster)
    code = await pool.offer_code(gp, session)
    await pool.advance(hours=1, minutes=5)

    view = await pool.view(session)
    assert view.session.status == SessionStatus.EXPIRED
    # Urgent offers close shortly before the start (expired, nobody told), then the session.
    assert {o.state for o, _ in view.offers} == {OfferState.EXPIRED}
    told = await pool.last(poster)
    assert "started without a GP" in told.body and session.code in told.body

    await pool.send(gp, f"yes {code}")
    assert (await pool.view(session)).booked is None
    assert (await pool.last(gp)).kind == "offer_expired"


async def test_waves_stop_at_the_start(tmp_path) -> None:
    from bot.policy import PoolPolicy

    pool = await Harness.open(tmp_path, policy=PoolPolicy(wave_size=1, wave_wait=timedelta(minutes=30)))
    try:
        await pool.practice()
        await pool.gps(5)
        session = await pool.post(start=at(pool.today, 8, 40))  # 40 minutes away, routine
        for _ in range(6):
            await pool.advance(minutes=30)
        assert len((await pool.view(session)).offers) == 2, "one wave at 08:00, one at 08:30, none after"
        assert (await pool.view(session)).session.status == SessionStatus.EXPIRED
    finally:
        await pool.close()


async def test_a_members_recent_codes_are_not_given_again(pool: Harness) -> None:
    first, second = await pool.gps(2)
    session = await pool.post(urgent=True)
    code = await pool.offer_code(second, session)
    await pool.send(first, "yes")  # second's offer is withdrawn, its code closed
    used = await pool.pool.store.reader().offers.codes_in_use(
        [second.id], pool.clock.now() - timedelta(days=30)
    )
    assert code in used[second.id]
