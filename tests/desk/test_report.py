"""The pool's figures on a known scripted history, across the financial year's edge."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from bot.clock import LONDON, FakeClock
from bot.commands import AddCost, BuildReport, CancelSession, RecordDelivery
from bot.policy import PoolPolicy
from flows.desk.report import as_rows, as_text, financial_year
from tests.harness import Harness, at


def test_financial_years_start_in_april() -> None:
    assert financial_year(date(2027, 3, 31)) == 2026
    assert financial_year(date(2027, 4, 1)) == 2027


async def test_the_report_matches_a_scripted_history(tmp_path) -> None:
    clock = FakeClock(datetime(2027, 3, 1, 9, 0, tzinfo=LONDON))
    pool = await Harness.open(tmp_path, clock=clock, policy=PoolPolicy(live_date=date(2026, 10, 1)))
    try:
        await pool.practice()
        locum = await pool.gp("Dr Locum", gp_type="locum")
        fellow = await pool.gp("Dr Fellow", gp_type="fellow", contracted_sessions_per_week=2)
        await pool.gp("Dr Idle", gp_type="locum")

        def at(day: date, hour: int, minute: int = 0) -> datetime:
            return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)

        # 1. Routine, filled after 30 minutes, delivered with 4 hours (FY 2026/27).
        one = await pool.post(start=at(date(2027, 3, 10), 9), hours=4, rate_pence=32000)
        await pool.advance(minutes=30)
        await pool.send(locum, "yes")
        # 2. Urgent, filled after 5 minutes; evening into the night of 31 March: still 2026/27,
        #    delivered across midnight with 6 hours.
        two = await pool.post(start=at(date(2027, 3, 31), 20), hours=6, urgent=True, rate_pence=45000)
        await pool.advance(minutes=5)
        await pool.send(fellow, f"yes {await pool.offer_code(fellow, two)}")
        # 3. Cancelled (2026/27).
        three = await pool.post(start=at(date(2027, 3, 20), 9), urgent=True)
        await pool.pool.engine.execute(CancelSession(three.code), actor="test")
        # 4. Starts 1 April 00:30: the next financial year, filled after 10 minutes.
        four = await pool.post(start=at(date(2027, 4, 1), 0, 30), hours=4, urgent=True, rate_pence=50000)
        await pool.advance(minutes=10)
        await pool.send(locum, f"yes {await pool.offer_code(locum, four)}")
        # 5. Expires unfilled (2026/27).
        five = await pool.post(start=at(date(2027, 3, 2), 9), hours=3)
        await pool.pool.engine.execute(AddCost(date(2027, 3, 1), 250_000, "Coordinator, March"), actor="test")
        await pool.pool.engine.execute(AddCost(date(2027, 4, 1), 100_000, "Coordinator, April"), actor="test")

        clock.set(at(date(2027, 4, 2), 12))
        await pool.pool.settle()  # five expires at its start
        for session, hours in ((one, 4), (two, 6)):
            await pool.pool.engine.execute(RecordDelivery(session.code, hours), actor="test")
        assert (await pool.view(five)).session.status == "expired"

        ended = await pool.pool.engine.execute(BuildReport(2026), actor="test")
        assert ended.financial_year == "2026/27" and ended.live_date == "2026-10-01"
        assert ended.gps_registered == 3 and ended.gps_registered_by_type == {"locum": 2, "fellow": 1}
        assert ended.gps_engaged == 2 and ended.gps_engaged_by_type == {"locum": 1, "fellow": 1}
        assert ended.contracted_sessions_per_week == 2 and ended.contracted_hours_per_week == 8.3
        assert (ended.sessions_posted, ended.sessions_filled, ended.sessions_delivered) == (4, 2, 2)
        assert (ended.sessions_cancelled, ended.sessions_expired, ended.sessions_open) == (1, 1, 0)
        assert ended.fill_rate == round(2 / 3, 3)
        assert ended.median_minutes_to_fill_routine == 30 and ended.median_minutes_to_fill_urgent == 5
        assert (ended.hours_booked, ended.pay_booked_pence) == (10, 77000)
        assert (ended.hours_delivered, ended.pay_delivered_pence) == (10, 77000)
        assert (ended.running_costs_pence, ended.budget_left_pence) == (250_000, 12_000_000 - 250_000)

        weeks = [
            (w["week_start"], w["posted"], w["filled"], w["expired"], w["fill_rate"]) for w in ended.by_week
        ]
        assert weeks == [
            ("2027-03-01", 1, 0, 1, 0.0),  # five, expired
            ("2027-03-08", 1, 1, 0, 1.0),  # one
            ("2027-03-15", 1, 0, 0, None),  # three, cancelled: no outcome, no rate
            ("2027-03-22", 0, 0, 0, None),  # a quiet week is listed too
            ("2027-03-29", 1, 1, 0, 1.0),  # two, across midnight into April
        ]
        [riverside] = ended.by_practice
        assert (riverside["ods_code"], riverside["name"], riverside["pcn"]) == (
            "X10001",
            "Riverside Surgery",
            "North PCN",
        )
        assert (riverside["posted"], riverside["filled"], riverside["delivered"]) == (4, 2, 2)
        assert riverside["fill_rate"] == ended.fill_rate and riverside["hours_delivered"] == 10
        assert [(p["pcn"], p["practices"], p["posted"]) for p in ended.by_pcn] == [("North PCN", 1, 4)]

        begun = await pool.pool.engine.execute(BuildReport(2027), actor="test")
        assert [w["week_start"] for w in begun.by_week] == ["2027-04-01"]  # a Thursday: the year's first day
        assert (begun.sessions_posted, begun.sessions_filled, begun.sessions_delivered) == (1, 1, 0)
        assert begun.gps_engaged_by_type == {"locum": 1}
        assert begun.median_minutes_to_fill_urgent == 10 and begun.hours_booked == 4
        assert begun.running_costs_pence == 100_000

        text = as_text(ended)
        assert "financial year 2026/27" in text and "Fill rate:                  67%" in text
        assert "£2,500.00 of a £120,000.00 set-up budget" in text
        rows = dict(as_rows(ended)[1:])
        assert rows["sessions_delivered"] == "2" and rows["gps_engaged_by_type.fellow"] == "1"
        assert rows["by_week.2027-03-15.fill_rate"] == "" and rows["by_week.2027-03-08.filled"] == "1"
        assert rows["by_practice.X10001.delivered"] == "2" and rows["by_pcn.North PCN.posted"] == "4"
        assert "North PCN:                  1 practice, 4 sessions posted, 2 filled (fill rate 67%)" in text
        assert json.loads(json.dumps(ended.as_dict()))["hours_delivered"] == 10
    finally:
        await pool.close()


async def test_the_report_names_the_wellbeing_lead_or_warns_there_is_none(tmp_path) -> None:
    pool = await Harness.open(tmp_path, policy=PoolPolicy(wellbeing_lead_phone="+447700900999"))
    try:
        warning = "Warning: no wellbeing lead: POOL_WELLBEING_LEAD is unset or not a member's phone"
        unnamed = await pool.pool.engine.execute(BuildReport(), actor="test")  # the phone is nobody's
        assert unnamed.as_dict()["wellbeing_lead"] is None and warning in as_text(unnamed)
        assert dict(as_rows(unnamed)[1:])["wellbeing_lead"] == ""
        await pool.member("Dr Helen Marsh", phone="+447700900999", roles=("lead",))
        named = await pool.pool.engine.execute(BuildReport(), actor="test")
        assert named.as_dict()["wellbeing_lead"] == "Dr Helen Marsh" and warning not in as_text(named)
        assert dict(as_rows(named)[1:])["wellbeing_lead"] == "Dr Helen Marsh"
    finally:
        await pool.close()


async def test_open_sessions_do_not_lower_the_fill_rate(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.post(urgent=True)
    await pool.send(gp, "yes")
    await pool.post(start=datetime(2027, 1, 5, 9, tzinfo=LONDON))
    figures = await pool.pool.engine.execute(BuildReport(2026), actor="test")
    assert figures.sessions_open == 1 and figures.fill_rate == 1.0


async def test_the_breakdowns_by_practice_and_pcn_add_up_to_the_year(pool: Harness) -> None:
    await pool.practice("X20002", "Hillside Practice", pcn="South PCN")
    await pool.practice("X30003", "Valley Practice", pcn="South PCN")
    ada, bo = await pool.gp("Dr Ada"), await pool.gp("Dr Bo")
    posted = [
        await pool.post("X20002", start=at(pool.today + timedelta(days=2), 9)),
        await pool.post("X20002", start=at(pool.today + timedelta(days=9), 9)),
        await pool.post("X30003", start=at(pool.today + timedelta(days=3), 13)),
        await pool.post(start=at(pool.today + timedelta(days=4), 9)),
    ]
    await pool.send(ada, f"YES {await pool.offer_code(ada, posted[0])}")
    await pool.send(bo, f"YES {await pool.offer_code(bo, posted[2])}")
    figures = await pool.pool.engine.execute(BuildReport(), actor="test")
    assert [(p["ods_code"], p["posted"], p["filled"]) for p in figures.by_practice] == [
        ("X20002", 2, 1),  # the busiest first
        ("X10001", 1, 0),
        ("X30003", 1, 1),
    ]
    assert [(p["pcn"], p["practices"], p["posted"], p["filled"]) for p in figures.by_pcn] == [
        ("South PCN", 2, 3, 2),
        ("North PCN", 1, 1, 0),
    ]
    for breakdown in (figures.by_week, figures.by_practice, figures.by_pcn):
        assert sum(row["posted"] for row in breakdown) == figures.sessions_posted == 4
        assert sum(row["filled"] for row in breakdown) == figures.sessions_filled == 2
    assert [w["week_start"] for w in figures.by_week] == ["2026-11-30", "2026-12-07"]
    assert figures.as_csv().splitlines()[0] == "metric,value"
