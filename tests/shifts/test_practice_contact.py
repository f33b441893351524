"""What GPs choose on, and who they can call (issue 19): the clinical system and the practice's
phone in offers, "call the practice" with its number (or the pool's when it has none), the
practice's phone through CSV, API and export, and texts never cut: a field too long for its
messages is refused where it is entered, and a long info pack comes whole in its own text."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from flows.desk import exports, imports
from flows.shifts import offers
from tests.harness import AUTH, Harness, at

PHONE = "+442079460101"  # Ofcom's drama range: no real practice


async def booked_at(pool: Harness, practice: str, start):  # type: ignore[no-untyped-def]
    gp = await pool.gp()
    session = await pool.post(practice=practice, start=start, urgent=True)
    await pool.send(gp, f"YES {await pool.offer_code(gp, session)}")
    return gp, session


async def of_kind(pool: Harness, who, kind: str):  # type: ignore[no-untyped-def]
    return [m for m in await pool.messages(who) if m.kind == kind][-1]


async def waiting(pool: Harness) -> list:
    async with pool.pool.store.unit_of_work() as uow:
        return await uow.mentoring.waiting_mentees()


async def booking_code(pool: Harness, gp, session) -> str:  # type: ignore[no-untyped-def]
    found = await pool.pool.store.reader().bookings.upcoming_bookings(
        gp.id, pool.clock.now() - timedelta(days=1)
    )
    return next(b.code for b, s, _ in found if s.id == session.id)


async def test_an_offer_shows_the_clinical_system_and_the_practices_phone(pool: Harness) -> None:
    practice = await pool.practice(
        "X10002", "Hillview Health Centre", clinical_system="SystmOne", phone=PHONE
    )
    gp = await pool.gp()
    session = await pool.post(practice="X10002")
    offer = await pool.last(gp)
    assert "SystmOne." in offer.body and "Practice: 020 7946 0101." in offer.body
    assert ("Phone", "020 7946 0101") in offers.session_details(session, practice), "a chat app's fields too"
    await pool.send(gp, f"YES {await pool.offer_code(gp, session)}")
    confirmation = await of_kind(pool, gp, "booked")
    assert "Practice: 020 7946 0101." in confirmation.body, "and the booking confirmation"


async def test_too_late_to_drop_says_call_the_practice_on_its_number(pool: Harness) -> None:
    await pool.practice("X10002", "Hillview Health Centre", phone=PHONE)
    gp, session = await booked_at(pool, "X10002", at(pool.tomorrow, 9))
    code = await booking_code(pool, gp, session)
    pool.clock.set(session.starts_at + timedelta(minutes=5))
    await pool.send(gp, f"DROP {code}")
    answer = await of_kind(pool, gp, "drop_too_late")
    assert answer.body.endswith("Please call the practice on 020 7946 0101.")


async def test_with_no_practice_number_it_says_call_the_pool_on_the_coordinators(pool: Harness) -> None:
    coordinator = await pool.coordinator()
    gp, session = await booked_at(pool, "X10001", at(pool.tomorrow, 9))
    code = await booking_code(pool, gp, session)
    pool.clock.set(session.starts_at + timedelta(minutes=5))
    await pool.send(gp, f"DROP {code}")
    national = f"0{coordinator.phone[3:7]} {coordinator.phone[7:]}"
    answer = await of_kind(pool, gp, "drop_too_late")
    assert answer.body.endswith(f"Please call the pool on {national}.")


async def test_the_practice_phone_through_csv_export_and_the_api(
    pool: Harness, client: httpx.AsyncClient
) -> None:
    text = "ods_code,name,phone\nX10001,Riverside Surgery,020 7946 0101\nX20001,Meadowbank Practice,\n"
    await pool.pool.engine.run(
        "test", lambda turn: imports.import_practices(turn, imports.read_csv("practices", text))
    )
    reader = pool.pool.store.reader()
    assert (await reader.practices.practice("X10001")).phone == PHONE and (
        await reader.practices.practice("X20001")
    ).phone == ""

    bad = "ods_code,name,phone\nX10001,Riverside Surgery,call reception\n"
    with pytest.raises(imports.ImportRefused) as refused:
        await pool.pool.engine.run(
            "test", lambda turn: imports.import_practices(turn, imports.read_csv("practices", bad))
        )
    assert refused.value.errors[0].reason.startswith("phone 'call reception' is not")
    assert (await reader.practices.practice("X10001")).phone == PHONE, "nothing changed"

    header, rows = await exports.practices(reader)
    assert header == list(imports.PRACTICE_COLUMNS) and [r[-1] for r in rows] == [PHONE, ""]

    listed = (await client.get("/api/practices", headers=AUTH)).json()
    assert [(p["ods_code"], p["phone"]) for p in listed] == [("X10001", PHONE), ("X20001", "")]
    changed = await client.put("/api/practices/X20001", json={"phone": "0113 496 0202"}, headers=AUTH)
    assert changed.status_code == 200 and changed.json()["phone"] == "+441134960202"
    assert changed.json()["name"] == "Meadowbank Practice", "only the fields given change"
    refused_api = await client.put("/api/practices/X20001", json={"phone": "12"}, headers=AUTH)
    assert refused_api.status_code == 422 and refused_api.json()["detail"][0]["field"] == "phone"


@pytest.mark.parametrize(("column", "limit"), sorted(imports.PRACTICE_LIMITS.items()))
async def test_a_practice_field_too_long_for_its_texts_is_refused_with_the_limit(
    pool: Harness, client: httpx.AsyncClient, column: str, limit: int
) -> None:
    answer = await client.put("/api/practices/X10001", json={column: "x" * (limit + 1)}, headers=AUTH)
    assert answer.status_code == 422
    [problem] = answer.json()["detail"]
    assert problem["field"] == column and f"longer than {limit} characters" in problem["problem"]
    assert await client.put("/api/practices/X10001", json={column: "x" * limit}, headers=AUTH)


async def test_a_long_info_pack_comes_whole_in_its_own_text_before_a_first_visit(pool: Harness) -> None:
    pack = ("Park in bay 4, the code is at reception; 15-min appts, 18 booked, visits after. " * 3)[
        : imports.MAX_INFO_PACK
    ]
    await pool.practice("X10002", "Hillview Health Centre", info_pack=pack)
    gp, first = await booked_at(pool, "X10002", at(pool.today + timedelta(days=2), 9))
    pool.clock.set(at(pool.tomorrow, 18, 0))
    await pool.pool.settle()
    reminder, whole = (await pool.messages(gp))[-2:]
    assert reminder.kind == "reminder" and "..." not in reminder.body and "15-min" not in reminder.body
    assert whole.kind == "info_pack" and whole.body.endswith(pack)

    second = await pool.post(practice="X10002", start=at(pool.today + timedelta(days=5), 9), urgent=True)
    await pool.send(gp, f"YES {await pool.offer_code(gp, second)}")
    pool.clock.set(at(pool.today + timedelta(days=4), 18, 0))
    await pool.pool.settle()
    assert (await pool.last(gp)).kind == "reminder", "been before: the reminder alone"
    assert first


async def test_mentor_wants_too_long_to_name_back_is_refused_and_nothing_changes(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "MENTOR " + "leadership and the partnership track; " * 3)
    answer = await pool.last(gp)
    assert "at most 60 characters" in answer.body and "MENTOR teaching; leadership" in answer.body
    assert await waiting(pool) == []
    await pool.send(gp, "MENTOR leadership; teaching")
    assert (await pool.last(gp)).kind == "mentor_requested"
    assert len(await waiting(pool)) == 1
