"""Invoices in the console: a practice manager sees and pays only their practice's invoices, a
coordinator sees what is overdue, cancels by a credit note, raises invoices now and sends a
draft; the files download as attachments; a member's page shows their billing details masked
and saves them, and their pension details; every form needs its CSRF token.

The month: the harness starts on Tuesday 1 December 2026. Dr Ada Lovelace works at Riverside
(X10001, Sam manages it) on Wed 2 December, Dr Ben Okafor at Hillside (X20002, Olu) on Thu 3;
each practice OKs the hours, and December's invoices are raised on the 3rd (due 2 January)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date

import httpx

from bot.commands import ListInvoices, RaiseInvoices, SetBilling, SetPensionDetails, ShowBilling
from bot.domain import CLINICIAN, Invoice, Member
from tests.console.conftest import sign_in
from tests.harness import Harness, at
from tests.money.conftest import asked_code, worked

ADA_ACCOUNT = "12345678"  # never in a page: only ****5678


@dataclass
class World:
    priya: Member  # a coordinator
    sam: Member  # manages Riverside (X10001)
    olu: Member  # manages Hillside (X20002)
    ada: Member
    ben: Member


async def world(pool: Harness) -> World:
    await pool.practice("X20002", "Hillside Practice", pcn="South PCN")
    found = World(
        priya=await pool.coordinator(),
        sam=await pool.member("Sam Ortiz", roles=("practice:X10001",)),
        olu=await pool.member("Olu Hill", roles=("practice:X20002",)),
        ada=await pool.gp("Dr Ada Lovelace", registration_number="7012345"),
        ben=await pool.gp("Dr Ben Okafor"),
    )
    await billed(pool, found.ada, ADA_ACCOUNT)
    await billed(pool, found.ben, "87654321")
    return found


async def billed(pool: Harness, gp: Member, account: str) -> None:
    await pool.pool.engine.execute(
        SetBilling(gp.phone, ("2 Elm Road", "Northside NS2 2BB"), "", "", gp.name, "40-11-62", account),
        actor="test",
    )


async def signed_off(pool: Harness, gp: Member, manager: Member, day: int, practice: str = "X10001") -> None:
    """``gp`` works a morning in December at the practice; its manager OKs the hours by text."""
    session = await worked(pool, gp, at(date(2026, 12, day), 9), practice=practice, reported="4")
    await pool.send(manager, f"OK {await asked_code(pool, manager, session)}")


async def december(pool: Harness, w: World) -> tuple[Invoice, Invoice]:
    """Ada's invoice to Riverside and Ben's to Hillside, raised and sent."""
    await signed_off(pool, w.ada, w.sam, 2)
    await signed_off(pool, w.ben, w.olu, 3, practice="X20002")
    raised = await pool.pool.engine.execute(RaiseInvoices(date(2027, 1, 1), by=None), actor="test")
    ada = next(i for i in raised if i.member_id == w.ada.id)
    ben = next(i for i in raised if i.member_id == w.ben.id)
    assert (ada.state, ben.state) == ("sent", "sent")
    return ada, ben


def row_of(page: str, number: str) -> str:
    found = re.search(
        rf'<tr class="nhsuk-table__row" role="row" id="invoice-{number}"[^>]*>(.*?)</tr>', page, re.S
    )
    assert found, f"invoice {number} is listed"
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))))


def words(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


async def invoice(pool: Harness, number: str) -> Invoice:
    rows = await pool.pool.engine.query(ListInvoices(), actor="test")
    return next(r.invoice for r in rows if r.invoice.number == number)


async def test_a_practice_manager_sees_only_their_practices_invoices_and_marks_one_paid(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    w = await world(pool)
    ada, ben = await december(pool, w)
    csrf = await sign_in(browser, pool, w.sam)
    page = await browser.get("/console/invoices")
    assert page.status_code == 200 and "<h1>Invoices</h1>" in page.text
    assert 'href="/console/invoices"' in page.text and 'aria-current="page"' in page.text  # in the menu
    assert f'id="invoice-{ben.number}"' not in page.text and "Dr Ben Okafor" not in page.text
    row = row_of(page.text, ada.number)
    assert "Dr Ada Lovelace" in row and "Riverside Surgery" in row and "December 2026" in row
    assert "3 Dec 2026" in row and "2 Jan 2027" in row and "£400.00" in row and "Sent" in row
    assert "Mark paid" in row and "Cancel with a credit note" not in row  # the person's, or a coordinator's
    assert 'id="overdue"' not in page.text and "Raise invoices now" not in page.text
    assert ADA_ACCOUNT not in page.text

    paid = await browser.post(
        f"/console/invoices/{ada.number}/paid", data={"csrf": csrf, "paid_on": "2026-12-03"}
    )
    assert paid.status_code == 303
    assert paid.headers["location"] == f"/console/invoices?done=paid&number={ada.number}#invoice-{ada.number}"
    found = await invoice(pool, ada.number)
    assert (found.state, found.paid_on, found.paid_by) == ("paid", date(2026, 12, 3), w.sam.id)
    after = await browser.get(paid.headers["location"])
    assert f"Invoice {ada.number} is marked paid: Dr Ada Lovelace is told." in after.text
    row = row_of(after.text, ada.number)
    assert "Paid" in row and "Paid on" in row and row.count("3 Dec 2026") == 2 and "Mark paid" not in row
    assert "has paid invoice" in (await pool.last(w.ada)).body  # the person is told

    # Another practice's invoice is refused, for its files and its forms alike; so is paying twice.
    other = await browser.get(f"/console/invoices/{ben.number}.pdf")
    assert other.status_code == 403 and "your practice" in html.unescape(other.text)
    assert not other.content.startswith(b"%PDF")
    refused = await browser.post(f"/console/invoices/{ben.number}/paid", data={"csrf": csrf})
    assert refused.status_code == 403
    cancel = await browser.post(f"/console/invoices/{ada.number}/cancel", data={"csrf": csrf, "reason": "No"})
    assert cancel.status_code == 403 and "only the person or a coordinator" in cancel.text
    assert (await invoice(pool, ben.number)).state == "sent"
    again = await browser.post(f"/console/invoices/{ada.number}/paid", data={"csrf": csrf})
    assert again.status_code == 422 and f'id="row-{ada.number}-error"' in again.text
    assert "only a sent invoice is paid" in html.unescape(again.text)


async def test_a_day_paid_is_read_strictly_and_checked_by_the_core(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    w = await world(pool)
    ada, _ = await december(pool, w)
    csrf = await sign_in(browser, pool, w.sam)
    n = ada.number
    for typed, words_said in (("3/12/2026", "like 2027-02-10"), ("2026-02-30", "a real date")):
        bad = await browser.post(f"/console/invoices/{n}/paid", data={"csrf": csrf, "paid_on": typed})
        assert bad.status_code == 422 and f'id="paid_on-{n}-error"' in bad.text and words_said in bad.text
        assert f'value="{typed}"' in bad.text and f'href="#paid_on-{n}"' in bad.text
        assert '<details class="nhsuk-details nhsuk-u-margin-bottom-2" open>' in bad.text
    early = await browser.post(f"/console/invoices/{n}/paid", data={"csrf": csrf, "paid_on": "2026-11-30"})
    assert early.status_code == 422 and f'id="paid_on-{n}-error"' in early.text
    assert "between the invoice's date and today" in html.unescape(early.text)
    assert (await invoice(pool, n)).state == "sent"
    today = await browser.post(f"/console/invoices/{n}/paid", data={"csrf": csrf, "paid_on": ""})
    assert today.status_code == 303 and (await invoice(pool, n)).paid_on == pool.today


async def test_files_download_as_attachments(pool: Harness, browser: httpx.AsyncClient) -> None:
    w = await world(pool)
    await pool.pool.engine.execute(SetPensionDetails(w.ada.phone, "11223344", 4), actor="test")
    ada, ben = await december(pool, w)
    assert ada.pensions and not ben.pensions
    await sign_in(browser, pool, w.sam)
    page = await browser.get("/console/invoices")
    assert f'href="/console/invoices/{ada.number}.pdf"' in page.text
    assert f'href="/console/invoices/{ada.number}.csv"' in page.text
    assert f'href="/console/invoices/{ada.number}/form-a.pdf"' in page.text
    assert "with £51.77 employer pension" in row_of(page.text, ada.number)  # 14.38% of 90% of £400

    for path, name, media in (
        (f"{ada.number}.pdf", f"invoice-{ada.number}.pdf", "application/pdf"),
        (f"{ada.number}/form-a.pdf", f"form-a-{ada.number}.pdf", "application/pdf"),
        (f"{ada.number}.csv", f"invoice-{ada.number}.csv", "text/csv"),
    ):
        got = await browser.get(f"/console/invoices/{path}")
        assert got.status_code == 200, path
        assert got.headers["content-type"].startswith(media)
        assert got.headers["content-disposition"] == f'attachment; filename="{name}"'
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["cache-control"] == "no-store"
        assert "sandbox" in got.headers["content-security-policy"]
        if media == "application/pdf":
            assert got.content.startswith(b"%PDF")
    csv = (await browser.get(f"/console/invoices/{ada.number}.csv")).text
    assert csv.splitlines()[0] == "number,date,description,times,hours,amount_pence"

    # Ben's invoice is not Sam's practice's, and not pensioned; an unknown number is not found.
    assert (await browser.get(f"/console/invoices/{ben.number}/form-a.pdf")).status_code == 403
    assert (await browser.get("/console/invoices/999-0001.pdf")).status_code == 404
    assert (await browser.get("/console/invoices/not-a-number.pdf")).status_code == 404
    await sign_in(browser, pool, w.priya)
    none = await browser.get(f"/console/invoices/{ben.number}/form-a.pdf")
    assert none.status_code == 404 and "has no Form A" in none.text
    page = await browser.get("/console/invoices")
    assert f'href="/console/invoices/{ben.number}/form-a.pdf"' not in page.text


async def test_a_coordinator_sees_what_is_overdue_and_cancels_by_a_credit_note(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    w = await world(pool)
    ada, ben = await december(pool, w)
    pool.clock.set(at(date(2027, 1, 4), 11))  # due on Sat 2 January: overdue since then
    await pool.pool.settle()
    assert (await invoice(pool, ada.number)).state == "overdue"
    csrf = await sign_in(browser, pool, w.priya)
    page = await browser.get("/console/invoices")
    assert page.status_code == 200
    overdue = re.search(r'<div class="nhsuk-warning-callout" id="overdue">(.*?)</div>', page.text, re.S)
    assert overdue, "the overdue list is at the top"
    assert page.text.index('id="overdue"') < page.text.index('id="invoices"')
    said = words(overdue.group(1))
    assert "2 invoices, £800.00 in all" in said
    for found, who, practice in (
        (ada, "Dr Ada Lovelace", "Riverside Surgery"),
        (ben, "Dr Ben Okafor", "Hillside"),
    ):
        line = words(re.search(rf'id="overdue-{found.number}">(.*?)</tr>', page.text, re.S).group(1))
        assert found.number in line and who in line and practice in line
        assert "£400.00" in line and "2 Jan 2027" in line and "2 days" in line
    assert "Raise invoices now" in page.text
    assert f'href="/console/people/{w.ada.id}"' in page.text  # a coordinator goes to the person's page
    row = row_of(page.text, ada.number)
    assert "Overdue" in row and "Mark paid" in row and "Cancel with a credit note" in row

    long = await browser.post(
        f"/console/invoices/{ada.number}/cancel", data={"csrf": csrf, "reason": "x" * 41, "state": "overdue"}
    )
    assert long.status_code == 422 and f'id="reason-{ada.number}-error"' in long.text
    assert "40 characters" in long.text and 'value="overdue" selected' in long.text
    empty = await browser.post(f"/console/invoices/{ada.number}/cancel", data={"csrf": csrf, "reason": " "})
    assert empty.status_code == 422 and "Say why it is cancelled" in empty.text
    assert (await invoice(pool, ada.number)).state == "overdue"

    cancelled = await browser.post(
        f"/console/invoices/{ada.number}/cancel", data={"csrf": csrf, "reason": "Wrong rate agreed"}
    )
    assert cancelled.status_code == 303
    credit_number = f"{w.ada.id:03d}-0002"
    assert f"credit={credit_number}" in cancelled.headers["location"]
    assert (await invoice(pool, ada.number)).state == "cancelled"
    after = await browser.get(cancelled.headers["location"])
    assert f"Invoice {ada.number} is cancelled by credit note {credit_number}" in after.text
    assert "The practice and the person have been told." in after.text
    credit = row_of(after.text, credit_number)
    assert "Credit note" in credit and f"Cancels invoice {ada.number}" in credit and "-£400.00" in credit
    assert "Mark paid" not in credit and "Cancel with" not in credit
    original = row_of(after.text, ada.number)
    assert "Cancelled" in original and f"Cancelled by credit note {credit_number}" in original
    overdue = re.search(r'<div class="nhsuk-warning-callout" id="overdue">(.*?)</div>', after.text, re.S)
    assert overdue and ada.number not in overdue.group(1) and "1 invoice, £400.00" in words(overdue.group(1))
    assert (
        "Cancels invoice" in (await pool.last(w.sam)).body or "credit note" in (await pool.last(w.sam)).body
    )

    credits = await browser.get("/console/invoices", params={"state": "credit_notes"})
    assert (
        f'id="invoice-{credit_number}"' in credits.text and f'id="invoice-{ada.number}"' not in credits.text
    )
    assert "2 invoices and 1 credit note; 1 shown (credit notes)." in words(credits.text)
    pdf = await browser.get(f"/console/invoices/{credit_number}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    sent = await browser.get("/console/invoices", params={"state": "paid"})
    assert "No paid invoices yet." in sent.text


async def test_a_coordinator_raises_invoices_now_and_sends_a_draft(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    w = await world(pool)
    cara = await pool.gp("Dr Cara Diaz")  # no billing details yet: her invoice waits as a draft
    await signed_off(pool, w.ada, w.sam, 2)
    await signed_off(pool, cara, w.sam, 3)
    pool.clock.set(at(date(2027, 1, 1), 8, 30))  # before the 1st's own run at 09:00
    csrf = await sign_in(browser, pool, w.priya)
    page = await browser.get("/console/invoices")
    assert "No invoices yet." in page.text and 'id="overdue"' not in page.text
    assert 'action="/console/invoices/raise"' in page.text
    raised = await browser.post("/console/invoices/raise", data={"csrf": csrf})
    assert raised.status_code == 303
    after = await browser.get(raised.headers["location"])
    said = words(after.text)
    ada_number, cara_number = f"{w.ada.id:03d}-0001", f"{cara.id:03d}-0001"
    assert "Raised 2 invoices: 1 waits as a draft for an address or bank details" in said
    assert "(the person was told), the other was sent." in said
    assert f"{ada_number} : Dr Ada Lovelace to Riverside Surgery, £400.00" in said
    assert f"{cara_number} : Dr Cara Diaz to Riverside Surgery, £400.00 (draft" in said
    draft = row_of(after.text, cara_number)
    assert "Draft" in draft and "Send" in draft and "Mark paid" not in draft
    nothing = await browser.post("/console/invoices/raise", data={"csrf": csrf})
    assert "Nothing to invoice" in (await browser.get(nothing.headers["location"])).text

    # Sending the draft without the details is refused beside it; with them, it is reissued whole.
    refused = await browser.post(f"/console/invoices/{cara_number}/send", data={"csrf": csrf})
    assert refused.status_code == 422 and f'id="row-{cara_number}-error"' in refused.text
    assert "Add the address and bank details first" in refused.text
    await billed(pool, cara, "11112222")
    sent = await browser.post(f"/console/invoices/{cara_number}/send", data={"csrf": csrf})
    assert sent.status_code == 303
    again = f"{cara.id:03d}-0003"  # her credit note took 0002
    assert sent.headers["location"].endswith(f"#invoice-{again}")
    page = await browser.get(sent.headers["location"])
    assert f"Draft {cara_number} was printed without the billing details" in page.text
    assert "Sent" in row_of(page.text, again) and "Cancelled" in row_of(page.text, cara_number)
    assert (await invoice(pool, again)).state == "sent"


async def test_the_member_page_shows_billing_masked_and_saves_it(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    w = await world(pool)
    csrf = await sign_in(browser, pool, w.priya)
    page = await browser.get(f"/console/people/{w.ada.id}")
    assert page.status_code == 200 and 'id="billing"' in page.text
    details = words(
        re.search(r'<dl class="nhsuk-summary-list" id="billing-details">(.*?)</dl>', page.text, re.S)[1]
    )
    assert "2 Elm Road Northside NS2 2BB" in details
    assert "Sort code **-**-62" in details and "Account ****5678" in details
    assert ADA_ACCOUNT not in page.text and "40-11-62" not in page.text and "401162" not in page.text
    assert "Enter the bank details again to keep them" in page.text
    assert 'name="account_number" type="text" value=""' in page.text

    base = {
        "csrf": csrf,
        "address": "5 New Street\r\nNorthside NS5 5EE",
        "company_name": "",
        "company_number": "",
    }
    bank = {"account_name": "Dr A Lovelace", "sort_code": "20-00-00", "account_number": "55556666"}
    cases = (
        ({**bank, "account_number": "1234567"}, "account_number", "eight digits"),
        ({**bank, "sort_code": "12-34-5x"}, "sort_code", "six digits"),
        ({**bank, "sort_code": "12-34-5²"}, "sort_code", "six digits"),  # a digit, but not one a bank uses
        (
            {"account_name": "", "sort_code": "", "account_number": ""},
            "account_name",
            "Enter the bank details again",
        ),
        ({**bank, "account_name": ""}, "account_number", "together"),
        ({**bank, "company_number": "X" * 13}, "company_number", "longer than 12"),
    )
    for fields, field, said in cases:
        bad = await browser.post(f"/console/people/{w.ada.id}/billing", data={**base, **fields})
        assert bad.status_code == 422, (fields, bad.text)
        assert f'id="{field}-error"' in bad.text and said in html.unescape(bad.text), field
        assert 'class="nhsuk-error-summary"' in bad.text and f'href="#{field}"' in bad.text
        for secret in ("sort_code", "account_number"):  # never shown back, even as typed
            assert not fields.get(secret) or fields[secret] not in bad.text
        assert "5 New Street\nNorthside NS5 5EE" in bad.text  # what was typed stays, to be corrected
    shown = await pool.pool.engine.query(ShowBilling(w.ada.phone), actor="test")
    assert shown.address == ("2 Elm Road", "Northside NS2 2BB")  # nothing changed

    saved = await browser.post(f"/console/people/{w.ada.id}/billing", data={**base, **bank})
    assert (
        saved.status_code == 303
        and saved.headers["location"] == f"/console/people/{w.ada.id}?done=billing#billing"
    )
    shown = await pool.pool.engine.query(ShowBilling(w.ada.phone), actor="test")
    assert (shown.address, shown.account_name, shown.sort_code, shown.account_number) == (
        ("5 New Street", "Northside NS5 5EE"), "Dr A Lovelace", "**-**-00", "****6666",
    )  # fmt: skip
    page = await browser.get(saved.headers["location"])
    assert (
        "Saved the billing details" in page.text and "****6666" in page.text and "55556666" not in page.text
    )

    # Someone with no bank details yet may save an address alone.
    cara = await pool.gp("Dr Cara Diaz")
    page = await browser.get(f"/console/people/{cara.id}")
    assert "Leave them empty until you have them" in page.text
    blank = {"account_name": "", "sort_code": "", "account_number": ""}
    alone = await browser.post(f"/console/people/{cara.id}/billing", data={**base, **blank})
    assert alone.status_code == 303
    shown = await pool.pool.engine.query(ShowBilling(cara.phone), actor="test")
    assert shown.address == ("5 New Street", "Northside NS5 5EE") and not shown.has_bank


async def test_pension_details_are_saved_and_form_b_downloads(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    w = await world(pool)
    csrf = await sign_in(browser, pool, w.priya)
    page = await browser.get(f"/console/people/{w.ada.id}")
    assert f'action="/console/people/{w.ada.id}/pension"' in page.text
    assert "Tier 4: £33,869 to £50,845 a year, 9.8%" in html.unescape(page.text)  # 2025/26's table
    assert "Only a self-employed GP with an NHS Pensions SD number" in page.text  # no Form B yet

    short = await browser.post(
        f"/console/people/{w.ada.id}/pension", data={"csrf": csrf, "sd_number": "1234567", "tier": "4"}
    )
    assert short.status_code == 422 and 'id="sd_number-error"' in short.text and "8 digits" in short.text
    tier = await browser.post(
        f"/console/people/{w.ada.id}/pension", data={"csrf": csrf, "sd_number": "11223344", "tier": "9"}
    )
    assert tier.status_code == 422 and 'id="tier-error"' in tier.text
    how = await browser.post(
        f"/console/people/{w.ada.id}/pension",
        data={"csrf": csrf, "sd_number": "11223344", "tier": "4", "invoice_by": "week"},
    )
    assert (
        how.status_code == 422
        and 'id="invoice_by-error"' in how.text
        and 'href="#invoice_by-month"' in how.text
    )
    saved = await browser.post(
        f"/console/people/{w.ada.id}/pension",
        data={"csrf": csrf, "sd_number": "1122 3344", "tier": "4", "invoice_by": "session"},
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=pension#pension")
    ada = await pool.pool.store.reader().members.member(w.ada.id)
    assert ada is not None and (ada.pension_sd_number, ada.pension_tier, ada.invoice_by) == (
        "11223344",
        4,
        "session",
    )
    page = await browser.get(saved.headers["location"])
    assert "Saved the pension details" in page.text and 'value="4" selected' in page.text
    assert 'id="invoice_by-session" name="invoice_by" type="radio" value="session" checked' in page.text
    assert f'action="/console/people/{w.ada.id}/form-b.pdf"' in page.text

    # Form B for a month, paid or not, as an attachment; a month that is no month is refused.
    form_b = await browser.get(f"/console/people/{w.ada.id}/form-b.pdf", params={"month": "2026-12"})
    assert form_b.status_code == 200 and form_b.content.startswith(b"%PDF")
    assert form_b.headers["content-disposition"] == 'attachment; filename="form-b-11223344LOCDEC2026.pdf"'
    assert (
        form_b.headers["x-content-type-options"] == "nosniff"
        and form_b.headers["cache-control"] == "no-store"
    )
    bad = await browser.get(f"/console/people/{w.ada.id}/form-b.pdf", params={"month": "December"})
    assert bad.status_code == 400 and 'id="month-error"' in bad.text and "like 2027-02" in bad.text
    ben = await browser.get(f"/console/people/{w.ben.id}/form-b.pdf", params={"month": "2026-12"})
    assert ben.status_code == 422 and "does not pension locum work" in ben.text

    # Not a coordinator: no member's page, no Form B, nothing saved.
    csrf = await sign_in(browser, pool, w.sam)
    assert (
        await browser.get(f"/console/people/{w.ada.id}/form-b.pdf", params={"month": "2026-12"})
    ).status_code == 403
    refused = await browser.post(f"/console/people/{w.ada.id}/pension", data={"csrf": csrf, "sd_number": ""})
    assert refused.status_code == 403
    ada = await pool.pool.store.reader().members.member(w.ada.id)
    assert ada is not None and ada.pension_sd_number == "11223344"


async def test_forms_without_their_csrf_token_change_nothing(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    w = await world(pool)
    ada, _ = await december(pool, w)
    await sign_in(browser, pool, w.priya)
    for path, data in (
        (f"/console/invoices/{ada.number}/paid", {}),
        (f"/console/invoices/{ada.number}/cancel", {"reason": "Forged"}),
        (f"/console/invoices/{ada.number}/send", {}),
        ("/console/invoices/raise", {}),
        (f"/console/people/{w.ada.id}/billing", {"address": "Forged", "account_name": ""}),
        (f"/console/people/{w.ada.id}/pension", {"sd_number": ""}),
    ):
        for csrf in ({}, {"csrf": "forged"}):
            refused = await browser.post(path, data={**data, **csrf})
            assert refused.status_code == 403 and "This form cannot be used" in refused.text, path
    assert (await invoice(pool, ada.number)).state == "sent"
    shown = await pool.pool.engine.query(ShowBilling(w.ada.phone), actor="test")
    assert shown.address == ("2 Elm Road", "Northside NS2 2BB")


async def test_a_clinician_who_mentors_sees_and_cancels_their_own(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    w = await world(pool)
    # A GP who also mentors: plain GPs have no console (flows/people/signin.py).
    dee = await pool.member("Dr Dee Mentor", roles=(CLINICIAN, "mentor"))
    await billed(pool, dee, "33334444")
    ada, _ = await december(pool, w)
    await signed_off(pool, dee, w.sam, 4)
    [theirs] = await pool.pool.engine.execute(RaiseInvoices(date(2027, 1, 1), by=None), actor="test")
    csrf = await sign_in(browser, pool, dee)
    page = await browser.get("/console/invoices")
    assert page.status_code == 200 and 'href="/console/invoices"' in page.text
    assert "The invoices and credit notes you issued." in page.text
    assert f'id="invoice-{ada.number}"' not in page.text
    row = row_of(page.text, theirs.number)
    assert "Mark paid" in row and "Cancel with a credit note" in row
    assert f'href="/console/people/{dee.id}"' not in page.text  # the people pages are coordinators'
    done = await browser.post(
        f"/console/invoices/{theirs.number}/cancel", data={"csrf": csrf, "reason": "Typo"}
    )
    assert done.status_code == 303 and (await invoice(pool, theirs.number)).state == "cancelled"
    other = await browser.post(
        f"/console/invoices/{ada.number}/cancel", data={"csrf": csrf, "reason": "Mine?"}
    )
    assert other.status_code == 403

    lead = await pool.member("Lee Lead", roles=("lead",))
    await sign_in(browser, pool, lead)
    page = await browser.get("/console/invoices")
    assert page.status_code == 403 and "only coordinators, practice managers and clinicians" in page.text
    assert 'href="/console/invoices"' not in page.text  # not in a lead's menu
