"""Invoices and forms at their edges (each found by a review of issue 26, then fixed): a late
expense, sending a draft, what was issued stays as issued, the scheme year's end, the 10-week
window at issue, a manager who left, one window warning an invoice."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.clock import LONDON, FakeClock
from bot.commands import (
    InvoiceFile,
    ListInvoices,
    MarkPaid,
    OpenDocumentLink,
    RaiseInvoices,
    SendInvoice,
    SetBilling,
    SetPensionDetails,
)
from tests.harness import Harness
from tests.money.conftest import asked_code, worked


def on(day: int, hour: int, minute: int = 0, month: int = 1, year: int = 2027) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


@pytest.fixture
async def pool(tmp_path):
    p = await Harness.open(tmp_path, clock=FakeClock(on(4, 8)))
    await p.practice("X10001", "Riverside Surgery", address="1 Quay St, Northside")
    await p.practice("X20002", "Hillview Practice", address="9 Hill Rd")
    try:
        yield p
    finally:
        await p.close()


async def setup(pool, bank=True, address=True, sd=True):
    e = pool.pool.engine
    priya = await pool.coordinator()
    maya = await pool.member("Maya Patel", roles=("practice:X10001",))
    ben = await pool.gp("Dr Ben Carter", gp_type="locum", registration_number="7012345")
    await e.execute(
        SetBilling(
            ben.phone,
            ("2 Elm Road",) if address else (),
            "",
            "",
            "Dr B Carter" if bank else "",
            "12-34-56" if bank else "",
            "12345678" if bank else "",
            priya.id,
        ),
        actor="t",
    )
    if sd:
        await e.execute(SetPensionDetails(ben.phone, "12345678", 4, by=ben.id), actor="t")
    return e, priya, maya, ben


async def test_mileage_claimed_after_the_invoice_goes_on_the_next_one(pool):
    e, priya, maya, ben = await setup(pool)
    s1 = await worked(pool, ben, on(5, 9), reported="4")
    await pool.send(maya, f"OK {await asked_code(pool, maya, s1)}")
    pool.clock.set(on(1, 9, month=2))
    await pool.pool.settle()
    [first] = await e.query(ListInvoices(priya.id), actor="t")
    assert first.invoice.expenses_pence == 0
    pool.clock.set(on(3, 12, month=2))
    await pool.send(ben, f"MILES 12 {s1.code}")
    assert (await pool.last(ben)).kind == "miles_noted"
    # a month later, nothing invoices it
    pool.clock.set(on(1, 9, month=3))
    await pool.pool.settle()
    await e.execute(RaiseInvoices(date(2027, 4, 1), by=priya.id), actor="t")  # and again: nothing twice
    rows = await e.query(ListInvoices(priya.id), actor="t")
    assert sum(r.invoice.expenses_pence for r in rows) == 540, "the £5.40 mileage is invoiced once"
    assert [r.invoice.fee_pence for r in rows if r.invoice.expenses_pence] == [0], (
        "its fee is not billed again"
    )


async def test_a_draft_sent_after_its_address_is_added_prints_it(pool):
    e, priya, maya, ben = await setup(pool, address=False)
    s1 = await worked(pool, ben, on(5, 9), reported="4")
    await pool.send(maya, f"OK {await asked_code(pool, maya, s1)}")
    [draft] = await e.execute(RaiseInvoices(date(2027, 2, 1), by=priya.id), actor="t")
    assert draft.state == "draft"
    await e.execute(
        SetBilling(
            ben.phone, ("2 Elm Road", "Northside"), "", "", "Dr B Carter", "12-34-56", "12345678", priya.id
        ),
        actor="t",
    )
    sent = await e.execute(SendInvoice(draft.number, priya.id), actor="t")
    _, _, content = await e.query(InvoiceFile(sent.number, fmt="csv", by=priya.id), actor="t")
    assert b"2 Elm Road" not in content  # the CSV lists lines; the address is in the document
    from bot.documents import invoice_from_json

    doc = invoice_from_json(await pool.pool.store.reader().invoices.document(sent.id))
    assert doc.supplier.address, "sent invoice prints no address although one is now on file"


async def test_a_draft_of_an_invoice_by_session_can_be_sent(pool):
    e, priya, maya, ben = await setup(pool, bank=False)
    await e.execute(SetPensionDetails(ben.phone, None, None, "session", by=ben.id), actor="t")
    s1 = await worked(pool, ben, on(5, 9), reported="4")
    await pool.send(maya, f"OK {await asked_code(pool, maya, s1)}")
    [draft] = [r.invoice for r in await e.query(ListInvoices(priya.id), actor="t")]
    assert draft.state == "draft" and draft.period == s1.code
    await e.execute(
        SetBilling(ben.phone, ("2 Elm Road",), "", "", "Dr B Carter", "12-34-56", "12345678", priya.id),
        actor="t",
    )
    pool.clock.set(on(6, 9))
    sent = await e.execute(SendInvoice(draft.number, priya.id), actor="t")
    assert sent.state == "sent"


async def test_an_issued_invoice_opens_after_its_gp_stops_pensioning(pool):
    e, priya, maya, ben = await setup(pool)
    s1 = await worked(pool, ben, on(5, 9), reported="4")
    await pool.send(maya, f"OK {await asked_code(pool, maya, s1)}")
    [inv] = await e.execute(RaiseInvoices(date(2027, 2, 1), by=priya.id), actor="t")
    assert inv.pensions
    await e.execute(SetPensionDetails(ben.phone, "", by=ben.id), actor="t")  # stops pensioning
    # the practice opens the invoice it was sent
    await e.query(InvoiceFile(inv.number, by=maya.id), actor="t")


async def test_march_work_paid_in_april_goes_on_marchs_form_b(pool):
    e, priya, maya, ben = await setup(pool)
    pool.clock.set(on(20, 8, month=3))
    s1 = await worked(pool, ben, on(25, 9, month=3), reported="4")
    await pool.send(maya, f"OK {await asked_code(pool, maya, s1)}")
    pool.clock.set(on(1, 9, month=4))
    await pool.pool.settle()
    [row] = await e.query(ListInvoices(priya.id), actor="t")
    pool.clock.set(on(10, 9, month=4))
    await e.execute(MarkPaid(row.invoice.number, by=maya.id), actor="t")
    from flows.money import forms

    async with pool.pool.store.unit_of_work() as uow:
        turn = pool.pool.engine._turn(uow, "t")
        found = await uow.invoices.invoice(row.invoice.id)
        member = await uow.members.member(ben.id)
        a = await forms.form_a(turn, found)
        april = await forms.form_b(turn, member, date(2027, 4, 1))
    assert april.rows == ()
    assert a.scheme_year == "2026/27" and a.upr == "12345678LOCMAR2027"
    march = await forms_b(pool, ben, date(2027, 3, 1))
    assert [r.invoice_number for r in march.rows] == [row.invoice.number] and march.scheme_year == "2026/27"


async def test_work_past_its_10_week_window_is_not_pensioned(pool):
    from bot.commands import ConfirmHours

    e, priya, maya, ben = await setup(pool)
    s1 = await worked(pool, ben, on(5, 9), reported="4")
    pool.clock.set(on(30, 10, month=3))  # signed off 12 weeks later
    await e.execute(ConfirmHours(s1.code, maya.id), actor="t")
    pool.clock.set(on(1, 9, month=4))
    await pool.pool.settle()
    [row] = await e.query(ListInvoices(priya.id), actor="t")
    # the work can no longer be pensioned (10 weeks closed on 16 March): no Form A, no 14.38%
    assert (row.invoice.pensions, row.invoice.employer_pence) == (False, 0), row.invoice


async def test_sending_a_draft_reissues_only_its_own_sessions(pool):
    e, priya, maya, ben = await setup(pool, bank=False)
    s1 = await worked(pool, ben, on(5, 9), reported="4")
    await pool.send(maya, f"OK {await asked_code(pool, maya, s1)}")
    pool.clock.set(on(1, 9, month=2))
    await pool.pool.settle()
    [draft] = [r.invoice for r in await e.query(ListInvoices(priya.id), actor="t")]
    pool.clock.set(on(20, 8, month=2))
    s2 = await worked(pool, ben, on(22, 9, month=2), reported="4")
    await pool.send(maya, f"OK {await asked_code(pool, maya, s2)}")
    await e.execute(
        SetBilling(ben.phone, ("2 Elm Road",), "", "", "Dr B Carter", "12-34-56", "12345678", priya.id),
        actor="t",
    )
    pool.clock.set(on(28, 9, month=2))
    await e.execute(SendInvoice(draft.number, priya.id), actor="t")
    rows = [
        r.invoice for r in await e.query(ListInvoices(priya.id), actor="t") if r.invoice.kind == "invoice"
    ]
    periods = sorted(i.period for i in rows if i.state == "sent")
    assert periods == ["2027-01"], periods


async def test_an_erased_gps_issued_invoice_still_opens(pool):
    from bot.commands import EraseMember

    e, priya, maya, ben = await setup(pool)
    s1 = await worked(pool, ben, on(5, 9), reported="4")
    await pool.send(maya, f"OK {await asked_code(pool, maya, s1)}")
    pool.clock.set(on(1, 9, month=2))
    await pool.pool.settle()
    import re

    sent = next(m for m in await pool.messages(maya) if m.kind == "invoice_to_practice")
    token = re.search(r"/documents/(\S+)", sent.body)[1]
    await e.execute(EraseMember(ben.phone, priya.id), actor="t")
    await e.query(OpenDocumentLink(token), actor="t")


async def test_a_manager_who_left_cannot_mark_paid(pool):
    from bot.commands import RecordLeaving

    e, priya, maya, ben = await setup(pool)
    s1 = await worked(pool, ben, on(5, 9), reported="4")
    await pool.send(maya, f"OK {await asked_code(pool, maya, s1)}")
    [inv] = await e.execute(RaiseInvoices(date(2027, 2, 1), by=priya.id), actor="t")
    await e.execute(RecordLeaving(maya.phone, by=priya.id), actor="t")
    pool.clock.set(on(6, 9))
    await pool.send(maya, f"PAID {inv.number}")
    found = await pool.pool.store.reader().invoices.invoice(inv.id)
    assert found.state != "paid", (await pool.last(maya)).body


async def test_the_practice_hears_of_an_invoices_window_once(pool):
    _, _, maya, ben = await setup(pool)
    s1 = await worked(pool, ben, on(5, 9), reported="4")
    await pool.send(maya, f"OK {await asked_code(pool, maya, s1)}")
    pool.clock.set(on(11, 8))
    s2 = await worked(pool, ben, on(12, 9), reported="4")
    await pool.send(maya, f"OK {await asked_code(pool, maya, s2)}")
    pool.clock.set(on(1, 9, month=2))
    await pool.pool.settle()
    for day in (2, 9):  # 8 weeks after 5 Jan and 12 Jan
        pool.clock.set(on(day, 10, month=3))
        await pool.pool.settle()
    warned = [m for m in await pool.messages(maya) if m.kind == "pension_window"]
    assert len(warned) == 1, [m.body for m in warned]


async def test_an_issued_invoice_and_its_form_a_never_change(pool):
    import io

    from pypdf import PdfReader

    e, priya, maya, ben = await setup(pool)
    s1 = await worked(pool, ben, on(5, 9), reported="4")
    await pool.send(maya, f"OK {await asked_code(pool, maya, s1)}")
    [inv] = await e.execute(RaiseInvoices(date(2027, 2, 1), by=priya.id), actor="t")
    _, _, before = await e.query(InvoiceFile(inv.number, by=maya.id), actor="t")
    await e.execute(
        SetBilling(ben.phone, ("99 New Street",), "", "", "Dr B Carter", "12-34-56", "12345678", ben.id),
        actor="t",
    )
    _, _, after = await e.query(InvoiceFile(inv.number, by=maya.id), actor="t")

    def text(pdf: bytes) -> str:
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)

    assert text(before) == text(after) and "99 New Street" not in text(after)


async def forms_b(pool, member, month):
    from flows.money import forms

    async with pool.pool.store.unit_of_work() as uow:
        turn = pool.pool.engine._turn(uow, "t")
        found = await uow.members.member(member.id)
        return await forms.form_b(turn, found, month)


async def test_one_persons_failure_never_holds_back_anyone_elses_invoices(pool, monkeypatch):
    from flows.money import invoices

    e, priya, maya, ben = await setup(pool)
    cara = await pool.gp("Dr Cara Diaz", gp_type="locum")
    await e.execute(
        SetBilling(cara.phone, ("4 Mill Lane",), "", "", "Dr C Diaz", "20-00-00", "87654321", priya.id),
        actor="t",
    )
    for who, day in ((ben, 5), (cara, 6)):
        session = await worked(pool, who, on(day, 9), reported="4")
        await pool.send(maya, f"OK {await asked_code(pool, maya, session)}")
    real = invoices.raise_invoices

    async def broken_for_ben(turn, before, only):
        if only is not None and only.id == ben.id:
            raise RuntimeError("a fault in Ben's month")
        return await real(turn, before, only)

    monkeypatch.setattr(invoices, "raise_invoices", broken_for_ben)
    pool.clock.set(on(1, 9, month=2))
    await pool.pool.settle()
    assert {r.member_name for r in await e.query(ListInvoices(priya.id), actor="t")} == {"Dr Cara Diaz"}
