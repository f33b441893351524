"""Keywords on every channel: PAUSE and RESUME, STOP and START, lists, unknown senders."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.dates import parse_day
from bot.domain import OfferState
from bot.policy import PoolPolicy
from tests.harness import Harness, at

TODAY = date(2026, 12, 1)  # a Tuesday


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("2026-12-20", date(2026, 12, 20)),
        ("20/12", date(2026, 12, 20)),
        ("20/12/2026", date(2026, 12, 20)),
        ("20.12.26", date(2026, 12, 20)),
        ("until 20 dec", date(2026, 12, 20)),
        ("till 20th December", date(2026, 12, 20)),
        ("dec 20", date(2026, 12, 20)),
        ("5 jan", date(2027, 1, 5)),
        ("friday", date(2026, 12, 4)),
        ("until tuesday", date(2026, 12, 1)),  # today is a Tuesday
        ("tomorrow", date(2026, 12, 2)),
        ("31/02", None),
        ("next blue moon", None),
        ("", None),
    ],
)
def test_days_as_gps_type_them(text: str, meant: date | None) -> None:
    assert parse_day(text, TODAY) == meant


async def test_pause_hands_held_offers_on_and_resume_brings_open_sessions_back(tmp_path) -> None:
    pool = await Harness.open(tmp_path, policy=PoolPolicy(wave_size=1, wave_wait=timedelta(minutes=30)))
    try:
        await pool.practice()
        gp, other = await pool.gps(2)
        session = await pool.post()  # routine: one GP a wave, and gp ranks first
        assert [m.id for _, m in (await pool.view(session)).offers] == [gp.id]

        await pool.send(gp, "PAUSE 10/12")

        reply = await pool.last(gp)
        assert reply.kind == "paused" and "Thu 10 Dec" in reply.body
        offers = {m.id: o.state for o, m in (await pool.view(session)).offers}
        assert offers == {gp.id: OfferState.WITHDRAWN, other.id: OfferState.OPEN}, "the next wave goes now"
        later = await pool.post(start=at(date(2026, 12, 15), 9), urgent=True)
        assert gp.id not in {m.id for _, m in (await pool.view(later)).offers}

        await pool.send(gp, "resume")
        kinds = [m.kind for m in await pool.messages(gp)]
        assert kinds[-2:] == ["resumed", "offer"], "the open session they fit reaches them now"
        assert gp.id in {m.id for _, m in (await pool.view(later)).offers}
        still_open = [m.id for o, m in (await pool.view(session)).offers if o.state == OfferState.OPEN]
        assert still_open == [other.id]
    finally:
        await pool.close()


async def test_when_a_pause_ends_open_sessions_reach_the_gp(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "PAUSE tomorrow")
    later = await pool.post(start=at(date(2026, 12, 9), 9), urgent=True)
    assert gp.id not in {m.id for _, m in (await pool.view(later)).offers}
    pool.clock.set(at(date(2026, 12, 3), 7, 59))
    await pool.pool.settle()
    assert (await pool.last(gp)).kind == "paused"
    await pool.advance(minutes=1)  # 08:00 the morning after the last day away
    assert (await pool.last(gp)).kind == "offer"
    assert gp.id in {m.id for _, m in (await pool.view(later)).offers}


async def test_pause_without_a_usable_day_asks_and_changes_nothing(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "pause")
    assert (await pool.last(gp)).kind == "pause_which_day"
    await pool.send(gp, "pause 1/1/2020")
    assert "passed" in (await pool.last(gp)).body
    assert (await pool.pool.store.reader().members.member(gp.id)).paused_until is None


async def test_a_paused_gp_who_accepts_is_told_to_resume_first(pool: Harness) -> None:
    gp = await pool.gp()
    session = await pool.post(urgent=True)
    code = await pool.offer_code(gp, session)
    async with pool.pool.store.unit_of_work() as uow:
        await uow.members.set_paused_until(gp.id, date(2026, 12, 5))
    await pool.send(gp, f"yes {code}")
    assert (await pool.last(gp)).kind == "cannot_book" and "RESUME" in (await pool.last(gp)).body
    assert (await pool.view(session)).booked is None


async def test_stop_opts_out_of_that_channel_and_start_opts_back_in(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "STOP")
    assert (await pool.last(gp)).kind == "opted_out"
    before = len(await pool.messages(gp))

    session = await pool.post(urgent=True)
    assert gp.id not in {m.id for _, m in (await pool.view(session)).offers}
    await pool.send(gp, "HELP")
    assert len(await pool.messages(gp)) == before, "nothing at all reaches an opted-out member"

    await pool.send(gp, "START")
    kinds = [m.kind for m in await pool.messages(gp)][before:]
    assert kinds == ["opted_in", "offer"], "welcome back, and the open session she missed"
    again = await pool.post(start=at(pool.tomorrow, 14), urgent=True)
    assert gp.id in {m.id for _, m in (await pool.view(again)).offers}


async def test_offers_and_bookings_list_with_their_codes(pool: Harness) -> None:
    gp = await pool.gp()
    morning = await pool.post(start=at(pool.tomorrow, 8, 30), urgent=True)
    afternoon = await pool.post(start=at(pool.tomorrow, 14), urgent=True)
    await pool.send(gp, "offers")
    listed = (await pool.last(gp)).body
    assert await pool.offer_code(gp, morning) in listed and await pool.offer_code(gp, afternoon) in listed
    await pool.send(gp, f"yes {await pool.offer_code(gp, morning)}")
    await pool.send(gp, "BOOKINGS")
    booked = (await pool.last(gp)).body
    assert f"{await pool.offer_code(gp, morning)} Wed 2 Dec 08:30 Riverside Surgery" in booked


async def test_settings_shows_what_the_gp_set(pool: Harness) -> None:
    gp = await pool.gp(max_sessions_per_week=3, days=("mon", "tue-am"), localities=("Northside",))
    await pool.send(gp, "SETTINGS")
    body = (await pool.last(gp)).body
    assert "Sessions a week: 3" in body and "mon, tue-am" in body and "Northside" in body


async def test_an_unknown_sender_gets_one_polite_reply_a_day(pool: Harness) -> None:
    stranger = "07700 900888"
    await pool.send(stranger, "hello?")
    await pool.send(stranger, "YES")
    messages = await pool.messages(stranger)
    assert [m.kind for m in messages] == ["unknown_sender"]
    assert "ask your pool coordinator to add you" in messages[0].body
    await pool.advance(hours=25)
    await pool.send(stranger, "hello again")
    assert [m.kind for m in await pool.messages(stranger)] == ["unknown_sender", "unknown_sender"]


async def test_help_fits_in_two_text_segments(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "HELP")
    assert len((await pool.last(gp)).body) <= 306
