"""Beyond GPs (issue 17): professions as data, each offered only its own sessions, with its
registration format, its checks and its pay range; and the NHS return, which is about GPs,
unchanged."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import httpx
import pytest
from typer.testing import CliRunner

from bot.clock import LONDON
from bot.commands import BookByHand, BuildReport, PostSession
from bot.errors import Refused
from flows.desk import imports
from main import cli
from tests.harness import AUTH, Harness, at


async def offered(pool: Harness, session) -> set[str]:  # type: ignore[no-untyped-def]
    view = await pool.view(session)
    return {m.name for o, m in view.offers}


async def post(pool: Harness, professions: tuple[str, ...], rate: int = 20000, day: int = 1) -> object:
    start = at(pool.today + timedelta(days=day), 9, 0)
    session = await pool.pool.engine.execute(
        PostSession("X10001", start, start + timedelta(hours=3), rate, urgent=True, professions=professions),
        actor="test",
    )
    await pool.pool.settle()
    return session


async def test_a_nurse_is_never_offered_a_gp_session_nor_a_gp_a_nurse_session(pool: Harness) -> None:
    await pool.gp("Dr Gee")
    await pool.member("Nia Nurse", profession="practice_nurse")
    gp_session = await post(pool, ("gp",))
    nurse_session = await post(pool, ("practice_nurse",), day=2)
    assert await offered(pool, gp_session) == {"Dr Gee"}
    assert await offered(pool, nurse_session) == {"Nia Nurse"}
    nurse_offer = await pool.last("+447700900002")
    assert nurse_offer.body.startswith("URGENT: Practice nurse session at Riverside Surgery")


async def test_a_session_for_two_professions_goes_to_both_and_the_first_yes_books(pool: Harness) -> None:
    await pool.gp("Dr Gee")
    nurse = await pool.member("Nia Nurse", profession="practice_nurse")
    await pool.member("Hal HCA", profession="healthcare_assistant")
    session = await post(pool, ("practice_nurse", "healthcare_assistant"), rate=12000)
    assert await offered(pool, session) == {"Nia Nurse", "Hal HCA"}
    await pool.send(nurse, "yes please")
    assert (await pool.view(session)).booked.id == nurse.id


async def test_booking_by_hand_says_the_session_is_for_another_profession(pool: Harness) -> None:
    gp = await pool.gp("Dr Gee")
    await pool.member("Nia Nurse", profession="practice_nurse")
    session = await post(pool, ("practice_nurse",))
    with pytest.raises(Refused, match="not one of the professions this session is for"):
        await pool.pool.engine.execute(BookByHand(session.code, gp.phone), actor="test")


async def test_a_gp_saying_yes_to_a_nurse_session_they_were_never_offered_books_nothing(
    pool: Harness,
) -> None:
    gp = await pool.gp("Dr Gee")
    await pool.member("Nia Nurse", profession="practice_nurse")
    session = await post(pool, ("practice_nurse",))
    await pool.send(gp, "YES")
    assert (await pool.view(session)).booked is None


@pytest.mark.parametrize(
    ("profession", "good", "bad"),
    [
        ("gp", "7012345", "701234"),
        ("practice_nurse", "12A3456B", "12345678"),
        ("healthcare_assistant", "", "12A3456B"),
        ("clinical_pharmacist", "2081234", "A208123"),
        ("pharmacy_technician", "5012345", "50123456"),
        ("paramedic", "PA123456", "PH123456"),
        ("first_contact_physiotherapist", "PH123456", "PA123456"),
        ("dietitian", "DT12345", "DX12345"),
        ("podiatrist", "CH12345", "PA12345"),
        ("occupational_therapist", "OT123456", "OT1"),
        ("physician_associate", "A123456", "7012345"),
        ("mental_health_practitioner", "SW12345", "X1"),
        ("mental_health_practitioner", "12A3456B", "123"),
        ("mental_health_practitioner", "OT123456", "OTX"),
    ],
)
async def test_each_registration_format_is_accepted_and_refused_with_the_reason(
    pool: Harness, profession: str, good: str, bad: str
) -> None:
    async def load(number: str) -> imports.ImportResult:
        text = f"name,phone,profession,registration_number\nAlex Doe,07700 900401,{profession},{number}\n"
        return await pool.pool.engine.run(
            "test", lambda turn: imports.import_members(turn, imports.read_csv("members", text))
        )

    assert (await load(good)).added == 1
    with pytest.raises(imports.ImportRefused) as refused:
        await load(bad)
    [error] = refused.value.errors
    assert "registration_number" in error.reason and "for a" in error.reason


async def test_numbers_are_read_as_people_write_them(pool: Harness) -> None:
    text = "name,phone,profession,registration_number\nNia,07700 900401,practice_nurse,nmc 12a 3456b\n"
    await pool.pool.engine.run(
        "test", lambda turn: imports.import_members(turn, imports.read_csv("members", text))
    )
    nia = await pool.pool.store.reader().members.member_by_phone("+447700900401")
    assert nia.registration_number == "12A3456B"


async def test_gp_types_and_levels_belong_to_their_professions(pool: Harness) -> None:
    text = """name,phone,profession,gp_type,level
Nia,07700 900401,practice_nurse,locum,
Olu,07700 900402,practice_nurse,,advanced
Pia,07700 900403,clinical_pharmacist,,senior
"""
    with pytest.raises(imports.ImportRefused) as refused:
        await pool.pool.engine.run(
            "test", lambda turn: imports.import_members(turn, imports.read_csv("members", text))
        )
    assert [str(e) for e in refused.value.errors] == [
        "line 2: gp_type is for GPs only, and this member is a practice nurse",
        "line 4: level 'senior' is not a level of clinical pharmacist (levels: advanced)",
    ]


async def test_the_old_role_name_gp_is_still_read(pool: Harness) -> None:
    text = "name,phone,roles\nDr Old,07700 900401,GP;mentor\n"
    await pool.pool.engine.run(
        "test", lambda turn: imports.import_members(turn, imports.read_csv("members", text))
    )
    old = await pool.pool.store.reader().members.member_by_phone("+447700900401")
    assert old.roles == {"clinician", "mentor"} and old.is_clinician and old.profession == "gp"


async def test_checks_are_each_professions_own(pool: Harness) -> None:
    nurse = await pool.member("Nia Nurse", profession="practice_nurse", checks={})
    text = f"phone,check,expires\n{nurse.phone},gmc,\n{nurse.phone},cct,\n"
    with pytest.raises(imports.ImportRefused) as refused:
        await pool.pool.engine.run(
            "test", lambda turn: imports.import_checks(turn, imports.read_csv("checks", text))
        )
    assert str(refused.value.errors[0]).startswith(
        "line 2: check 'gmc' is not one a practice nurse needs (they need identity, indemnity"
    )
    session = await post(pool, ("practice_nurse",))
    assert await offered(pool, session) == set(), "not offered without their own checks"
    checks = "phone,check,expires\n" + "".join(
        f"{nurse.phone},{kind},\n"
        for kind in ("identity", "indemnity", "occupational_health", "nmc", "employment_history", "dbs")
    )
    await pool.pool.engine.run(
        "test", lambda turn: imports.import_checks(turn, imports.read_csv("checks", checks))
    )
    later = await post(pool, ("practice_nurse",), day=3)
    assert await offered(pool, later) == {"Nia Nurse"}


async def test_a_mental_health_practitioner_needs_any_one_of_their_registers(pool: Harness) -> None:
    base = {k: None for k in ("identity", "indemnity", "occupational_health", "employment_history", "dbs")}
    await pool.member("Mo by HCPC", profession="mental_health_practitioner", checks={**base, "hcpc": None})
    await pool.member("Sal by SWE", profession="mental_health_practitioner", checks={**base, "swe": None})
    await pool.member("Kit with none", profession="mental_health_practitioner", checks=base)
    session = await post(pool, ("mental_health_practitioner",))
    assert await offered(pool, session) == {"Mo by HCPC", "Sal by SWE"}


async def test_the_pay_range_is_each_professions_own(pool: Harness, client: httpx.AsyncClient) -> None:
    body = {
        "practice": "X10001", "start": at(pool.tomorrow, 9, 0).isoformat(), "end": at(pool.tomorrow, 12, 0).isoformat(),
        "rate_pence": 150000, "professions": ["practice_nurse"],
    }  # fmt: skip
    refused = await client.post("/api/sessions", json=body, headers=AUTH)
    assert refused.status_code == 422
    [problem] = refused.json()["detail"]
    assert (
        problem["field"] == "rate" and "A practice nurse session pays £50 to £600 here" in problem["problem"]
    )
    unknown = await client.post("/api/sessions", json={**body, "professions": ["wizard"]}, headers=AUTH)
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["field"] == "professions"
    made = await client.post("/api/sessions", json={**body, "rate_pence": 15000}, headers=AUTH)
    assert made.status_code == 201
    seen = (await client.get(f"/api/sessions/{made.json()['id']}", headers=AUTH)).json()
    assert seen["professions"] == ["practice_nurse"]


@pytest.mark.parametrize(("rate", "shown"), [(320, "£3.20"), (3_200_000, "£32,000")])
async def test_pay_outside_a_gps_range_is_refused_with_the_range_and_nothing_is_posted(
    pool: Harness, client: httpx.AsyncClient, rate: int, shown: str
) -> None:
    await pool.gp()
    reason = f"A GP session pays £100 to £1,000 here: {shown} is outside that."
    start = at(pool.tomorrow, 9, 0)
    body = {"practice": "X10001", "start": start.isoformat(), "end": (start + timedelta(hours=4)).isoformat(),
            "rate_pence": rate}  # fmt: skip
    refused = await client.post("/api/sessions", json=body, headers=AUTH)
    assert refused.status_code == 422 and refused.json()["detail"] == [{"field": "rate", "problem": reason}]

    day = (datetime.now(LONDON) + timedelta(days=3)).date()  # the CLI runs on the real clock
    printed = await asyncio.to_thread(
        CliRunner().invoke,
        cli,
        ["post-session", "--practice", "X10001", "--start", f"{day}T09:00", "--end", f"{day}T13:00",
         "--rate-pence", str(rate)],
        env={"POOL_DATABASE": str(pool.database)},
    )  # fmt: skip
    assert printed.exit_code == 2 and printed.output.strip() == f"error: {reason}"

    text = (
        "practice,start,end,rate_pence,urgent,notes,repeat_weeks\n"
        f"X10001,{day}T09:00,{day}T13:00,32000,no,,\n"
        f"X10001,{day}T14:00,{day}T18:00,{rate},no,,\n"
        f"X10001,{day}T18:30,{day}T20:00,{rate},no,,\n"
    )
    with pytest.raises(imports.ImportRefused) as refusal:
        await pool.pool.engine.run(
            "test", lambda turn: imports.import_sessions(turn, imports.read_csv("sessions", text))
        )
    assert [str(e) for e in refusal.value.errors] == [f"line 3: {reason}", f"line 4: {reason}"]
    reader = pool.pool.store.reader()
    assert (
        await reader.sessions.sessions_between(pool.clock.now(), pool.clock.now() + timedelta(days=400)) == []
    )


async def test_sessions_import_and_export_say_who_they_are_for(pool: Harness) -> None:
    day = pool.tomorrow.isoformat()
    text = (
        "practice,start,end,rate_pence,urgent,notes,repeat_weeks,professions\n"
        f"X10001,{day}T09:00,{day}T12:00,15000,yes,,,practice_nurse;healthcare_assistant\n"
        f"X10001,{day}T13:30,{day}T17:30,32000,no,,,\n"
    )
    await pool.pool.engine.run(
        "test", lambda turn: imports.import_sessions(turn, imports.read_csv("sessions", text))
    )
    from flows.desk import exports

    header, rows = await exports.sessions(pool.pool.store.reader())
    column = header.index("professions")
    assert [r[column] for r in rows] == ["practice_nurse;healthcare_assistant", "gp"]


async def test_the_report_counts_by_profession_and_the_nhs_return_stays_about_gps(pool: Harness) -> None:
    gps = [await pool.gp(f"Dr {n}", gp_type="locum") for n in "AB"]
    session = await post(pool, ("gp",))
    await pool.send(gps[0], "yes")
    before = (await pool.pool.engine.execute(BuildReport(), actor="test")).as_dict()

    nurse = await pool.member("Nia Nurse", profession="practice_nurse", registration_number="NOT A NUMBER")
    nurse_session = await post(pool, ("practice_nurse",), rate=15000, day=2)
    await pool.send(nurse, "yes")
    assert (await pool.view(nurse_session)).booked.id == nurse.id
    after = (await pool.pool.engine.execute(BuildReport(), actor="test")).as_dict()

    gp_return = {
        k: v for k, v in before.items() if k not in ("by_profession", "registration_numbers_to_check")
    }
    assert {k: after[k] for k in gp_return} == gp_return, "a nurse's session changes nothing in the GP return"
    assert after["by_profession"]["practice_nurse"] == {
        "name": "practice nurse", "members": 1, "sessions": 1, "filled": 1, "delivered": 0,
        "hours_booked": 3.0, "hours_delivered": 0,
    }  # fmt: skip
    assert after["by_profession"]["gp"]["filled"] == 1
    assert after["registration_numbers_to_check"] == ["Nia Nurse"], "flagged, not refused"
    assert (await pool.view(session)).booked.id == gps[0].id


async def test_a_profession_can_be_renamed_by_the_pool(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.policy import PoolPolicy
    from config.professions import load_professions

    policy = PoolPolicy(professions=load_professions("physician_associate=physician assistant"))
    pool = await Harness.open(tmp_path, policy=policy)
    try:
        await pool.practice()
        poster = await pool.member("Priya", roles=("coordinator",))
        pa = await pool.member("Pat", profession="physician_associate", registration_number="A123456")
        start = at(pool.tomorrow, 9, 0)
        await pool.pool.engine.execute(
            PostSession("X10001", start, start + timedelta(hours=3), 20000, urgent=True,
                        posted_by=poster.id, professions=("physician_associate",)),
            actor="test",
        )  # fmt: skip
        await pool.pool.settle()
        await pool.send(pa, "yes")
        told = [m.body for m in await pool.messages(poster)]
        assert any("Pat (physician assistant, GMC A123456)" in t for t in told), told
    finally:
        await pool.close()
