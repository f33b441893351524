"""Invoices through the JSON API, the document links and the CLI; the members CSV's pension
columns; migration 0022's defaults."""

from __future__ import annotations

import re
import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest

from bot.clock import LONDON, FakeClock
from bot.commands import RaiseInvoices, SetBilling, SetPensionDetails
from bot.pensions import WARN_BEFORE, WINDOW
from flows.desk import exports, imports
from storage.sqlite.migrate import numbered_migrations, statements
from tests.harness import AUTH, Harness, at
from tests.money.conftest import asked_code, worked
from tests.test_cli import run


def acting(member) -> dict[str, str]:
    return {**AUTH, "X-Acting-As": member.phone}


async def invoiced(pool: Harness):
    """Ben worked one session at Riverside, Maya confirmed it, it is invoiced."""
    priya = await pool.coordinator()
    maya = await pool.member("Maya Patel", roles=("practice:X10001",))
    ben = await pool.gp("Dr Ben Carter", gp_type="locum")
    await pool.pool.engine.execute(
        SetBilling(ben.phone, ("2 Elm Road",), "", "", "Dr B Carter", "12-34-56", "12345678", ben.id),
        actor="test",
    )
    await pool.pool.engine.execute(SetPensionDetails(ben.phone, "12345678", 2, by=ben.id), actor="test")
    session = await worked(pool, ben, at(pool.today, 9, 0), reported="4", rate_pence=40_000)
    await pool.send(maya, f"OK {await asked_code(pool, maya, session)}")
    [invoice] = await pool.pool.engine.execute(RaiseInvoices(date(2027, 1, 1), by=priya.id), actor="test")
    return priya, maya, ben, invoice


async def test_the_api_lists_serves_and_marks_invoices_paid_by_role(pool: Harness, client) -> None:
    _, maya, ben, invoice = await invoiced(pool)
    hill = await pool.member("Hal Hill", roles=("practice:X20002",))
    listed = await client.get("/api/invoices", headers=acting(maya))
    [row] = listed.json()
    assert (row["number"], row["state"], row["total_pence"], row["pensions"]) == (
        invoice.number,
        "sent",
        45_177,
        True,
    )
    assert "12345678" not in listed.text, "never bank details in a list"
    assert (await client.get("/api/invoices", headers=acting(hill))).json() == []
    pdf = await client.get(f"/api/invoices/{invoice.number}.pdf", headers=acting(maya))
    assert (
        pdf.status_code == 200
        and pdf.content.startswith(b"%PDF")
        and pdf.headers["x-content-type-options"] == "nosniff"
    )
    assert (await client.get(f"/api/invoices/{invoice.number}.pdf", headers=acting(hill))).status_code == 403
    as_csv = await client.get(f"/api/invoices/{invoice.number}.csv", headers=acting(ben))
    assert as_csv.text.splitlines()[0] == "number,date,description,times,hours,amount_pence"
    assert (await client.get(f"/api/invoices/{invoice.number}/form-a.pdf", headers=AUTH)).status_code == 200
    paid = await client.post(f"/api/invoices/{invoice.number}/paid", json={}, headers=acting(maya))
    assert (paid.json()["state"], paid.json()["paid_on"]) == ("paid", pool.today.isoformat())
    again = await client.post(f"/api/invoices/{invoice.number}/paid", json={}, headers=acting(maya))
    assert again.status_code == 422
    form_b = await client.get(
        f"/api/members/{ben.phone}/form-b.pdf", params={"month": f"{pool.today:%Y-%m}"}, headers=acting(ben)
    )
    assert form_b.status_code == 200 and form_b.content.startswith(b"%PDF")
    refused = await client.get(
        f"/api/members/{ben.phone}/form-b.pdf", params={"month": f"{pool.today:%Y-%m}"}, headers=acting(maya)
    )
    assert refused.status_code == 403
    billing = await client.get(f"/api/members/{ben.phone}/billing", headers=acting(ben))
    assert (billing.json()["sort_code"], billing.json()["account_number"]) == ("**-**-56", "****5678")
    bad = await client.put(
        f"/api/members/{ben.phone}/billing",
        json={"account_name": "B", "sort_code": "12-34", "account_number": "12345678"},
        headers=acting(ben),
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "sort_code"


async def test_a_document_link_opens_without_a_token_until_it_expires(pool: Harness, client) -> None:
    _, maya, _, invoice = await invoiced(pool)
    sent = next(m for m in await pool.messages(maya) if m.kind == "invoice_to_practice")
    path = re.search(r"(/documents/\S+)", sent.body)[1]  # type: ignore[index]
    opened = await client.get(path)
    assert opened.status_code == 200 and opened.content.startswith(b"%PDF")
    assert opened.headers["content-disposition"] == f'attachment; filename="invoice-{invoice.number}.pdf"'
    assert (await client.get("/documents/nothing-here")).status_code == 404
    pool.clock.set(at(pool.today.replace(year=pool.today.year + 1), 9, 0))
    assert (await client.get(path)).status_code == 404, "90 days on, the link has expired"


async def test_the_members_csv_carries_the_pension_columns(pool: Harness) -> None:
    header = "name,phone,gp_type,pension_sd_number,pension_tier,invoice_by\n"

    async def load(turn, text):  # type: ignore[no-untyped-def]
        return await imports.import_members(turn, imports.read_csv("members", text))

    bad = (
        header + "Dr Ben Carter,07700 900701,locum,1234 5678,3,session\nDr Bad,07700 900702,locum,1234567,,\n"
    )
    with pytest.raises(imports.ImportRefused) as refused:
        await pool.pool.engine.run("test", lambda turn: load(turn, bad))
    assert "pension_sd_number '1234567' is not 8 digits" in str(refused.value.errors[0])
    await pool.pool.engine.run("test", lambda turn: load(turn, bad.replace("1234567,,", ",,month")))
    columns, rows = await exports.members(pool.pool.store.reader())
    ben = dict(zip(columns, next(r for r in rows if r[0] == "Dr Ben Carter"), strict=True))
    assert (ben["pension_sd_number"], ben["pension_tier"], ben["invoice_by"]) == ("12345678", "3", "session")


def test_existing_members_have_no_pension_details_and_invoice_by_month(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "old.db")
    for number, script in numbered_migrations():
        if number == 22:
            conn.execute(
                "INSERT INTO members (name, phone, roles, gp_type, created_at) VALUES ('Dr A', '+447700900001', 'clinician', 'locum', 'x')"
            )
        for statement in statements(script):
            conn.execute(statement)
    assert conn.execute("SELECT pension_sd_number, pension_tier, invoice_by FROM members").fetchall() == [
        (None, None, "month")
    ]


async def test_the_cli_lists_marks_paid_and_saves_an_invoice(tmp_path: Path) -> None:
    pool = await Harness.open(tmp_path, clock=FakeClock(datetime(2026, 11, 2, 8, 0, tzinfo=LONDON)))
    try:
        await pool.practice()
        _, maya, ben, invoice = await invoiced(pool)
    finally:
        await pool.close()
    listed = run(tmp_path, "invoices", "list", "--as", maya.phone)
    assert listed.returncode == 0, listed.stderr
    assert (
        f"{invoice.number}  invoice sent: Dr Ben Carter to Riverside Surgery, November 2026, £451.77"
        in listed.stdout
    )
    paid = run(tmp_path, "invoices", "paid", invoice.number, "--as", maya.phone)
    assert paid.returncode == 0 and f"Invoice {invoice.number} is paid" in paid.stdout
    out = tmp_path / "inv.pdf"
    saved = run(tmp_path, "invoices", "file", invoice.number, "--out", str(out), "--as", ben.phone)
    assert saved.returncode == 0 and out.read_bytes().startswith(b"%PDF")
    shown = run(tmp_path, "billing", "show", ben.phone, "--as", ben.phone)
    assert "****5678" in shown.stdout and "12345678" not in shown.stdout


async def test_invoicing_by_session_and_a_warning_for_work_never_signed_off(pool: Harness) -> None:
    maya = await pool.member("Maya Patel", roles=("practice:X10001",))
    ben = await pool.gp("Dr Ben Carter", gp_type="locum")
    await pool.pool.engine.execute(
        SetBilling(ben.phone, ("2 Elm Road",), "", "", "Dr B Carter", "12-34-56", "12345678", ben.id),
        actor="test",
    )
    await pool.pool.engine.execute(
        SetPensionDetails(ben.phone, "12345678", 2, "session", by=ben.id), actor="test"
    )
    first = await worked(pool, ben, at(pool.today, 9, 0), reported="4")
    await pool.send(maya, f"OK {await asked_code(pool, maya, first)}")
    [sent] = [m for m in await pool.messages(maya) if m.kind == "invoice_to_practice"]
    assert f"session {first.code}" in sent.body  # at once, by session
    second = await worked(pool, ben, at(pool.tomorrow, 9, 0))  # booked and worked, no hours yet
    # Eight weeks after the second session, at 10:00: its window closes in two weeks.
    pool.clock.set(at(second.starts_at.astimezone(LONDON).date() + (WINDOW - WARN_BEFORE), 10, 0))
    await pool.pool.settle()
    warned = [m for m in await pool.messages(ben) if m.kind == "pension_window"]
    assert len(warned) == 1 and "It isn't invoiced yet." in warned[0].body


async def test_digits_from_other_scripts_are_refused_in_bank_details(pool: Harness, client) -> None:
    ben = await pool.gp("Dr Ben Carter", gp_type="locum")
    answer = await client.put(
        f"/api/members/{ben.phone}/billing",
        json={"account_name": "B", "sort_code": "12-34-56", "account_number": "1234567\u0668"},
        headers=acting(ben),
    )
    assert answer.status_code == 422 and answer.json()["detail"][0]["field"] == "account_number"
