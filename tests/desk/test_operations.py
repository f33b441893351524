"""Running a pool: availability, booking by hand, cancelling, urgent re-broadcast, practices'
preferences, GP settings by message, and the inbox answered through the bot."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import httpx
import pytest
from typer.testing import CliRunner

from bot.commands import AnswerInbox, BookByHand, BroadcastUrgent, CancelSession, SetPracticePreference
from bot.domain import CHECK_KINDS, OfferState, SessionStatus
from bot.errors import Refused
from bot.phones import national
from bot.policy import PoolPolicy
from flows.shifts.availability import parse_availability
from main import cli
from tests.harness import AUTH, Harness, at

TODAY = date(2026, 12, 1)  # a Tuesday


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("tue pm", (date(2026, 12, 1), {"pm"})),  # today is a Tuesday, and it is 07:00
        ("tue all", (date(2026, 12, 1), {"am", "pm"})),
        ("2026-12-03 all", (date(2026, 12, 3), {"am", "pm"})),
        ("tomorrow morning", (date(2026, 12, 2), {"am"})),
        ("fri", (date(2026, 12, 4), {"am", "pm"})),
        ("3/12 afternoon", (date(2026, 12, 3), {"pm"})),
        ("thursday all day", (date(2026, 12, 3), {"am", "pm"})),
        ("Friday, am", (date(2026, 12, 4), {"am"})),
        ("pm", None),
        ("someday", None),
    ],
)
def test_availability_as_gps_type_it(text: str, meant: tuple | None) -> None:
    parsed = parse_availability(text, at(TODAY, 7, 0))
    assert (parsed and (parsed[0], set(parsed[1]))) == (meant or None)


@pytest.mark.parametrize(
    ("text", "hour", "meant"),
    [
        ("tue all", 19, (date(2026, 12, 8), {"am", "pm"})),  # the evening: next Tuesday
        ("tuesday pm", 13, (date(2026, 12, 8), {"pm"})),
        ("tue am", 10, (date(2026, 12, 8), {"am"})),
        ("tue all", 10, (date(2026, 12, 1), {"pm"})),  # the morning has begun, the afternoon not
        ("tue pm", 12, (date(2026, 12, 1), {"pm"})),
        ("today pm", 19, (date(2026, 12, 1), {"pm"})),  # a date said outright is the day said
        ("1/12 am", 19, (date(2026, 12, 1), {"am"})),
    ],
)
def test_a_bare_weekday_on_that_day_means_a_half_not_yet_begun(text: str, hour: int, meant: tuple) -> None:
    parsed = parse_availability(text, at(TODAY, hour, 0))
    assert parsed is not None and (parsed[0], set(parsed[1])) == meant


async def test_available_tue_all_on_a_tuesday_evening_is_next_tuesday(pool: Harness) -> None:
    gp = await pool.gp()
    pool.clock.set(at(TODAY, 19, 30))  # a Tuesday evening
    await pool.send(gp, "AVAILABLE tue all")
    assert (await pool.last(gp)).body.startswith("Thanks: you're down as available Tue 8 Dec, all day.")
    reader = pool.pool.store.reader()
    for half in ("am", "pm"):
        assert await reader.members.available_members(TODAY, half) == [], "not today: it is over"
        assert [m.id for m in await reader.members.available_members(date(2026, 12, 8), half)] == [gp.id]


async def test_available_offers_open_sessions_that_fit_at_once(tmp_path) -> None:
    pool = await Harness.open(tmp_path, policy=PoolPolicy(wave_size=1))
    try:
        await pool.practice()
        first, free = await pool.gps(2)
        thursday_pm = await pool.post(start=at(date(2026, 12, 3), 13, 30))  # routine: only `first`
        thursday_am = await pool.post(start=at(date(2026, 12, 3), 8, 30))
        friday = await pool.post(start=at(date(2026, 12, 4), 13, 30))
        assert free.id not in {m.id for _, m in (await pool.view(thursday_pm)).offers}
        first_got = len(await pool.messages(first))

        await pool.send(free, "AVAILABLE thu pm")

        kinds = [m.kind for m in await pool.messages(free)]
        assert kinds == ["available_noted", "offer"]
        assert "1 open session fits" in (await pool.messages(free))[0].body
        assert free.id in {m.id for _, m in (await pool.view(thursday_pm)).offers}
        assert free.id not in {m.id for _, m in (await pool.view(thursday_am)).offers}
        assert free.id not in {m.id for _, m in (await pool.view(friday)).offers}
        assert len(await pool.messages(first)) == first_got, "nobody else hears anything"
        people = await pool.pool.store.reader().members.available_members(date(2026, 12, 3), "pm")
        assert [m.id for m in people] == [free.id]
    finally:
        await pool.close()


async def test_a_later_session_that_fits_reaches_the_available_gp_first(tmp_path) -> None:
    pool = await Harness.open(tmp_path, policy=PoolPolicy(wave_size=1))
    try:
        await pool.practice()
        _, _, free = await pool.gps(3)
        await pool.send(free, "available 2026-12-03 all")
        later = await pool.post(start=at(date(2026, 12, 3), 9))
        assert [m.id for _, m in (await pool.view(later)).offers] == [free.id]
    finally:
        await pool.close()


async def test_available_without_a_day_asks_and_changes_nothing(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "AVAILABLE")
    assert (await pool.last(gp)).kind == "available_how"
    await pool.send(gp, "available 1/1/2020 am")
    assert "passed" in (await pool.last(gp)).body
    assert await pool.pool.store.reader().members.available_members(date(2020, 1, 1), "am") == []


async def test_booking_by_hand_goes_through_the_same_checks(pool: Harness) -> None:
    coordinator = await pool.coordinator()
    manager = await pool.member("Tom Reilly", roles=("practice:X10001",))
    gp = await pool.gp("Dr Hand", registration_number="GMC 7000001")
    holder = await pool.gp("Dr Holder")
    morning = await pool.post(start=at(pool.tomorrow, 8, 30), urgent=True)
    clash = await pool.post(start=at(pool.tomorrow, 10), urgent=True)

    booking = await pool.pool.engine.execute(
        BookByHand(morning.code, "07700 900003", coordinator.id), actor="test"
    )
    await pool.pool.settle()

    assert (await pool.view(morning)).booked.id == gp.id
    assert booking.code == await pool.offer_code(gp, morning), "their own offer is the one taken"
    told = [m.kind for m in await pool.messages(gp)]
    assert (
        told[-2:] == ["booked", "info_pack"]
        and "The pool has booked you" in (await pool.messages(gp))[-2].body
    )
    assert (await pool.last(holder)).kind == "offer_withdrawn"
    practice_told = await pool.last(manager)
    assert "Dr Hand (GP, GMC 7000001), 07700 900003, is booked" in practice_told.body

    with pytest.raises(Refused) as clashed:
        await pool.pool.engine.execute(BookByHand(clash.code, gp.phone, coordinator.id), actor="test")
    assert "already booked for a session at that time" in clashed.value.message
    assert (await pool.view(clash)).booked is None

    lapsed = await pool.gp(
        "Dr Lapsed", checks={k: (date(2026, 12, 1) if k == "dbs" else None) for k in CHECK_KINDS}
    )
    with pytest.raises(Refused) as unchecked:
        await pool.pool.engine.execute(BookByHand(clash.code, lapsed.phone, coordinator.id), actor="test")
    # Which check, and since when: the coordinator can chase the right document.
    assert unchecked.value.message.startswith("Dr Lapsed can't be booked for ")
    assert unchecked.value.message.endswith(": DBS check lapsed Tue 1 Dec.")
    unrecorded = await pool.gp(
        "Dr Unrecorded", checks={k: None for k in CHECK_KINDS if k not in ("dbs", "indemnity")}
    )
    with pytest.raises(Refused) as missing:
        await pool.pool.engine.execute(BookByHand(clash.code, unrecorded.phone, coordinator.id), actor="test")
    assert missing.value.message.endswith(": no indemnity on record; no DBS check on record.")
    with pytest.raises(Refused):
        await pool.pool.engine.execute(BookByHand(morning.code, holder.phone, coordinator.id), actor="test")


async def test_booking_by_hand_takes_a_name_that_one_clinician_has(
    pool: Harness, client: httpx.AsyncClient
) -> None:
    deepa = await pool.gp("Dr Deepa Menon")
    await pool.coordinator("Deepa Menon")  # the same name, but she takes no sessions
    twins = [await pool.gp("Dr Sam Lee"), await pool.gp("Sam Lee")]
    first, second, third = [await pool.post(start=at(pool.tomorrow + timedelta(days=d), 9)) for d in range(3)]
    env = {"POOL_DATABASE": str(pool.database)}

    def book(*args: str):  # type: ignore[no-untyped-def]
        return asyncio.to_thread(CliRunner().invoke, cli, ["book", *args], env=env)

    booked = await book(first.code, "deepa  MENON")  # any case and spacing, without the Dr
    assert booked.exit_code == 0, booked.output
    assert booked.output.startswith(
        f"Booked: session {first.code} for Dr Deepa Menon ({national(deepa.phone)}), code "
    )
    assert (await pool.view(first)).booked.id == deepa.id

    several = await book(second.code, "Dr Sam Lee")
    assert several.exit_code == 2 and (await pool.view(second)).booked is None
    assert several.output.strip() == (
        "error: 2 people in the pool are called Dr Sam Lee: Dr Sam Lee, 07700 900003; Sam Lee, 07700 900004. "
        "Give the phone number of the one you mean."
    )
    nobody = await book(second.code, "Dr Who")
    assert nobody.exit_code == 2 and "No one in the pool who takes sessions is called Dr Who" in nobody.output
    assert (await pool.view(second)).booked is None

    url = f"/api/sessions/{second.id}/book"
    by_name = await client.post(url, json={"who": "deepa menon"}, headers=AUTH)
    assert by_name.status_code == 200 and by_name.json()["booked"]["name"] == "Dr Deepa Menon"
    listed = await client.post(f"/api/sessions/{third.id}/book", json={"who": "sam lee"}, headers=AUTH)
    assert listed.status_code == 422 and "07700 900004" in listed.json()["detail"][0]["problem"]
    as_before = await client.post(f"/api/sessions/{third.id}/book", json={"phone": "Sam Lee"}, headers=AUTH)
    assert as_before.status_code == 422 and as_before.json()["detail"] == [
        {"field": "phone", "problem": "Sam Lee is not a phone number."}
    ], "phone is a phone number, as ever"
    both = await client.post(f"/api/sessions/{third.id}/book", json={"phone": twins[1].phone, "who": "x"},
                             headers=AUTH)  # fmt: skip
    assert both.status_code == 422
    by_phone = await client.post(
        f"/api/sessions/{third.id}/book", json={"phone": twins[1].phone}, headers=AUTH
    )
    assert by_phone.json()["booked"]["name"] == "Sam Lee"


async def test_cancel_tells_the_booked_gp_the_holders_and_the_practice(pool: Harness) -> None:
    manager = await pool.member("Tom Reilly", roles=("practice:X10001",))
    coordinator = await pool.coordinator()
    booked, holder = await pool.gps(2)
    session = await pool.post(urgent=True, posted_by=coordinator)
    code = await pool.offer_code(holder, session)
    await pool.send(booked, "yes")
    other = await pool.post(start=at(pool.tomorrow, 14), urgent=True)

    await pool.pool.engine.execute(
        CancelSession(session.code, manager.id, "Partner back from leave"), actor="test"
    )
    await pool.pool.settle()

    assert (await pool.view(session)).session.status == SessionStatus.CANCELLED
    told = await pool.last(booked)
    assert told.kind == "booking_cancelled" and "Partner back from leave" in told.body
    assert "has been cancelled by Tom Reilly" in (await pool.last(coordinator)).body
    assert (await pool.view(other)).session.status == SessionStatus.OPEN
    await pool.send(holder, f"YES {code}")
    assert (await pool.last(holder)).kind in ("session_cancelled", "already_filled")
    with pytest.raises(Refused):
        await pool.pool.engine.execute(CancelSession(session.code, None), actor="test")


async def test_urgent_rebroadcast_reaches_everyone_eligible_once(tmp_path) -> None:
    pool = await Harness.open(tmp_path, policy=PoolPolicy(wave_size=1))
    try:
        await pool.practice()
        gps = await pool.gps(4)
        session = await pool.post()
        assert len((await pool.view(session)).offers) == 1
        sent = await pool.pool.engine.execute(BroadcastUrgent(session.code), actor="test")
        await pool.pool.settle()
        assert sent == 3
        view = await pool.view(session)
        assert view.session.urgent and sorted(m.id for _, m in view.offers) == [g.id for g in gps]
        assert [m.kind for m in await pool.messages(gps[0])] == ["offer"], (
            "the first holder is not asked twice"
        )
        pending = await pool.pool.store.reader().timers.due_timers(pool.clock.now() + timedelta(days=2))
        assert "offer_wave" not in {t.kind for t in pending}, "no waves after an urgent broadcast"
    finally:
        await pool.close()


async def test_a_practice_prefers_and_blocks(tmp_path) -> None:
    pool = await Harness.open(tmp_path, policy=PoolPolicy(wave_size=1))
    try:
        await pool.practice()
        first, preferred, blocked = await pool.gps(3)
        await pool.pool.engine.execute(
            SetPracticePreference("X10001", preferred.phone, "prefer"), actor="test"
        )
        session = await pool.post()
        assert [m.id for _, m in (await pool.view(session)).offers] == [preferred.id]
        urgent = await pool.post(start=at(pool.tomorrow, 14), urgent=True)
        assert blocked.id in {m.id for _, m in (await pool.view(urgent)).offers}

        await pool.pool.engine.execute(SetPracticePreference("X10001", blocked.phone, "block"), actor="test")
        await pool.pool.settle()
        held = {m.id: o.state for o, m in (await pool.view(urgent)).offers}
        assert held[blocked.id] == OfferState.WITHDRAWN
        later = await pool.post(start=at(date(2026, 12, 9), 9), urgent=True)
        assert blocked.id not in {m.id for _, m in (await pool.view(later)).offers}
        assert first.id in {m.id for _, m in (await pool.view(later)).offers}
    finally:
        await pool.close()


@pytest.mark.parametrize(
    ("text", "reply", "check"),
    [
        ("CAP 2", "at most 2 sessions a week", lambda m: m.max_sessions_per_week == 2),
        ("cap none", "no weekly limit", lambda m: m.max_sessions_per_week is None),
        (
            "DAYS mon tuesday-am fri-pm",
            "mon, tue-am, fri-pm",
            lambda m: m.days == ("mon", "tue-am", "fri-pm"),
        ),
        ("days any", "any day", lambda m: m.days == ()),
        ("AREAS northside", "Northside", lambda m: m.localities == ("Northside",)),
        ("NIGHTS ON", "urgent offers can come at night", lambda m: m.urgent_at_night),
        ("nights off", "no offers at night", lambda m: not m.urgent_at_night),
        ("CHANNEL text", "by text", lambda m: m.preferred_channel == "sms"),
    ],
)
async def test_settings_by_message_are_confirmed(pool: Harness, text: str, reply: str, check) -> None:
    gp = await pool.gp(max_sessions_per_week=4, days=("wed",), urgent_at_night=True)
    await pool.send(gp, text)
    answer = await pool.last(gp)
    assert answer.kind == "setting_changed" and reply in answer.body
    assert check(await pool.pool.store.reader().members.member(gp.id))


@pytest.mark.parametrize(
    "text", ["CAP lots", "DAYS someday", "AREAS Narnia", "NIGHTS maybe", "CHANNEL pigeon", "CHANNEL telegram"]
)
async def test_a_bad_setting_explains_and_changes_nothing(pool: Harness, text: str) -> None:
    gp = await pool.gp(max_sessions_per_week=4, days=("wed",))
    before = await pool.pool.store.reader().members.member(gp.id)
    await pool.send(gp, text)
    assert (await pool.last(gp)).kind == "setting_how"
    assert await pool.pool.store.reader().members.member(gp.id) == before


async def test_the_inbox_is_answered_through_the_bot(pool: Harness) -> None:
    coordinator = await pool.coordinator()
    gp = await pool.gp()
    await pool.send(gp, "Is there parking?")
    [item] = await pool.pool.store.reader().inbox.items()
    assert item.member.id == gp.id and item.body == "Is there parking?"
    await pool.pool.engine.execute(AnswerInbox(item.id, "Yes, bay 4.", coordinator.id), actor="test")
    await pool.pool.settle()
    answer = await pool.last(gp)
    assert (
        answer.kind == "inbox_answer"
        and answer.body.startswith("Yes, bay 4.")
        and coordinator.name in answer.body
    )
    assert await pool.pool.store.reader().inbox.items() == []
    assert [i.id for i in await pool.pool.store.reader().inbox.items("done")] == [item.id]
    with pytest.raises(Refused):
        await pool.pool.engine.execute(AnswerInbox(item.id, "Again", coordinator.id), actor="test")

    # Marking it done after answering it is no error: it is done, and nothing changes.
    env = {"POOL_DATABASE": str(pool.database)}
    done = await asyncio.to_thread(CliRunner().invoke, cli, ["inbox", "done", str(item.id)], env=env)
    assert done.exit_code == 0 and done.output.strip() == f"#{item.id} is done."
    assert [i.id for i in await pool.pool.store.reader().inbox.items("done")] == [item.id]
    assert (await pool.last(gp)).body.startswith("Yes, bay 4."), "nobody is told anything again"
    unknown = await asyncio.to_thread(CliRunner().invoke, cli, ["inbox", "done", str(item.id + 1)], env=env)
    assert unknown.exit_code == 2 and unknown.output.strip() == f"error: No inbox message {item.id + 1}."


async def test_a_session_cannot_be_cancelled_once_started_nor_delivered_before_it_ends(pool: Harness) -> None:
    from bot.commands import RecordDelivery

    gp = await pool.gp()
    session = await pool.post(start=at(pool.today, 9), hours=3, urgent=True)
    await pool.send(gp, "yes")
    await pool.advance(hours=2)
    with pytest.raises(Refused) as started:
        await pool.pool.engine.execute(CancelSession(session.code), actor="test")
    assert "already started" in started.value.message
    with pytest.raises(Refused) as early:
        await pool.pool.engine.execute(RecordDelivery(session.code, 3), actor="test")
    assert "not ended" in early.value.message
    await pool.advance(hours=3)
    with pytest.raises(Refused) as too_long:
        await pool.pool.engine.execute(RecordDelivery(session.code, 24), actor="test")
    assert "at most 5" in too_long.value.message
    delivered = await pool.pool.engine.execute(RecordDelivery(session.code, 3.5), actor="test")
    assert delivered.status == "delivered" and delivered.delivered_hours == 3.5


async def test_free_text_sent_by_sms_is_kept_short(pool: Harness) -> None:
    session = await pool.post(urgent=True)
    with pytest.raises(Refused):
        await pool.pool.engine.execute(CancelSession(session.code, None, "x" * 121), actor="test")
    with pytest.raises(Refused):
        await pool.pool.engine.execute(AnswerInbox(1, "y" * 251), actor="test")


@pytest.mark.parametrize("text", ["DAYS none", "DAYS month", "DAYS mon-evening"])
async def test_days_that_are_not_days_are_not_guessed(pool: Harness, text: str) -> None:
    gp = await pool.gp(days=("wed",))
    await pool.send(gp, text)
    assert (await pool.last(gp)).kind == "setting_how"
    assert (await pool.pool.store.reader().members.member(gp.id)).days == ("wed",)


async def test_only_gps_say_available(pool: Harness) -> None:
    coordinator = await pool.coordinator()
    await pool.send(coordinator, "AVAILABLE thu pm")
    assert "for the pool's clinicians" in (await pool.last(coordinator)).body
    assert await pool.pool.store.reader().members.available_members(date(2026, 12, 3), "pm") == []


def test_a_day_just_past_is_not_next_year() -> None:
    from bot.dates import parse_day

    assert parse_day("30/11", TODAY) == date(2026, 11, 30)  # passed: the reply says so
    assert parse_day("5 jan", TODAY) == date(2027, 1, 5)
    assert parse_day("tuesday", TODAY) == TODAY  # today is a Tuesday
