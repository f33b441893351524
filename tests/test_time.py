"""Time: quiet hours, offer expiry and the escalation plan, all on the injected clock."""

from __future__ import annotations

from datetime import date, time, timedelta

from bot.calendar import at_london, is_working_day, next_working_day, quiet_until
from bot.clock import LONDON
from bot.domain import OfferState
from bot.policy import PoolPolicy
from tests.harness import Harness, at


async def test_quiet_hours_hold_a_routine_offer_until_half_past_seven(pool: Harness) -> None:
    gp = await pool.gp()
    pool.clock.set(at(pool.today, 22, 0))
    await pool.post(start=at(pool.today + timedelta(days=1), 13, 0))
    assert await pool.messages(gp) == []
    pool.clock.set(at(pool.today + timedelta(days=1), 7, 29))
    await pool.pool.settle()
    assert await pool.messages(gp) == []
    pool.clock.set(at(pool.today, 7, 30))
    await pool.pool.settle()
    [offer] = await pool.messages(gp)
    assert offer.kind == "offer" and offer.sent_at.astimezone(LONDON).time() == time(7, 30)


async def test_an_urgent_offer_at_night_reaches_at_once_only_those_who_said_nights_on(pool: Harness) -> None:
    owl = await pool.gp("Dr Owl", urgent_at_night=True)
    lark = await pool.gp("Dr Lark")
    pool.clock.set(at(pool.today, 23, 15))
    await pool.post(start=at(pool.today + timedelta(days=1), 8, 30), urgent=True)
    assert [m.kind for m in await pool.messages(owl)] == ["offer"]
    assert await pool.messages(lark) == []
    pool.clock.set(at(pool.today, 7, 30) + timedelta(days=1))
    await pool.pool.settle()
    assert [m.kind for m in await pool.messages(lark)] == ["offer"], "the rest in the morning, in order"


async def test_someone_who_writes_at_night_is_answered_at_once(pool: Harness) -> None:
    gp = await pool.gp()
    pool.clock.set(at(pool.today, 23, 40))
    await pool.send(gp, "OFFERS")
    assert (await pool.last(gp)).kind == "offers_list"


async def test_a_gp_can_set_their_own_quiet_hours(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "QUIET OFF")
    assert "any time" in (await pool.last(gp)).body
    pool.clock.set(at(pool.today, 22, 30))
    await pool.post(start=at(pool.today + timedelta(days=2), 9, 0))
    assert (await pool.last(gp)).kind == "offer", "no quiet hours for them"
    await pool.send(gp, "QUIET 20:00-09:00")
    await pool.send(gp, "QUIET whenever")
    assert "QUIET 22:00-07:00" in (await pool.last(gp)).body, (
        "a bad value gets the how-to, and changes nothing"
    )
    assert (await pool.pool.store.reader().member(gp.id)).quiet_hours == "20:00-09:00"


async def test_a_routine_offer_expires_after_its_time_without_telling_anyone(pool: Harness) -> None:
    gp = await pool.gp()
    session = await pool.post(start=at(pool.today + timedelta(days=3), 9, 0))
    code = await pool.offer_code(gp, session)
    await pool.advance(hours=1, minutes=59)
    assert {o.state for o, _ in (await pool.view(session)).offers} == {OfferState.OPEN}
    sent = len(await pool.messages(gp))
    await pool.advance(minutes=1)
    assert {o.state for o, _ in (await pool.view(session)).offers} == {OfferState.EXPIRED}
    assert len(await pool.messages(gp)) == sent, "an expiry tells nobody anything new"
    await pool.send(gp, f"YES {code}")
    assert (await pool.view(session)).booked is None
    assert (await pool.last(gp)).kind == "offer_expired"


async def test_escalation_goes_to_the_poster_then_the_next_named_coordinator(tmp_path) -> None:
    pool = await Harness.open(
        tmp_path, policy=PoolPolicy(pool_name="Test Pool", escalation_contacts=("+447700900901",))
    )
    try:
        await pool.practice()
        poster = await pool.member("Pat Poster", phone="+447700900900", roles=("coordinator",))
        backup = await pool.member("Bea Backup", phone="+447700900901", roles=("coordinator",))
        await pool.gp()
        start = at(pool.today + timedelta(days=3), 9, 0)
        session = await pool.post(start=start, posted_by=poster)
        pool.clock.set(start - timedelta(hours=24, minutes=1))
        await pool.pool.settle()
        assert [m.kind for m in await pool.messages(poster)] == []
        pool.clock.set(start - timedelta(hours=24))
        await pool.pool.settle()
        alert = await pool.last(poster)
        assert alert.kind == "escalation" and "No GP holds the offer now" in alert.body
        assert [c.value for c in alert.choices] == [f"URGENT {session.code}"], "one tap to offer it to all"
        assert await pool.messages(backup) == []
        pool.clock.set(start - timedelta(hours=4))
        await pool.pool.settle()
        second = await pool.last(backup)
        assert second.kind == "escalation" and "Needs cover" in second.body and "Pat Poster" in second.body

        await pool.send(poster, f"URGENT {session.code}")  # the one tap works from the alert
        assert (await pool.last(poster)).kind == "urgent_sent"
    finally:
        await pool.close()


async def test_a_session_filled_between_steps_alerts_nobody(pool: Harness) -> None:
    poster = await pool.coordinator()
    gp = await pool.gp()
    start = at(pool.today + timedelta(days=3), 9, 0)
    session = await pool.post(start=start, posted_by=poster)
    await pool.send(gp, f"YES {await pool.offer_code(gp, session)}")
    pool.clock.set(start - timedelta(hours=1))
    await pool.pool.settle()
    assert "escalation" not in [m.kind for m in await pool.messages(poster)]


def test_the_calendar_knows_bank_holidays_and_the_clock_changes() -> None:
    assert not is_working_day(date(2026, 12, 28))  # Boxing Day, observed
    assert next_working_day(date(2026, 12, 24)) == date(2026, 12, 29)
    assert next_working_day(date(2027, 3, 25)) == date(2027, 3, 30)  # Good Friday, Easter Monday
    # 18:00 London is 18:00 UTC in winter and 17:00 UTC in summer.
    assert at_london(date(2027, 3, 27), time(18)).hour == 18
    assert at_london(date(2027, 3, 28), time(18)).hour == 17
    assert at_london(date(2027, 10, 31), time(18)).hour == 18
    night = at_london(date(2027, 3, 27), time(23))
    assert quiet_until(night, time(21), time(7, 30)) == at_london(date(2027, 3, 28), time(7, 30))
