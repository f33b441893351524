"""A scripted month of the money trail, January 2027, its figures worked out by hand.

Riverside (North PCN) has a practice manager, Maya; Hillview (South PCN) has none, so Priya,
the coordinator, signs its hours off. Dr Ana Silva is salaried (employed, 2 sessions a week
contracted); Dr Ben Carter is a locum (self-employed, so no timesheet).

  S1 Tue 5 Jan 09:00-13:00   Riverside £400  Ana reports 4     Maya: OK            MILES 12 (£5.40)
  S2 Fri 15 Jan 20:00-00:30  Hillview  £450  Ana reports 4h30  Priya: OK           parking £6.50
     (across midnight: 4.5 hours, all of them Friday's session)
  S3 Wed 20 Jan 13:00-17:00  Riverside £400  Ben reports 4     Maya: QUERY, settled at 3.5 by Priya
                                                                                 MILES 20.5 (£9.23)
  S4 Mon 25 Jan 09:00-13:00  Riverside £400  Ben reports 3     nobody answers: Maya reminded Thu 28
     Jan 10:00; three days on is Sunday, so Priya is told Mon 1 Feb 10:00, and confirms
  S5 Sun 31 Jan 22:00-02:00  Hillview  £480  Ana reports 3h30  Priya: OK
     (across the month's end: January's, as it started then)

Pay, session rule: 400 + 450 + 480 (Ana: £1,330) and 400 + 400 (Ben) = £2,130.
Pay, pro rata: 400 + 450 + 480×3.5/4 = 420 (Ana: £1,270), 400×3.5/4 = 350 + 400×3/4 = 300 (Ben):
£1,920. Riverside: £1,200 or £1,050 (400 + 350 + 300); Hillview: £930 or £870 (450 + 420).
Expenses: 12 × 45p = 540p, 650p, 20.5 × 45p = 922.5p → 923p: £21.13 (Ana's £11.90).
Ana's timesheet: January 2027 has 21 weekdays less New Year's Day: 20 working days, so 2 a week
is 8 contracted; 3 sessions worked, 12 hours (4 + 4.5 + 3.5). Hours delivered in all: 18.5.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from bot.clock import LONDON, FakeClock
from bot.commands import AddExpense, BuildReport, BuildTimesheets, ConfirmHours, ListSignOffs, SettleHours
from bot.policy import PoolPolicy
from flows.desk import exports
from tests.harness import Harness
from tests.money.conftest import asked_code, signoff_of, worked

JANUARY = date(2027, 1, 1)


def on(day: int, hour: int, minute: int = 0, month: int = 1) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=LONDON)


EXPECTED = {
    # rule: (S1..S5 pay, Ana's pay, Riverside, Hillview, everyone)
    "session": ((40_000, 45_000, 40_000, 40_000, 48_000), 133_000, 120_000, 93_000, 213_000),
    "pro_rata": ((40_000, 45_000, 35_000, 30_000, 42_000), 127_000, 105_000, 87_000, 192_000),
}


@pytest.mark.parametrize("rule", ["session", "pro_rata"])
async def test_a_month_of_hours_pay_and_expenses(tmp_path, rule: str) -> None:
    policy = replace(PoolPolicy(pool_name="Test Pool"), pay_rule=rule)
    pool = await Harness.open(tmp_path, clock=FakeClock(on(4, 8, 0)), policy=policy)
    try:
        await figures_of_a_month(pool, rule)
    finally:
        await pool.close()


async def figures_of_a_month(pool: Harness, rule: str) -> None:
    await pool.practice("X10001", "Riverside Surgery", pcn="North PCN")
    await pool.practice("X20002", "Hillview Practice", pcn="South PCN")
    priya = await pool.coordinator()
    maya = await pool.member("Maya Patel", roles=("practice:X10001",))
    ana = await pool.gp("Dr Ana Silva", gp_type="salaried", contracted_sessions_per_week=2)
    ben = await pool.gp("Dr Ben Carter", gp_type="locum")
    assert (ana.engagement, ben.engagement) == ("employed", "self_employed")

    # S1: confirmed by the practice manager; mileage by text.
    s1 = await worked(pool, ana, on(5, 9), hours=4, rate_pence=40_000, reported="4")
    pool.clock.set(on(5, 13, 30))
    await pool.send(maya, f"OK {await asked_code(pool, maya, s1)}")
    await pool.send(ana, f"MILES 12 {s1.code}")

    # S2: across midnight; Hillview has no manager, so the coordinator confirms.
    pool.clock.set(on(15, 10))
    s2 = await worked(pool, ana, on(15, 20), hours=4.5, rate_pence=45_000, practice="X20002", reported="4h30")
    assert s2.ends_at == on(16, 0, 30)
    pool.clock.set(on(16, 9))
    await pool.send(priya, f"OK {await asked_code(pool, priya, s2)}")
    await pool.pool.engine.execute(
        AddExpense(s2.code, amount_pence=650, note="Parking", by=ana.id), actor="test"
    )

    # S3: queried by the practice, settled by the coordinator.
    pool.clock.set(on(19, 12))
    s3 = await worked(pool, ben, on(20, 13), reported="4")
    await pool.send(maya, f"QUERY {await asked_code(pool, maya, s3)} he left at 16:00, so 3 hours")
    await pool.send(ben, f"MILES 20.5 {s3.code}")
    month = await pool.pool.engine.query(ListSignOffs(JANUARY, priya.id), actor="test")
    assert [(r.session.code, r.signoff.state) for r in month] == [
        (s1.code, "signed_off"), (s2.code, "signed_off"), (s3.code, "queried"),
    ]  # fmt: skip
    report = await pool.pool.engine.execute(BuildReport(2026, priya.id), actor="test")
    assert (report.pay_signed_off_pence, report.pay_queried_pence) == (85_000, 40_000)
    pool.clock.set(on(21, 11))
    await pool.pool.engine.execute(
        SettleHours(s3.code, 3.5, note="Agreed by phone", by=priya.id), actor="test"
    )

    # S4: nobody answers: one reminder, then the coordinators, on the clock.
    pool.clock.set(on(24, 12))
    s4 = await worked(pool, ben, on(25, 9), reported="3")
    pool.clock.set(on(28, 9, 59))
    await pool.pool.settle()
    assert "signoff_reminder" not in [m.kind for m in await pool.messages(maya)]
    pool.clock.set(on(28, 10))
    await pool.pool.settle()
    assert (await pool.last(maya)).kind == "signoff_reminder"

    # S5: across the month's end, January's.
    pool.clock.set(on(31, 12))
    s5 = await worked(pool, ana, on(31, 22), hours=4, rate_pence=48_000, practice="X20002", reported="3h30")
    pool.clock.set(on(1, 9, 59, month=2))
    await pool.pool.settle()
    assert "signoff_escalation" not in [m.kind for m in await pool.messages(priya)]
    pool.clock.set(on(1, 10, month=2))
    await pool.pool.settle()
    escalated = [m for m in await pool.messages(priya) if m.kind == "signoff_escalation"]
    assert len(escalated) == 1 and s4.code in escalated[0].body
    await pool.pool.engine.execute(ConfirmHours(s4.code, by=priya.id), actor="test")
    await pool.send(priya, f"OK {await asked_code(pool, priya, s5)}")

    # The figures, as worked out by hand above.
    pays, ana_pay, riverside, hillview, everyone = EXPECTED[rule]
    signed = [await signoff_of(pool, s) for s in (s1, s2, s3, s4, s5)]
    assert [s.state for s in signed] == ["signed_off"] * 5
    assert tuple(s.pay_pence for s in signed) == pays
    assert [s.hours for s in signed] == [4, 4.5, 3.5, 3, 3.5]
    assert signed[2].reported_hours == 4 and signed[2].pay_rule == rule

    [sheet] = await pool.pool.engine.query(BuildTimesheets(JANUARY, priya.id), actor="test")
    assert sheet.member.id == ana.id  # Ben is self-employed: invoices, not payroll
    assert (sheet.contracted_sessions, sheet.sessions_worked, sheet.sessions_signed_off) == (8, 3, 3)
    assert (sheet.hours_worked, sheet.pay_signed_off_pence) == (12, ana_pay)
    assert (sheet.miles, sheet.mileage_pence, sheet.other_expenses_pence, sheet.expenses_pence) == (
        12, 540, 650, 1_190,
    )  # fmt: skip
    assert await pool.pool.engine.query(BuildTimesheets(date(2027, 2, 1), priya.id), actor="test") == [
        _empty_february(sheet)
    ]

    report = await pool.pool.engine.execute(BuildReport(2026, priya.id), actor="test")
    assert (report.pay_signed_off_pence, report.pay_awaiting_pence, report.pay_queried_pence) == (
        everyone,
        0,
        0,
    )
    assert report.pay_delivered_pence == report.pay_booked_pence == everyone
    assert report.expenses_pence == 2_113
    assert report.hours_delivered == 18.5  # 4 + 4.5 + 3.5 + 3 + 3.5
    assert {p["ods_code"]: (p["expenses_pence"], p["pay_awaiting_pence"]) for p in report.by_practice} == {
        "X10001": (540 + 923, 0), "X20002": (650, 0),
    }  # fmt: skip
    places = {p["ods_code"]: p["pay_signed_off_pence"] for p in report.by_practice}
    assert places == {"X10001": riverside, "X20002": hillview}
    assert {p["pcn"]: p["pay_booked_pence"] for p in report.by_pcn} == {
        "North PCN": riverside,
        "South PCN": hillview,
    }
    header, rows = await exports.bookings(pool.pool.store.reader())
    exported = [dict(zip(header, row, strict=True)) for row in rows]
    assert [(r["session"], r["signoff"], r["pay_pence"], r["expenses_pence"]) for r in exported] == [
        (s.code, "signed_off", str(pay), str(spent))
        for s, pay, spent in zip((s1, s2, s3, s4, s5), pays, (540, 650, 923, 0, 0), strict=True)
    ]
    what_ana_heard = [m.body for m in await pool.messages(ana) if m.kind == "signoff_gp_told"]
    assert len(what_ana_heard) == 3 and "Pay: £400" in what_ana_heard[0]


def _empty_february(january):
    """February's line for Ana: contracted (20 working days: 8 sessions), nothing worked yet."""
    return replace(
        january, month="2027-02", contracted_sessions=8, sessions_worked=0, sessions_signed_off=0,
        hours_worked=0, hours_signed_off=0, pay_signed_off_pence=0, miles=0, mileage_pence=0,
        other_expenses_pence=0,
    )  # fmt: skip
