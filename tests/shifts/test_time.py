"""Time: quiet hours, offer expiry and the escalation plan, all on the injected clock."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta

import httpx
import pytest
from typer.testing import CliRunner

import main
from bot.calendar import at_london, is_working_day, next_working_day, quiet_until
from bot.clock import LONDON, FakeClock
from bot.commands import RecordDelivery
from bot.domain import CHECK_KINDS, OfferState
from bot.policy import PoolPolicy
from flows.desk import imports
from tests.harness import AUTH, START, Harness, at


def london_day(moment):
    return moment.astimezone(LONDON).date()


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


async def test_the_poster_is_told_when_offers_are_held_by_quiet_hours(
    pool: Harness, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await pool.gp()
    pool.clock.set(at(pool.today, 22, 0))
    morning = at(pool.tomorrow, 7, 30)
    day = pool.today + timedelta(days=2)
    body = {"practice": "X10001", "start": at(day, 9, 0).isoformat(), "end": at(day, 13, 0).isoformat(),
            "rate_pence": 32000}  # fmt: skip
    posted = (await client.post("/api/sessions", json=body, headers=AUTH)).json()
    assert datetime.fromisoformat(posted["offers_from"]) == morning

    monkeypatch.setattr(main, "SystemClock", lambda: pool.clock)  # the CLI at 22:00 too
    printed = await asyncio.to_thread(
        CliRunner().invoke,
        main.cli,
        ["post-session", "--practice", "X10001", "--start", f"{day}T14:00", "--end", f"{day}T18:00",
         "--rate-pence", "32000"],
        env={"POOL_DATABASE": str(pool.database)},
    )  # fmt: skip
    assert printed.exit_code == 0, printed.output
    assert printed.output.splitlines()[1] == "It's quiet hours, so the offers wait until 07:30 on Wed 2 Dec."

    text = f"practice,start,end,rate_pence,urgent,notes,repeat_weeks\nX10001,{day}T18:30,{day}T20:00,32000,no,,\n"
    imported = await pool.pool.engine.run(
        "test", lambda turn: imports.import_sessions(turn, imports.read_csv("sessions", text))
    )
    assert imported.notes == ["It's quiet hours, so the offers wait until 07:30 on Wed 2 Dec."]

    pool.clock.set(at(pool.tomorrow, 9, 0))
    by_day = {**body, "start": at(day, 19, 0).isoformat(), "end": at(day, 21, 0).isoformat()}
    assert (await client.post("/api/sessions", json=by_day, headers=AUTH)).json()["offers_from"] is None


async def test_chat_and_the_sandbox_stamp_a_held_message_with_when_it_went(
    pool: Harness, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    gp = await pool.gp("Dr Maya Patel")
    pool.clock.set(at(pool.today, 22, 0))
    await pool.post(start=at(pool.today + timedelta(days=2), 9, 0))  # written at 22:00, held
    pool.clock.set(at(pool.tomorrow, 7, 30))
    await pool.pool.settle()  # sent at 07:30, when quiet hours end
    pool.clock.set(at(pool.today, 7, 45))  # and read a little later

    monkeypatch.setattr(main, "SystemClock", lambda: pool.clock)
    chat = await asyncio.to_thread(
        CliRunner().invoke, main.cli, ["chat", "--as", gp.phone], env={"POOL_DATABASE": str(pool.database)}
    )
    assert chat.exit_code == 0, chat.output
    assert "[07:30] bot: GP session at Riverside Surgery" in chat.output and "[22:00]" not in chat.output
    [offer] = (await client.get("/sandbox/outbox", params={"to": gp.phone}, headers=AUTH)).json()["messages"]
    assert datetime.fromisoformat(offer["at"]) == at(pool.today, 7, 30)


async def test_an_urgent_session_at_night_with_a_nights_on_gp_is_offered_now(
    pool: Harness, client: httpx.AsyncClient
) -> None:
    await pool.gp("Dr Lark")
    pool.clock.set(at(pool.today, 23, 0))
    body = {"practice": "X10001", "start": at(pool.tomorrow, 9, 0).isoformat(),
            "end": at(pool.tomorrow, 13, 0).isoformat(), "rate_pence": 32000, "urgent": True}  # fmt: skip
    held = (await client.post("/api/sessions", json=body, headers=AUTH)).json()
    assert datetime.fromisoformat(held["offers_from"]) == at(pool.tomorrow, 7, 30)
    await pool.gp("Dr Owl", urgent_at_night=True)
    later = {
        **body,
        "start": at(pool.tomorrow, 14, 0).isoformat(),
        "end": at(pool.tomorrow, 18, 0).isoformat(),
    }
    assert (await client.post("/api/sessions", json=later, headers=AUTH)).json()["offers_from"] is None


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
    assert (await pool.pool.store.reader().members.member(gp.id)).quiet_hours == "20:00-09:00"


async def test_a_routine_offer_lapses_after_its_time_without_telling_anyone_and_a_yes_still_takes_it(
    pool: Harness,
) -> None:
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
    assert (await pool.view(session)).booked.id == gp.id, "a lapsed offer is not a no (issue 18)"


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
        assert alert.kind == "escalation_notice" and "No GP holds the offer now" in alert.body
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
    assert not [m for m in await pool.messages(poster) if m.kind.startswith("escalation")]


async def test_an_escalation_counts_only_the_offers_still_open(pool: Harness) -> None:
    poster = await pool.coordinator()
    await pool.gps(10)  # two waves of five
    pool.clock.set(at(pool.today, 12, 0))
    # Posted 21 hours ahead: the poster hears once the first wave's time is up (14:00), at the
    # very moment those five offers lapse.
    session = await pool.post(start=at(pool.tomorrow, 9, 0), posted_by=poster)
    pool.clock.set(at(pool.today, 14, 0))
    await pool.pool.settle()
    [alert] = [m for m in await pool.messages(poster) if m.kind == "escalation_notice"]
    still_open = [o for o, _ in (await pool.view(session)).offers if o.state == OfferState.OPEN]
    assert len(still_open) == 5 and len((await pool.view(session)).offers) == 10
    assert "5 GPs yet to answer" in alert.body, alert.body


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


# -- reminders and hours ----------------------------------------------------------------------------


async def booked(pool: Harness, start, gp=None):
    gp = gp or await pool.gp()
    session = await pool.post(start=start, urgent=True)
    await pool.send(gp, f"YES {await pool.offer_code(gp, session)}")
    return gp, session


async def test_the_evening_before_a_booking_the_gp_is_reminded_with_the_address(pool: Harness) -> None:
    gp, _ = await booked(pool, at(pool.today + timedelta(days=2), 9, 0))
    pool.clock.set(at(pool.today + timedelta(days=1), 17, 59))
    await pool.pool.settle()
    assert (await pool.last(gp)).kind != "reminder"
    pool.clock.set(at(pool.today, 18, 0))
    await pool.pool.settle()
    reminder, pack = (await pool.messages(gp))[-2:]
    assert reminder.kind == "reminder" and "1 Quay St" in reminder.body
    # A first visit: the practice's notes whole, in their own text, never cut to fit the reminder.
    assert pack.kind == "info_pack" and pack.body.endswith("Park in bay 4.")


@pytest.mark.parametrize(
    ("session_day", "utc_hour"),
    [(date(2027, 3, 29), 17), (date(2027, 3, 28), 18), (date(2027, 11, 1), 18), (date(2027, 10, 31), 17)],
)
async def test_the_reminder_stays_at_six_in_the_evening_across_the_clock_changes(
    tmp_path, session_day: date, utc_hour: int
) -> None:
    # The clocks go forward on Sunday 28 March 2027 and back on Sunday 31 October 2027.
    pool = await Harness.open(tmp_path, clock=FakeClock(at(session_day - timedelta(days=5), 10, 0)))
    try:
        await pool.practice()
        gp, _ = await booked(pool, at(session_day, 9, 0))
        evening = at(session_day - timedelta(days=1), 18, 0)
        pool.clock.set(evening - timedelta(minutes=1))
        await pool.pool.settle()
        assert "reminder" not in [m.kind for m in await pool.messages(gp)]
        pool.clock.set(evening)
        await pool.pool.settle()
        [reminder] = [m for m in await pool.messages(gp) if m.kind == "reminder"]
        assert reminder.sent_at.astimezone(LONDON).time() == time(18, 0)
        assert reminder.sent_at.hour == utc_hour
    finally:
        await pool.close()


@pytest.mark.parametrize(
    ("typed", "hours"), [("4", 4.0), ("4.5 hrs", 4.5), ("4h30", 4.5), ("3 hours 45 mins", 3.75)]
)
async def test_the_hours_a_gp_types_record_the_session_delivered(
    pool: Harness, typed: str, hours: float
) -> None:
    gp, session = await booked(pool, at(pool.today, 13, 0))
    pool.clock.set(session.ends_at)
    await pool.pool.settle()
    prompt = await pool.last(gp)
    assert prompt.kind == "hours_prompt" and "go ahead" in prompt.body
    await pool.send(gp, typed)
    assert (await pool.view(session)).session.delivered_hours == hours
    assert (await pool.last(gp)).kind == "hours_noted"


async def test_no_means_it_did_not_go_ahead_and_the_practice_hears(pool: Harness) -> None:
    poster = await pool.coordinator()
    gp = await pool.gp()
    session = await pool.post(start=at(pool.today, 13, 0), urgent=True, posted_by=poster)
    await pool.send(gp, f"YES {await pool.offer_code(gp, session)}")
    pool.clock.set(session.ends_at)
    await pool.pool.settle()
    await pool.send(gp, "no")
    assert (await pool.view(session)).session.delivered_hours is None
    assert "didn't go ahead" in (await pool.last(poster)).body


async def test_more_hours_than_the_session_could_take_are_questioned(pool: Harness) -> None:
    gp, session = await booked(pool, at(pool.today, 13, 0))
    pool.clock.set(session.ends_at)
    await pool.pool.settle()
    await pool.send(gp, "40")
    assert (await pool.last(gp)).kind == "hours_how"
    assert (await pool.view(session)).session.delivered_hours is None


async def test_an_unanswered_question_gets_one_reminder_then_goes_to_the_coordinators(pool: Harness) -> None:
    poster = await pool.coordinator()
    gp = await pool.gp()
    # Thursday 24 December: the next working days are Tuesday 29 and Wednesday 30 December.
    pool.clock.set(at(date(2026, 12, 22), 9, 0))
    session = await pool.post(start=at(date(2026, 12, 24), 9, 0), urgent=True, posted_by=poster)
    await pool.send(gp, f"YES {await pool.offer_code(gp, session)}")
    pool.clock.set(session.ends_at)
    await pool.pool.settle()
    assert (await pool.last(gp)).kind == "hours_prompt"
    pool.clock.set(at(date(2026, 12, 29), 9, 59))
    await pool.pool.settle()
    assert [m.kind for m in await pool.messages(gp)].count("hours_nudge") == 0
    pool.clock.set(at(date(2026, 12, 29), 10, 0))
    await pool.pool.settle()
    assert (await pool.last(gp)).kind == "hours_nudge"
    pool.clock.set(at(date(2026, 12, 30), 10, 0))
    await pool.pool.settle()
    assert "Please record it" in (await pool.last(poster)).body
    assert [m.kind for m in await pool.messages(gp)].count("hours_nudge") == 1
    await pool.send(gp, "4")
    assert (await pool.view(session)).session.delivered_hours is None, "the question is the coordinators' now"


async def test_a_bare_answer_that_fits_two_open_questions_is_asked_about(pool: Harness) -> None:
    gp = await pool.gp()
    first = await pool.post(start=at(pool.today, 9, 0), urgent=True)
    await pool.send(gp, f"YES {await pool.offer_code(gp, first)}")
    second = await pool.post(start=at(pool.today, 14, 0), urgent=True)
    await pool.send(gp, f"YES {await pool.offer_code(gp, second)}")
    pool.clock.set(second.ends_at)
    await pool.pool.settle()
    await pool.send(gp, "4")
    asked = await pool.last(gp)
    assert asked.kind == "clarify" and asked.body.count("4 ") >= 2
    assert (await pool.view(first)).session.delivered_hours is None
    third = await pool.post(start=at(pool.today + timedelta(days=2), 9, 0), urgent=True)
    await pool.send(gp, "no")
    assert (await pool.last(gp)).kind == "clarify", "a bare NO could be the offer or a session"
    assert (await pool.view(third)).offers[0][0].state == OfferState.OPEN


# -- checks over time --------------------------------------------------------------------------------


async def test_a_gp_is_reminded_30_and_7_days_before_a_check_expires_and_no_more(pool: Harness) -> None:
    expires = pool.today + timedelta(days=40)
    gp = await pool.gp(checks={**dict.fromkeys(CHECK_KINDS), "dbs": expires})
    coordinator = await pool.coordinator()
    for day in range(45):
        pool.clock.set(at(START.date() + timedelta(days=day), 9, 0))
        await pool.pool.settle()
    reminders = [m for m in await pool.messages(gp) if m.kind == "check_reminder"]
    assert [london_day(m.sent_at) for m in reminders] == [
        expires - timedelta(days=30),
        expires - timedelta(days=7),
    ]
    assert "DBS check" in reminders[0].body
    digests = [m for m in await pool.messages(coordinator) if m.kind == "checks_digest"]
    # Weekly, on the first working day: Monday 28 December 2026 is a bank holiday.
    assert [london_day(m.sent_at) for m in digests] == [
        date(2026, 12, 14),
        date(2026, 12, 21),
        date(2026, 12, 29),
        date(2027, 1, 4),
        date(2027, 1, 11),
    ]
    assert "1 lapsed" in digests[-1].body


async def test_after_days_down_the_sweep_catches_up_once(pool: Harness) -> None:
    gp = await pool.gp(checks={**dict.fromkeys(CHECK_KINDS), "gmc": pool.today + timedelta(days=20)})
    await pool.close()
    pool.clock.set(at(pool.today + timedelta(days=5), 12, 0))  # the 30-day mark passed while down
    reopened = await Harness.open(pool.folder, clock=pool.clock)
    try:
        await reopened.pool.settle()
        await reopened.pool.settle()
        assert [m.kind for m in await reopened.messages(gp)].count("check_reminder") == 1
    finally:
        await reopened.close()


async def test_a_lapsed_check_stops_offers_for_sessions_from_that_date(pool: Harness) -> None:
    lapses = pool.today + timedelta(days=3)
    gp = await pool.gp(checks={**dict.fromkeys(CHECK_KINDS), "indemnity": lapses})
    before = await pool.post(start=at(lapses - timedelta(days=1), 9, 0), urgent=True)
    after = await pool.post(start=at(lapses, 9, 0), urgent=True)
    assert gp.id in {m.id for _, m in (await pool.view(before)).offers}
    assert gp.id not in {m.id for _, m in (await pool.view(after)).offers}


# -- restarts -------------------------------------------------------------------------------------------


async def test_a_restart_in_the_middle_of_a_cascade_loses_and_repeats_nothing(tmp_path) -> None:
    policy = PoolPolicy(pool_name="Test Pool", wave_size=1, wave_wait=timedelta(minutes=30))
    pool = await Harness.open(tmp_path, policy=policy)
    await pool.practice()
    gps = await pool.gps(4)
    session = await pool.post(start=at(pool.today + timedelta(days=3), 9, 0))
    await pool.advance(minutes=30)
    await pool.close()  # stopped after the second wave
    pool.clock.advance(timedelta(minutes=50))  # the third wave fell due while down
    restarted = await Harness.open(tmp_path, clock=pool.clock, policy=policy)
    try:
        await restarted.pool.settle()
        await restarted.advance(minutes=30)
        await restarted.advance(minutes=30)
        offered = [m.id for _, m in (await restarted.view(session)).offers]
        assert offered == [g.id for g in gps], "each GP offered once, in order"
        for gp in gps:
            assert [m.kind for m in await restarted.messages(gp)].count("offer") == 1
    finally:
        await restarted.close()


# -- found in review -------------------------------------------------------------------------------


async def test_an_offer_made_at_night_is_still_open_when_the_gp_can_read_it(pool: Harness) -> None:
    gps = await pool.gps(12)
    pool.clock.set(at(pool.today, 22, 0))
    session = await pool.post(start=at(pool.today + timedelta(days=2), 13, 0))
    pool.clock.set(at(pool.today + timedelta(days=1), 7, 30))
    await pool.pool.settle()
    first = gps[0]
    assert [m.kind for m in await pool.messages(first)] == ["offer"]
    assert {o.state for o, _ in (await pool.view(session)).offers} == {OfferState.OPEN}, (
        "no wave ran overnight"
    )
    await pool.advance(minutes=20)
    await pool.send(first, f"YES {await pool.offer_code(first, session)}")
    assert (await pool.view(session)).booked.id == first.id


async def test_a_late_offer_gets_its_own_full_time(pool: Harness) -> None:
    early, late = await pool.gp(), await pool.gp()
    await pool.send(late, "PAUSE tomorrow")
    session = await pool.post(start=at(pool.today + timedelta(days=3), 9, 0))
    await pool.advance(hours=1, minutes=50)
    await pool.send(late, "RESUME")  # open sessions reach them now, in the latest wave
    await pool.advance(minutes=10)  # the first offers' time is up
    states = {m.id: o.state for o, m in (await pool.view(session)).offers}
    assert states == {early.id: OfferState.EXPIRED, late.id: OfferState.OPEN}
    await pool.advance(hours=1, minutes=50)
    assert {m.id: o.state for o, m in (await pool.view(session)).offers}[late.id] == OfferState.EXPIRED


async def test_once_a_coordinator_records_the_hours_nobody_asks_again(pool: Harness) -> None:
    poster = await pool.coordinator()
    gp = await pool.gp()
    session = await pool.post(start=at(pool.today, 13, 0), urgent=True, posted_by=poster)
    await pool.send(gp, f"YES {await pool.offer_code(gp, session)}")
    pool.clock.set(session.ends_at)
    await pool.pool.settle()
    await pool.pool.engine.execute(RecordDelivery(session.code, 4), actor="test")
    for day in (2, 3, 4):
        pool.clock.set(
            at(pool.today + timedelta(days=1), 10, 0) if day == 2 else pool.clock.now() + timedelta(days=1)
        )
        await pool.pool.settle()
    assert "hours_nudge" not in [m.kind for m in await pool.messages(gp)]
    assert not any("Please record it" in (m.body or "") for m in await pool.messages(poster))


async def test_a_digest_due_while_the_server_was_down_goes_at_the_next_start(pool: Harness) -> None:
    coordinator = await pool.coordinator()
    await pool.gp(checks={**dict.fromkeys(CHECK_KINDS), "dbs": date(2026, 12, 20)})
    pool.clock.set(at(date(2026, 12, 6), 12, 0))  # Sunday
    await pool.pool.settle()
    await pool.close()
    pool.clock.set(at(date(2026, 12, 8), 11, 0))  # down all Monday 7 December
    reopened = await Harness.open(pool.folder, clock=pool.clock)
    try:
        await reopened.pool.settle()
        digests = [m for m in await reopened.messages(coordinator) if m.kind == "checks_digest"]
        assert [london_day(m.sent_at) for m in digests][-1] == date(2026, 12, 8)
    finally:
        await reopened.close()


def test_hours_are_read_as_people_write_them_and_nothing_is_guessed() -> None:
    from bot.replies import Hours, parse

    assert parse("4.30") == Hours(4.5) and parse("3.45") == Hours(3.75) and parse("4.25") == Hours(4.25)
    assert not isinstance(parse("4.20"), Hours) and not isinstance(parse("1 2"), Hours)


async def test_the_weekly_digest_names_clinicians_with_a_check_missing_altogether(pool: Harness) -> None:
    coordinator = await pool.coordinator()
    await pool.gp("Dr Unrecorded", checks={k: None for k in CHECK_KINDS if k != "dbs"})
    await pool.gp("Dr Complete")
    pool.clock.set(at(date(2026, 12, 7), 9, 0))  # Monday: the digest's day
    await pool.pool.settle()
    [digest] = [m for m in await pool.messages(coordinator) if m.kind == "checks_digest"]
    assert digest.body.startswith("Checks: 0 lapsed, 0 expiring within 30 days, missing for 1.")
    assert "Dr Unrecorded: no DBS check on record" in digest.body and "Dr Complete" not in digest.body
