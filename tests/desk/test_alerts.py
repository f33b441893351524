"""How coordinators and practice managers hear (issue 19): each event at once, or one digest a
day at their time with the urgent events still at once; set by text, CLI, API and CSV."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from typer.testing import CliRunner

from flows.desk import exports, imports
from main import cli
from tests.harness import AUTH, Harness, at


async def kinds(pool: Harness, who) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.kind for m in await pool.messages(who)]


async def book(pool: Harness, gp, session) -> None:  # type: ignore[no-untyped-def]
    await pool.send(gp, f"YES {await pool.offer_code(gp, session)}")


async def book_by_someone(pool: Harness, session) -> None:  # type: ignore[no-untyped-def]
    """The first GP offered it says yes."""
    reader = pool.pool.store.reader()
    offer = (await reader.offers.offers_for_session(session.id))[0]
    await pool.send(await reader.members.member(offer.member_id), f"YES {offer.code}")


async def booking_code(pool: Harness, gp, session) -> str:  # type: ignore[no-untyped-def]
    found = await pool.pool.store.reader().bookings.upcoming_bookings(gp.id, pool.clock.now())
    return next(b.code for b, s, _ in found if s.id == session.id)


async def test_a_coordinator_on_a_daily_digest_gets_one_text_a_day_with_the_days_events(
    pool: Harness,
) -> None:
    coordinator = await pool.coordinator()
    await pool.send(coordinator, "ALERTS DAILY 17:00")
    assert "one update a day at 17:00" in (await pool.last(coordinator)).body
    await pool.gps(6)
    # A busy week: three sessions posted by the admin (the coordinators follow them) each day.
    sessions = [
        await pool.post(start=at(pool.today + timedelta(days=day + 2), hour))
        for day in range(1, 4)
        for hour in (8, 13, 18)
    ]
    before = len(await pool.messages(coordinator))
    for session in sessions[:6]:
        await book_by_someone(pool, session)
    assert len(await pool.messages(coordinator)) == before, "nothing at once: six bookings wait"

    pool.clock.set(at(pool.today, 17, 0))
    await pool.advance(seconds=1)
    digest = await pool.last(coordinator)
    assert digest.kind == "digest" and len(await pool.messages(coordinator)) == before + 1
    assert digest.body.startswith("Since your last update: 6 booked.")
    assert digest.body.count("Booked: Riverside Surgery") + ("Reply MORE" in digest.body) >= 1
    await pool.send(coordinator, "MORE")
    lines = [*digest.body.splitlines()[1:], *(await pool.last(coordinator)).body.splitlines()]
    assert sum(line.startswith("Booked: ") for line in lines) == 6, "every booking, on the page or MORE"

    for session in sessions[6:9]:
        await book_by_someone(pool, session)
    pool.clock.set(at(pool.tomorrow, 17, 0))
    await pool.advance(seconds=1)
    assert (await pool.last(coordinator)).body.startswith("Since your last update: 3 booked.")
    count = len(await pool.messages(coordinator))
    pool.clock.set(at(pool.tomorrow + timedelta(days=1), 17, 1))
    await pool.advance(seconds=1)
    assert len(await pool.messages(coordinator)) == count, "a quiet day sends nothing"


async def test_urgent_events_go_at_once_beside_a_digest(pool: Harness) -> None:
    coordinator = await pool.coordinator()
    await pool.send(coordinator, "ALERTS DAILY")  # 17:00 when no time is given
    gp = await pool.gp()
    soon = await pool.post(start=at(pool.tomorrow, 9))
    later = await pool.post(start=at(pool.today + timedelta(days=6), 9))
    await book(pool, gp, soon)
    await book(pool, gp, later)
    seen = len(await pool.messages(coordinator))

    await pool.send(gp, f"DROP {await booking_code(pool, gp, later)}")
    assert len(await pool.messages(coordinator)) == seen, "a drop six days out waits for the digest"
    await pool.send(gp, f"DROP {await booking_code(pool, gp, soon)}")
    urgent = [m.body for m in (await pool.messages(coordinator))[seen:]]
    assert any("has given up" in body for body in urgent), "a drop within 48 hours: now"
    assert any("No GP is free" in body for body in urgent), "and nobody left to offer it to: now"

    nobody_left = await pool.messages(coordinator)
    pool.clock.set(soon.starts_at + timedelta(minutes=1))  # nobody else to take it: unfilled at the start
    await pool.advance(seconds=1)
    told = [m for m in await pool.messages(coordinator) if m.id > nobody_left[-1].id]
    assert any(m.kind == "poster_update" for m in told), "a session left unfilled: now"

    # Today's 17:00 digest went as the clock passed it: the drop six days out, and the bookings.
    [digest] = [m for m in await pool.messages(coordinator) if m.kind == "digest"]
    assert digest.body.startswith("Since your last update: 2 booked, 1 dropped, 1 nobody to offer.")
    assert "Dropped: Riverside Surgery, Mon 7 Dec, 09:00-13:00" in digest.body


async def test_alerts_now_sends_what_was_held_and_each_event_after_at_once(pool: Harness) -> None:
    manager = await pool.member("Tom Reilly", roles=frozenset({"practice:X10001"}))
    await pool.send(manager, "ALERTS DAILY 8am")
    assert "08:00" in (await pool.last(manager)).body
    gp = await pool.gp()
    session = await pool.post(start=at(pool.today + timedelta(days=5), 9))
    await book(pool, gp, session)
    assert (await pool.last(manager)).kind == "setting_changed"
    await pool.send(manager, "ALERTS NOW")
    flushed = (await pool.messages(manager))[-2:]
    assert [m.kind for m in flushed] == ["digest", "setting_changed"]
    assert "Booked: Riverside Surgery" in flushed[0].body
    pool.clock.set(at(pool.tomorrow, 8, 0))
    await pool.advance(seconds=1)
    assert (await pool.last(manager)).kind == "setting_changed", "no digest timer left behind"


async def test_a_gp_is_told_alerts_are_for_coordinators_and_bad_times_are_explained(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "ALERTS DAILY")
    assert "for coordinators and practice managers" in (await pool.last(gp)).body
    coordinator = await pool.coordinator()
    await pool.send(coordinator, "ALERTS DAILY 25:00")
    answer = await pool.last(coordinator)
    assert answer.body.startswith("Sorry, that time isn't one I can read, so nothing changed.")
    assert "ALERTS DAILY 17:00" in answer.body and "as things happen" in answer.body
    assert (await pool.pool.store.reader().members.member(coordinator.id)).alerts == "now", "nothing changed"


async def test_alerts_over_the_api_the_cli_and_csv(pool: Harness, client: httpx.AsyncClient) -> None:
    coordinator = await pool.coordinator()
    manager = await pool.member("Tom Reilly", roles=frozenset({"practice:X10001"}))
    answer = await client.put(
        f"/api/members/{manager.phone}/alerts", json={"alerts": "daily 07:45"}, headers=AUTH
    )
    assert answer.status_code == 200 and answer.json() == {"phone": manager.phone, "alerts": "daily 07:45"}
    bad = await client.put(f"/api/members/{manager.phone}/alerts", json={"alerts": "hourly"}, headers=AUTH)
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "alerts"
    other = await client.put(
        f"/api/members/{coordinator.phone}/alerts",
        json={"alerts": "now"},
        headers={**AUTH, "X-Acting-As": manager.phone},
    )
    assert other.status_code == 403

    env = {"POOL_DATABASE": str(pool.database)}
    printed = await asyncio.to_thread(
        CliRunner().invoke, cli, ["alerts", coordinator.phone, "daily", "18:30"], env=env
    )
    assert printed.exit_code == 0 and "daily 18:30" in printed.output
    assert (await pool.pool.store.reader().members.member(coordinator.id)).alerts == "daily 18:30"

    header, rows = await exports.members(pool.pool.store.reader())
    exported = {row[header.index("phone")]: row[header.index("alerts")] for row in rows}
    assert exported == {coordinator.phone: "daily 18:30", manager.phone: "daily 07:45"}
    text = f"name,phone,roles,alerts\nTom Reilly,{manager.phone},practice:X10001,now\n"
    await pool.pool.engine.run(
        "test", lambda turn: imports.import_members(turn, imports.read_csv("members", text))
    )
    assert (await pool.pool.store.reader().members.member(manager.id)).alerts == "now"
    refused = "name,phone,alerts\nDr New,07700900555,weekly\n"
    try:
        await pool.pool.engine.run(
            "test", lambda turn: imports.import_members(turn, imports.read_csv("members", refused))
        )
    except imports.ImportRefused as refusal:
        assert "alerts" in str(refusal.errors[0].reason)
    else:
        raise AssertionError("a bad alerts value is refused")
