"""Imports in DESIGN.md's columns: every kind of bad row is reported with its line and reason,
one bad row imports nothing, and importing the same file twice changes nothing."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest

from bot.clock import LONDON
from flows.desk import exports, imports
from tests.harness import Harness


async def run(pool: Harness, kind: str, text: str) -> imports.ImportResult:
    do = {
        "practices": imports.import_practices,
        "members": imports.import_members,
        "checks": imports.import_checks,
        "sessions": imports.import_sessions,
    }[kind]
    rows = imports.read_csv(kind, text.strip() + "\n")
    return await pool.pool.engine.run("test", lambda turn: do(turn, rows))


async def refused(pool: Harness, kind: str, text: str) -> list[str]:
    with pytest.raises(imports.ImportRefused) as error:
        await run(pool, kind, text)
    return [str(e) for e in error.value.errors]


MEMBERS = """
name,phone,email,roles,gp_type,registration_number,preferred_channel,slack_user_id,telegram_chat_id,localities,practices,days,max_sessions_per_week,contracted_sessions_per_week
Dr Zoë Ávila,07700 900301,zoe@example.org,gp;mentor,locum,GMC 7000001,sms,U123,,Northside;Southgate,X10001,mon;tue-am,3,
Dr Ravi Nair,+44 7700 900302,,,salaried,GMC 7000002,,,12345,,,,,2
Tom Reilly,07700900303,,practice:x10001,,,,,,,,,,
"""


async def test_members_import_normalises_and_is_idempotent(pool: Harness) -> None:
    first = await run(pool, "members", MEMBERS)
    assert (first.added, first.updated, first.unchanged) == (3, 0, 0)
    again = await run(pool, "members", MEMBERS)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)
    zoe = await pool.pool.store.reader().members.member_by_phone("+447700900301")
    assert zoe.name == "Dr Zoë Ávila" and zoe.roles == {"clinician", "mentor"}
    assert zoe.localities == ("Northside", "Southgate") and zoe.days == ("mon", "tue-am")
    assert zoe.max_sessions_per_week == 3 and zoe.slack_user_id == "U123"
    ravi = await pool.pool.store.reader().members.member_by_phone("+447700900302")
    assert (
        ravi.roles == {"clinician"}
        and ravi.contracted_sessions_per_week == 2
        and ravi.telegram_chat_id == "12345"
    )
    tom = await pool.pool.store.reader().members.member_by_phone("+447700900303")
    assert tom.roles == {"practice:X10001"}


async def test_an_updated_row_updates_only_that_member(pool: Harness) -> None:
    await run(pool, "members", MEMBERS)
    changed = MEMBERS.replace("mon;tue-am,3,", "fri,2,")
    result = await run(pool, "members", changed)
    assert (result.added, result.updated, result.unchanged) == (0, 1, 2)
    zoe = await pool.pool.store.reader().members.member_by_phone("+447700900301")
    assert zoe.days == ("fri",) and zoe.max_sessions_per_week == 2


BAD_MEMBERS = """
name,phone,email,roles,gp_type,preferred_channel,practices,days,max_sessions_per_week,contracted_sessions_per_week,telegram_chat_id
Dr Fine,07700 900310,,,,,,,,,
,07700 900311,,,,,,,,,
Dr No Phone,,,,,,,,,,
Dr Bad Phone,12345,,,,,,,,,
Dr Bad Email,07700 900312,not-an-email,,,,,,,,
Dr Bad Role,07700 900313,,boss,,,,,,,
Dr Unknown Practice Role,07700 900314,,practice:Z99999,,,,,,,
Dr Bad Type,07700 900315,,,surgeon,,,,,,
Dr Bad Channel,07700 900316,,,,pigeon,,,,,
Dr Unknown Practice,07700 900317,,,,,Z99999,,,,
Dr Bad Days,07700 900318,,,,,,monday-morning,,,
Dr Bad Cap,07700 900319,,,,,,,lots,,
Dr Bad Contract,07700 900320,,,,,,,,99,
Dr Bad Telegram,07700 900321,,,,,,,,,@ravi
Dr Twice,07700 900310,,,,,,,,,
"""


async def test_every_bad_member_row_is_reported_and_nothing_is_imported(pool: Harness) -> None:
    problems = await refused(pool, "members", BAD_MEMBERS)
    assert problems == [
        "line 3: name is empty",
        "line 4: phone '' is empty",
        "line 5: phone '12345' is not a valid phone number",
        "line 6: email 'not-an-email' is not an email address",
        "line 7: role 'boss' is not one of clinician (or gp), coordinator, practice:<ODS>, lead, mentor",
        "line 8: role practice:Z99999 names a practice that is not in the pool",
        "line 9: gp_type 'surgeon' is not one of salaried, locum, partner, returner, fellow, retainer",
        "line 10: preferred_channel 'pigeon' is not one of sms, slack, telegram, sandbox",
        "line 11: practices Z99999 are not in the pool",
        "line 12: days 'monday-morning' are not like mon, tue-am or fri-pm",
        "line 13: max_sessions_per_week must be a whole number from 0 to 14",
        "line 14: contracted_sessions_per_week must be a whole number from 0 to 14",
        "line 15: telegram_chat_id '@ravi' is not a Telegram chat id (a number)",
        "line 16: phone +447700900310 is also on line 2",
    ]
    assert await pool.pool.store.reader().members.all_members() == []


async def test_a_file_with_one_bad_row_imports_nothing(pool: Harness) -> None:
    good_then_bad = MEMBERS + "Dr Broken,not a number,,,,,,,,,,,,\n"
    assert await refused(pool, "members", good_then_bad) == [
        "line 5: phone 'not a number' is not a phone number"
    ]
    assert await pool.pool.store.reader().members.all_members() == []


async def test_a_slack_id_belongs_to_one_member(pool: Harness) -> None:
    await run(pool, "members", MEMBERS)
    taken = "name,phone,slack_user_id\nDr New,07700 900330,U123\n"
    assert await refused(pool, "members", taken) == [
        "line 2: slack_user_id U123 already belongs to Dr Zoë Ávila"
    ]


def test_headers_are_checked() -> None:
    problems = imports.check_header("members", ["name", "phnoe"])
    assert [str(p) for p in problems] == ["line 1: unknown column 'phnoe'", "line 1: missing column 'phone'"]


async def test_practices_import(pool: Harness) -> None:
    text = """
ods_code,name,pcn,locality,address,clinical_system,info_pack
y20001,St Mary’s Surgery,East PCN,Eastfield,1 High St,EMIS Web,Ring the bell.
Y20002,Brook Lane,East PCN,Eastfield,,,
"""
    assert (await run(pool, "practices", text)).added == 2
    assert (await run(pool, "practices", text)).unchanged == 2
    assert (await pool.pool.store.reader().practices.practice("Y20001")).name == "St Mary’s Surgery"
    bad = """
ods_code,name
not an ods,Somewhere
Y20003,
Y20002,Again
Y20002,Twice
"""
    assert await refused(pool, "practices", bad) == [
        "line 2: ods_code 'not an ods' is not an ODS code",
        "line 3: name is empty",
        "line 5: ODS code Y20002 is also on line 4",
    ]


async def test_checks_import(pool: Harness) -> None:
    await run(pool, "members", MEMBERS)
    text = """
phone,check,expires
07700 900301,dbs,2027-03-31
07700 900301,identity,
"""
    assert (await run(pool, "checks", text)).added == 2
    assert (await run(pool, "checks", text)).unchanged == 2
    checks = await pool.pool.store.reader().members.checks_of(
        (await pool.pool.store.reader().members.member_by_phone("+447700900301")).id
    )
    assert checks["identity"] is None and str(checks["dbs"]) == "2027-03-31"
    bad = """
phone,check,expires
07700 900399,dbs,2027-01-01
07700 900301,xray,2027-01-01
07700 900301,gmc,31/12/2027
07700 900301,cct,
07700 900301,cct,
"""
    assert await refused(pool, "checks", bad) == [
        "line 2: no member has the phone +447700900399",
        "line 3: check 'xray' is not one of identity, cct, indemnity, occupational_health, performers_list, gmc, employment_history, dbs, nmc, gphc, hcpc, swe",
        "line 4: expires '31/12/2027' is not a date like 2027-03-31",
        "line 6: the same check is also on line 5",
    ]


async def test_sessions_import_with_weekly_repeats_across_the_clock_change(pool: Harness) -> None:
    await pool.gp()
    text = """
practice,start,end,rate_pence,urgent,notes,repeat_weeks
X10001,2027-03-23T08:30,2027-03-23T12:30,32000,false,Tuesday mornings,3
X10001,2026-12-03T13:30,2026-12-03T17:30,30000,yes,,
"""
    result = await run(pool, "sessions", text)
    assert result.added == 4
    reader = pool.pool.store.reader()
    starts = [s.starts_at.astimezone(LONDON) for s in await reader.sessions.open_sessions(pool.clock.now())]
    assert [f"{s:%Y-%m-%d %H:%M}" for s in starts] == [
        "2026-12-03 13:30",
        "2027-03-23 08:30",
        "2027-03-30 08:30",
        "2027-04-06 08:30",
    ]  # 08:30 London on both sides of the last Sunday of March
    assert (await run(pool, "sessions", text)).unchanged == 4


async def test_every_bad_session_row_is_reported(pool: Harness) -> None:
    bad = """
practice,start,end,rate_pence,urgent,notes,repeat_weeks
Z99999,2026-12-03T08:30,2026-12-03T12:30,32000,,,
X10001,next tuesday,2026-12-03T12:30,32000,,,
X10001,2026-12-03T12:30,2026-12-03T08:30,32000,,,
X10001,2026-11-01T08:30,2026-11-01T12:30,32000,,,
X10001,2026-12-03T08:00,2026-12-03T23:30,32000,,,
X10001,2026-12-04T08:30,2026-12-04T12:30,-5,,,
X10001,2026-12-05T08:30,2026-12-05T12:30,32000,maybe,,
X10001,2026-12-06T08:30,2026-12-06T12:30,32000,,,99
X10001,2026-12-07T08:30,2026-12-07T12:30,32000,,,
X10001,2026-12-07T08:30,2026-12-07T12:30,32000,,,
"""
    assert await refused(pool, "sessions", bad) == [
        "line 2: practice 'Z99999' is not in the pool",
        "line 3: start 'next tuesday' is not an ISO date and time like 2026-12-03T08:30",
        "line 4: end is not after start",
        "line 5: start has already passed",
        "line 6: a session can be at most 14 hours long",
        "line 7: rate_pence must be a whole number from 0 to 10000000",
        "line 8: urgent 'maybe' is not true or false",
        "line 9: repeat_weeks must be a whole number from 1 to 52",
        "line 11: the same session is also on line 10",
    ]
    assert await pool.pool.store.reader().sessions.open_sessions(pool.clock.now()) == []


async def test_members_export_round_trips_through_import(pool: Harness) -> None:
    await run(pool, "members", MEMBERS)
    header, rows = await exports.members(pool.pool.store.reader())
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    again = await run(pool, "members", buffer.getvalue())
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)


async def test_sessions_and_bookings_export(pool: Harness) -> None:
    gp = await pool.gp("Dr Export", registration_number="GMC 7000009")
    session = await pool.post(urgent=True)
    await pool.send(gp, "yes")
    header, rows = await exports.bookings(pool.pool.store.reader())
    [row] = rows
    booked = dict(zip(header, row, strict=True))
    assert booked["session"] == session.code and booked["name"] == "Dr Export"
    assert booked["registration_number"] == "GMC 7000009"
    assert booked["start"] == datetime(2026, 12, 2, 8, 30, tzinfo=LONDON).isoformat(timespec="minutes")
    header, rows = await exports.sessions(pool.pool.store.reader())
    assert dict(zip(header, rows[0], strict=True))["status"] == "filled"


async def test_a_row_with_more_values_than_the_header_is_refused(pool: Harness) -> None:
    shifted = "ods_code,name,pcn,locality,address,clinical_system,info_pack\nX20001,Hill,South,Southgate,1 High St, Leeds,EMIS,Pack\n"
    assert await refused(pool, "practices", shifted) == [
        "line 2: 1 more value(s) than the header has columns"
    ]


async def test_header_names_are_read_without_their_spaces(pool: Harness) -> None:
    await run(pool, "members", "name,phone, roles\nDr Coord,07700 900340,coordinator\n")
    assert (await pool.pool.store.reader().members.member_by_phone("+447700900340")).roles == {"coordinator"}


async def test_a_partial_practices_file_leaves_other_columns_alone(pool: Harness) -> None:
    result = await run(pool, "practices", "ods_code,name\nX10001,Riverside Surgery (Quay St)\n")
    assert result.updated == 1
    practice = await pool.pool.store.reader().practices.practice("X10001")
    assert (
        practice.name == "Riverside Surgery (Quay St)"
        and practice.locality == "Northside"
        and practice.info_pack
    )


async def test_a_cancelled_session_is_not_brought_back_by_importing_again(pool: Harness) -> None:
    from bot.commands import CancelSession

    await pool.gp()
    text = "practice,start,end,rate_pence\nX10001,2026-12-03T08:30,2026-12-03T12:30,32000\n"
    await run(pool, "sessions", text)
    [session] = await pool.pool.store.reader().sessions.open_sessions(pool.clock.now())
    await pool.pool.engine.execute(CancelSession(session.code), actor="test")
    again = await run(pool, "sessions", text)
    assert (again.added, again.unchanged) == (0, 1)
    assert again.notes == [f"line 2: session {session.code} was already posted (cancelled); left as it is"]
    assert await pool.pool.store.reader().sessions.open_sessions(pool.clock.now()) == []


async def test_the_same_slack_id_twice_in_a_file_is_a_bad_row(pool: Harness) -> None:
    text = "name,phone,slack_user_id\nDr A,07700 900350,U9\nDr B,07700 900351,U9\n"
    assert await refused(pool, "members", text) == ["line 3: slack_user_id U9 is also on line 2"]
