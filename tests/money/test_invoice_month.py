"""Part one's month carried through to invoices and the pension forms, figures worked out by hand.

Riverside (X10001, North PCN) has a practice manager, Maya; Hillview (X20002, South PCN) has
none, so Priya, the coordinator, hears for it. Dr Ben Carter is a self-employed locum who
pensions his work (SD number 12345678, tier 4: 9.8% in 2026/27, which carries 2025/26's table);
Dr Cara Diaz invoices through her limited company (no pension forms). The pool pays the
session's rate.

  S1 Tue 5 Jan  09:00-13:00  Riverside £400  Ben, 4 h, MILES 12 (£5.40)
  S2 Fri 15 Jan 20:00-00:30  Hillview  £450  Ben, 4.5 h
  S3 Wed 20 Jan 13:00-17:00  Riverside £400  Cara, 4 h

Mon 1 Feb, 09:00, the month's invoices (numbers: the person's id, then theirs):
  Ben → Riverside: fees £400, mileage £5.40; pensionable 90% = £360.00; employer 14.38% of
  that = £51.768 → £51.77; total £457.17.
  Ben → Hillview: fees £450; pensionable £405.00; employer £58.239 → £58.24; total £508.24.
  Cara → Riverside: £400 (no pension line).
Cara's is wrong: she cancels it (credit note -£400, her next number) and raises it again.
Maya marks Ben's Riverside invoice paid on Wed 10 Feb. Ben's Hillview invoice is due by Wed 3 Mar:
overdue on Thu 4 Mar (Priya reminded for Hillview), the coordinators told on Thu 11 Mar; so is
Cara's reissued one. Figures on 4 Mar: invoiced £457.17 + £508.24 + £400 = £1,365.41 (her cancelled one
not counted), paid £457.17, overdue £908.24. The 10-week
window of S2 (15 Jan) closes on 26 Mar; on Fri 12 Mar, two weeks before, Ben and Hillview (Priya)
are told. Hillview pays on Fri 12 Mar: March's Form B.
  Form B, February 2027 (12345678LOCFEB2027): pensionable £360.00, employee 9.8% = £35.28,
  employer £51.77, total £87.05, cumulative £360.00; due Sun 7 Mar.
  Form B, March 2027 (12345678LOCMAR2027): pensionable £405.00, employee £39.69, employer
  £58.24, total £97.93, cumulative £765.00 (February's and March's); due Wed 7 Apr.

To change the golden texts on purpose: POOL_WRITE_GOLDEN=1 pytest tests/money/test_invoice_month.py,
then read the diff.
"""

from __future__ import annotations

import io
import os
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.clock import LONDON, FakeClock
from bot.commands import (
    BuildReport,
    CancelInvoice,
    FormBFile,
    InvoiceFile,
    ListInvoices,
    MarkPaid,
    OpenDocumentLink,
    RaiseInvoices,
    SetBilling,
    SetPensionDetails,
    ShowBilling,
)
from bot.errors import Refused
from tests.harness import Harness
from tests.money.conftest import asked_code, worked

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def on(day: int, hour: int, minute: int = 0, month: int = 1) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=LONDON)


def text_of(pdf: bytes) -> str:
    """The words of every page, one line each as extracted, spaces tidied."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    return (
        "\n".join(" ".join(line.split()) for page in pages for line in page.extract_text().splitlines())
        + "\n"
    )


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("POOL_WRITE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden text"


@pytest.fixture
async def month(tmp_path):
    pool = await Harness.open(tmp_path, clock=FakeClock(on(4, 8)))
    try:
        yield pool
    finally:
        await pool.close()


async def test_a_month_invoiced_paid_late_and_on_its_forms(month: Harness) -> None:
    pool, engine = month, month.pool.engine
    await pool.practice(
        "X10001", "Riverside Surgery", pcn="North PCN", address="1 Quay St, Northside, NS1 1AA"
    )
    await pool.practice(
        "X20002", "Hillview Practice", pcn="South PCN", address="9 Hill Rd, Southgate, SG2 2BB"
    )
    priya = await pool.coordinator()
    maya = await pool.member("Maya Patel", roles=("practice:X10001",))
    ben = await pool.gp(
        "Dr Ben Carter", gp_type="locum", registration_number="7012345", email="ben@example.org"
    )
    cara = await pool.gp(
        "Dr Cara Diaz", gp_type="locum", engagement="limited_company", registration_number="7054321"
    )
    await engine.execute(
        SetBilling(ben.phone, ("2 Elm Road", "Northside NS2 2BB"), "", "", "Dr B Carter", "12-34-56", "12345678",
                   priya.id), actor="test",
    )  # fmt: skip
    await engine.execute(SetPensionDetails(ben.phone, "12345678", 4, by=ben.id), actor="test")
    await engine.execute(
        SetBilling(cara.phone, ("Flat 3, 4 Mill Lane", "Northside NS3 3CC"), "Diaz Medical Ltd", "12345678",
                   "Diaz Medical Ltd", "20-00-00", "87654321", cara.id), actor="test",
    )  # fmt: skip

    s1 = await worked(pool, ben, on(5, 9), reported="4", rate_pence=40_000)
    await pool.send(maya, f"OK {await asked_code(pool, maya, s1)}")
    await pool.send(ben, f"MILES 12 {s1.code}")
    pool.clock.set(on(14, 10))
    s2 = await worked(pool, ben, on(15, 20), hours=4.5, rate_pence=45_000, practice="X20002", reported="4h30")
    pool.clock.set(on(16, 9))
    await pool.send(priya, f"OK {await asked_code(pool, priya, s2)}")
    pool.clock.set(on(19, 12))
    s3 = await worked(pool, cara, on(20, 13), reported="4", rate_pence=40_000)
    await pool.send(maya, f"OK {await asked_code(pool, maya, s3)}")

    # Mon 1 Feb, 09:00: the month's invoices, sent.
    pool.clock.set(on(1, 9, month=2))
    await pool.pool.settle()
    rows = await engine.query(ListInvoices(priya.id), actor="test")
    found = {(r.member_name, r.invoice.practice): r.invoice for r in rows}
    ben_river, ben_hill = found[("Dr Ben Carter", "X10001")], found[("Dr Ben Carter", "X20002")]
    cara_river = found[("Dr Cara Diaz", "X10001")]
    assert (ben_river.number, ben_hill.number, cara_river.number) == (
        f"{ben.id:03d}-0001", f"{ben.id:03d}-0002", f"{cara.id:03d}-0001",
    )  # fmt: skip
    assert (ben_river.fee_pence, ben_river.expenses_pence, ben_river.pensionable_pence) == (
        40_000,
        540,
        36_000,
    )
    assert (ben_river.employer_pence, ben_river.total_pence, ben_river.due_on) == (
        5_177,
        45_717,
        date(2027, 3, 3),
    )
    assert (ben_hill.pensionable_pence, ben_hill.employer_pence, ben_hill.total_pence) == (
        40_500,
        5_824,
        50_824,
    )
    assert (cara_river.employer_pence, cara_river.total_pence, cara_river.pensions) == (0, 40_000, False)
    assert {i.state for i in (ben_river, ben_hill, cara_river)} == {"sent"}
    to_maya = [m for m in await pool.messages(maya) if m.kind == "invoice_to_practice"]
    assert len(to_maya) == 2 and f"PAID {ben_river.number}" in to_maya[0].body
    assert (
        "with Form A to certify" in to_maya[0].body and "Form A" not in to_maya[1].body
    )  # Cara's: no pension
    link = re.search(r"/documents/(\S+)", to_maya[0].body)
    assert link is not None

    # The invoice the practice opens, its Form A after it; compared by its text.
    name, media, content = await engine.query(OpenDocumentLink(link[1]), actor="test")
    assert (name, media) == (f"invoice-{ben_river.number}.pdf", "application/pdf")
    golden("month_invoice.txt", text_of(content))
    assert "12345678" in text_of(content) and "12-34-56" in text_of(content)  # Ben's own invoice

    # Cara's is wrong: a credit note cancels it, and it is raised again with her next number.
    credit = await engine.execute(
        CancelInvoice(cara_river.number, "wrong rate agreed", cara.id), actor="test"
    )
    assert (credit.kind, credit.number, credit.total_pence) == ("credit_note", f"{cara.id:03d}-0002", -40_000)
    [again] = await engine.execute(RaiseInvoices(by=cara.id), actor="test")
    assert (again.number, again.total_pence) == (f"{cara.id:03d}-0003", 40_000)
    _, _, credit_pdf = await engine.query(InvoiceFile(credit.number, by=priya.id), actor="test")
    assert "CREDIT NOTE" in text_of(credit_pdf) and f"Cancels invoice {cara_river.number}" in text_of(
        credit_pdf
    )

    # Maya pays Ben's Riverside invoice on 10 February.
    pool.clock.set(on(10, 11, month=2))
    await pool.send(maya, f"PAID {ben_river.number}")
    assert (await pool.last(maya)).kind == "invoice_paid_noted"
    assert "has paid invoice" in (await pool.last(ben)).body

    # Mon 1 Mar: February's Form B, reminded with its link.
    pool.clock.set(on(1, 9, month=3))
    await pool.pool.settle()
    reminder = await pool.last(ben)
    assert (
        reminder.kind == "form_b_reminder"
        and "12345678LOCFEB2027" in reminder.body
        and "£87.05" in reminder.body
    )
    _, _, february = await engine.query(FormBFile(ben.phone, date(2027, 2, 1), ben.id), actor="test")
    golden("month_form_b.txt", text_of(february))

    # Due by Wed 3 Mar: overdue on Thu 4 Mar; a week on, the coordinators hear.
    pool.clock.set(on(3, 10, month=3))
    await pool.pool.settle()
    assert "invoice_overdue" not in [m.kind for m in await pool.messages(priya)], "due that day, not late yet"
    pool.clock.set(on(4, 10, month=3))
    await pool.pool.settle()
    assert (await pool.last(priya)).kind == "invoice_overdue"
    figures = await engine.execute(BuildReport(2026, priya.id), actor="test")
    # Cara's reissued invoice (also due 3 March, unpaid) is overdue too; her cancelled one counts nowhere.
    assert [o["number"] for o in figures.invoices_overdue] == [ben_hill.number, again.number]
    assert (figures.invoiced_pence, figures.invoices_paid_pence, figures.invoices_overdue_pence) == (
        45_717 + 50_824 + 40_000, 45_717, 50_824 + 40_000,
    )  # fmt: skip
    by_pcn = {p["pcn"]: (p["invoiced_pence"], p["invoices_overdue_pence"]) for p in figures.by_pcn}
    assert by_pcn == {"North PCN": (45_717 + 40_000, 40_000), "South PCN": (50_824, 50_824)}
    pool.clock.set(on(11, 10, month=3))
    await pool.pool.settle()
    assert (await pool.last(priya)).kind == "invoice_unpaid_alert"

    # Fri 12 Mar, 10:00: S2's 10-week window closes on 26 March.
    pool.clock.set(on(12, 10, month=3))
    await pool.pool.settle()
    warned = await pool.last(ben)
    assert (
        warned.kind == "pension_window"
        and "until Fri 26 Mar" in warned.body
        and ben_hill.number in warned.body
    )
    assert [m.kind for m in await pool.messages(priya)][-1] == "pension_window"
    assert "pension_window" not in [m.kind for m in await pool.messages(cara)]
    await engine.execute(MarkPaid(ben_hill.number, date(2027, 3, 12), priya.id), actor="test")

    # Thu 1 Apr: March's Form B.
    pool.clock.set(on(1, 9, month=4))
    await pool.pool.settle()
    _, _, march = await engine.query(FormBFile(ben.phone, date(2027, 3, 1), priya.id), actor="test")
    words = text_of(march)
    assert "12345678LOCMAR2027" in words and "£39.69" in words and "£97.93" in words and "£765.00" in words


async def test_who_sees_invoices_and_bank_details(month: Harness) -> None:
    pool, engine = month, month.pool.engine
    await pool.practice("X10001", "Riverside Surgery")
    await pool.practice("X20002", "Hillview Practice")
    priya = await pool.coordinator()
    maya = await pool.member("Maya Patel", roles=("practice:X10001",))
    hill = await pool.member("Hal Hill", roles=("practice:X20002",))
    ben, cara = await pool.gp("Dr Ben Carter"), await pool.gp("Dr Cara Diaz")
    await engine.execute(
        SetBilling(ben.phone, ("2 Elm Road",), "", "", "Dr B Carter", "12-34-56", "12345678", ben.id),
        actor="test",
    )
    s1 = await worked(pool, ben, on(5, 9), reported="4")
    await pool.send(maya, f"OK {await asked_code(pool, maya, s1)}")
    [invoice] = await engine.execute(RaiseInvoices(date(2027, 2, 1), by=priya.id), actor="test")

    for who in (hill, cara):  # another practice, another GP
        with pytest.raises(Refused, match="your own invoices"):
            await engine.query(InvoiceFile(invoice.number, by=who.id), actor="test")
        with pytest.raises(Refused):
            await engine.execute(MarkPaid(invoice.number, by=who.id), actor="test")
        assert await engine.query(ListInvoices(who.id), actor="test") == []
    for who in (maya, cara, hill):
        with pytest.raises(Refused, match="only the person or a coordinator"):
            await engine.query(ShowBilling(ben.phone, who.id), actor="test")
    shown = await engine.query(ShowBilling(ben.phone, ben.id), actor="test")
    assert (shown.sort_code, shown.account_number) == ("**-**-56", "****5678")  # even to Ben, masked
    # Only on the invoice itself, and only Ben's: never in a message.
    every_text = " ".join([m.body for who in (priya, maya, ben) for m in await pool.messages(who)])
    assert "12345678" not in every_text and "12-34-56" not in every_text
    with pytest.raises(Refused, match="expired"):
        await engine.query(OpenDocumentLink("not-a-real-token"), actor="test")
