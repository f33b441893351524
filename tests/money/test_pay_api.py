"""Pay through the JSON API and the CLI: the same commands, the same roles."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

from bot.clock import LONDON, FakeClock
from tests.harness import AUTH, Harness, at
from tests.money.conftest import worked
from tests.test_cli import run


def acting(member) -> dict[str, str]:
    return {**AUTH, "X-Acting-As": member.phone}


async def test_a_practice_confirms_and_a_coordinator_settles_through_the_api(pool: Harness, client) -> None:
    coordinator = await pool.coordinator()
    pm = await pool.member("Maya Patel", roles=("practice:X10001",))
    ana = await pool.gp("Dr Ana", engagement="employed", contracted_sessions_per_week=2)
    first = await worked(pool, ana, at(pool.today, 9, 0), reported="4")
    second = await worked(pool, ana, at(pool.tomorrow, 9, 0), reported="3")

    listed = await client.get("/api/pay", params={"month": "2026-12"}, headers=acting(pm))
    assert listed.status_code == 200
    assert [(r["session_code"], r["state"], r["hours"], r["pay_pence"]) for r in listed.json()] == [
        (first.code, "awaiting", 4, None),
        (second.code, "awaiting", 3, None),
    ]
    confirmed = await client.post(f"/api/sessions/{first.id}/hours/confirm", headers=acting(pm))
    assert confirmed.status_code == 200
    assert (confirmed.json()["state"], confirmed.json()["pay_pence"]) == ("signed_off", 40_000)
    again = await client.post(f"/api/sessions/{first.id}/hours/confirm", headers=acting(pm))
    assert again.status_code == 422 and "signed off" in again.json()["detail"][0]["problem"]

    queried = await client.post(
        f"/api/sessions/{second.id}/hours/query", json={"text": "left early"}, headers=acting(pm)
    )
    assert (queried.json()["state"], queried.json()["query"]) == ("queried", "left early")
    refused = await client.post(
        f"/api/sessions/{second.id}/hours/settle", json={"hours": 2.5}, headers=acting(pm)
    )
    assert refused.status_code == 403
    settled = await client.post(
        f"/api/sessions/{second.id}/hours/settle",
        json={"hours": 2.5, "note": "Agreed"},
        headers=acting(coordinator),
    )
    assert (settled.json()["hours"], settled.json()["reported_hours"], settled.json()["settled_note"]) == (
        2.5,
        3,
        "Agreed",
    )

    mileage = await client.post(f"/api/sessions/{first.id}/expenses", json={"miles": 10}, headers=acting(ana))
    assert mileage.status_code == 201 and mileage.json()["amount_pence"] == 450
    not_hers = await client.post(f"/api/sessions/{first.id}/expenses", json={"miles": 10}, headers=acting(pm))
    assert not_hers.status_code == 403

    sheets = await client.get("/api/timesheets", params={"month": "2026-12"}, headers=acting(ana))
    [mine] = sheets.json()
    assert (mine["sessions_worked"], mine["sessions_signed_off"], mine["hours_worked"], mine["pay_signed_off_pence"]) == (
        2, 2, 6.5, 80_000,
    )  # fmt: skip
    assert (mine["miles"], mine["mileage_pence"], mine["expenses_pence"]) == (10, 450, 450)
    as_csv = await client.get("/api/timesheets.csv", params={"month": "2026-12"}, headers=AUTH)
    assert as_csv.headers["content-disposition"] == 'attachment; filename="timesheets-2026-12.csv"'
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [(r["name"], r["contracted_sessions"], r["pay_signed_off_pence"]) for r in rows] == [
        # 2 a week over December 2026's 21 working days (23 weekdays less Christmas Day and the
        # Boxing Day holiday on Monday 28th).
        ("Dr Ana", "8.4", "80000")
    ]
    assert (await client.get("/api/pay", params={"month": "2026-13"}, headers=AUTH)).status_code == 422


async def test_a_stranger_to_the_money_sees_nothing(pool: Harness, client) -> None:
    lead = await pool.member("Lee Lead", roles=("lead",))
    locum = await pool.gp("Dr Locum")  # self-employed: no timesheets
    assert (
        await client.get("/api/pay", params={"month": "2026-12"}, headers=acting(lead))
    ).status_code == 403
    refused = await client.get("/api/timesheets", params={"month": "2026-12"}, headers=acting(locum))
    assert refused.status_code == 403 and "employs" in refused.json()["detail"][0]["problem"]


async def test_the_cli_lists_confirms_and_writes_timesheets(tmp_path: Path) -> None:
    # Worked in November on a fake clock, then the command line runs on the real one.
    pool = await Harness.open(tmp_path, clock=FakeClock(datetime(2026, 11, 2, 8, 0, tzinfo=LONDON)))
    try:
        await pool.practice()
        pm = await pool.member("Maya Patel", roles=("practice:X10001",))
        ana = await pool.gp("=Ana Silva", engagement="employed", contracted_sessions_per_week=1)
        session = await worked(pool, ana, at(pool.today, 9, 0), reported="4")
    finally:
        await pool.close()
    listed = run(tmp_path, "signoff", "list", "--month", "2026-11", "--as", pm.phone)
    assert listed.returncode == 0, listed.stderr
    assert f"{session.code}" in listed.stdout and "4 h (awaiting the practice), booked £400" in listed.stdout
    other = run(tmp_path, "signoff", "ok", session.code, "--as", ana.phone)
    assert other.returncode == 2 and "signed off by someone else" in other.stderr
    confirmed = run(tmp_path, "signoff", "ok", session.code, "--as", pm.phone)
    assert confirmed.returncode == 0 and "Signed off: 4 hours, pay £400." in confirmed.stdout
    added = run(
        tmp_path, "expenses", "add", session.code, "--pence", "650", "--note", "Parking", "--as", ana.phone
    )
    assert added.returncode == 0 and "Expense added: Parking, £6.50." in added.stdout
    out = tmp_path / "sheets.csv"
    written = run(tmp_path, "timesheets", "--month", "2026-11", "--out", str(out))
    assert written.returncode == 0 and "1 timesheet for November 2026" in written.stdout
    [row] = list(csv.DictReader(out.open(encoding="utf-8")))
    assert row["name"] == "'=Ana Silva"  # a spreadsheet shows it, never runs it
    assert (row["sessions_signed_off"], row["pay_signed_off_pence"], row["other_expenses_pence"]) == (
        "1",
        "40000",
        "650",
    )
