"""The invoice, credit note, Form A and Form B PDFs: their text (read back with pypdf) is
compared with golden files, so a change to the layout or wording is a change to what people read.

To change the golden files on purpose: `python -m tests.money.test_pdf` rewrites
tests/golden/invoice.txt, credit_note.txt, form_a.txt and form_b.txt from the samples below;
read the diff as a reader of the documents would before committing it.

The samples' figures are worked by hand: fees £400.00 + £450.00 = £850.00; pensionable 90% of
that = £765.00; employer 14.38% of £765.00 = £110.007, so £110.01; mileage 12 × 45p = £5.40;
total £850.00 + £5.40 + £110.01 = £965.41.
"""

from __future__ import annotations

import io
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from pypdf import PdfReader

from bot.documents import (
    BankDetails,
    FormA,
    FormAPeriod,
    FormB,
    FormBRow,
    InvoiceDocument,
    InvoiceLine,
    Party,
)
from flows.money.pdf import form_a_pdf, form_b_pdf, invoice_pdf, latin1, money

GOLDEN = Path(__file__).resolve().parent.parent / "golden"

GP = Party(
    "Dr Asha Patel",
    ("12 Elm Road", "Kingston upon Thames", "KT1 2AB"),
    ("GMC number 7654321", "asha.patel@example.org", "07700 900123"),
)
PRACTICE = Party("Riverside Surgery", ("1 River Lane", "Richmond", "TW9 1AA"), ("Practice code X10001",))
BANK = BankDetails("Dr Asha Patel", "12-34-56", "41027735")
NO_VAT = "No VAT: medical services by a registered medical practitioner are exempt from VAT."

INVOICE = InvoiceDocument(
    number="012-0003",
    kind="invoice",
    issued_on=date(2027, 2, 1),
    due_on=date(2027, 3, 3),
    period="January 2027",
    supplier=GP,
    customer=PRACTICE,
    lines=(
        InvoiceLine(date(2027, 1, 5), "Session BCDF at Riverside Surgery", 40_000, "09:00-13:00", 4.0),
        InvoiceLine(date(2027, 1, 12), "Session GHJK at Riverside Surgery", 45_000, "14:00-18:30", 4.5),
        InvoiceLine(date(2027, 1, 12), "Mileage: 12 miles at 45p", 540),
    ),
    fee_pence=85_000,
    expenses_pence=540,
    employer_pence=11_001,  # 14.38% of £765.00 = £110.007
    total_pence=96_541,
    pensionable_pence=76_500,  # 90% of £850.00
    bank=BANK,
    notes=(NO_VAT,),
)

# Cancels a pensioned one-session invoice: £400.00, pensionable £360.00, employer 14.38% of that
# = £51.768, so £51.77; total -£451.77. No bank details: nothing is to be paid.
CREDIT_NOTE = InvoiceDocument(
    number="012-0004",
    kind="credit_note",
    issued_on=date(2027, 1, 8),
    due_on=None,
    period="Session BCDF, Tue 5 Jan 2027",
    supplier=GP,
    customer=PRACTICE,
    lines=(
        InvoiceLine(
            date(2027, 1, 5), "Session BCDF at Riverside Surgery (cancelled)", -40_000, "09:00-13:00", 4.0
        ),
    ),
    fee_pence=-40_000,
    expenses_pence=0,
    employer_pence=-5_177,
    total_pence=-45_177,
    pensionable_pence=-36_000,
    credits="012-0002",
    notes=("Invoice 012-0002 was raised in error: the session was paid through payroll.", NO_VAT),
)

FORM_A = FormA(
    scheme_year="2026/27",
    upr="31926819LOCFEB2027",
    name="Dr Asha Patel",
    sd_number="31926819",
    registration_number="7654321",
    address=("12 Elm Road", "Kingston upon Thames", "KT1 2AB"),
    practice_name="Riverside Surgery",
    practice_code="X10001",
    invoice_number="012-0003",
    periods=(
        FormAPeriod(date(2027, 1, 5), date(2027, 1, 5), 40_000),
        FormAPeriod(date(2027, 1, 12), date(2027, 1, 12), 45_000),
    ),
    fee_pence=85_000,
    pensionable_pence=76_500,
    employer_pence=11_001,
    paid_on=date(2027, 2, 19),
)

# Two Form As paid in February 2027: Riverside's above, and Hillview's £1,200.00 fee, pensionable
# £1,080.00, employer 14.38% = £155.304, so £155.30. a = £765.00 + £1,080.00 = £1,845.00;
# b = 9.8% of a = £180.81; h = £110.01 + £155.30 = £265.31; i = £180.81 + £265.31 = £446.12;
# j = £18,605.00 to the end of January + £1,845.00 = £20,450.00.
FORM_B = FormB(
    scheme_year="2026/27",
    month=date(2027, 2, 1),
    upr="31926819LOCFEB2027",
    name="Dr Asha Patel",
    sd_number="31926819",
    registration_number="7654321",
    address=("12 Elm Road", "Kingston upon Thames", "KT1 2AB"),
    email="asha.patel@example.org",
    tier=4,
    tier_rate="9.8",
    rows=(
        FormBRow(
            "X10001",
            "Riverside Surgery",
            date(2027, 1, 5),
            date(2027, 1, 12),
            date(2027, 2, 19),
            76_500,
            11_001,
            "012-0003",
        ),
        FormBRow(
            "Y20002",
            "Hillview Medical Centre",
            date(2027, 2, 1),
            date(2027, 2, 3),
            date(2027, 2, 26),
            108_000,
            15_530,
            "012-0005",
        ),
    ),
    pensionable_pence=184_500,
    employee_pence=18_081,
    employer_pence=26_531,
    total_pence=44_612,
    cumulative_pence=2_045_000,
    due_on=date(2027, 3, 7),
)

SAMPLES = {
    "invoice": lambda: invoice_pdf(INVOICE),
    "credit_note": lambda: invoice_pdf(CREDIT_NOTE),
    "form_a": lambda: form_a_pdf(FORM_A),
    "form_b": lambda: form_b_pdf(FORM_B),
}


def pages(data: bytes) -> list[str]:
    """Each page's text, each line with its whitespace collapsed, blank lines dropped."""
    reader = PdfReader(io.BytesIO(data))
    out = []
    for page in reader.pages:
        lines = (" ".join(line.split()) for line in page.extract_text().splitlines())
        out.append("\n".join(line for line in lines if line))
    return out


def text(data: bytes) -> str:
    """The whole document's text as the golden files hold it: a marker before each page."""
    return "".join(f"--- page {i} ---\n{page}\n" for i, page in enumerate(pages(data), start=1))


def golden(name: str) -> str:
    return (GOLDEN / f"{name}.txt").read_text(encoding="utf-8")


def test_the_invoice_matches_its_golden_text() -> None:
    assert text(invoice_pdf(INVOICE)) == golden("invoice")


def test_the_credit_note_matches_its_golden_text() -> None:
    assert text(invoice_pdf(CREDIT_NOTE)) == golden("credit_note")


def test_form_a_matches_its_golden_text() -> None:
    assert text(form_a_pdf(FORM_A)) == golden("form_a")


def test_form_b_matches_its_golden_text() -> None:
    assert text(form_b_pdf(FORM_B)) == golden("form_b")


def test_the_golden_texts_carry_the_hand_checked_figures() -> None:
    invoice = " ".join(golden("invoice").split())
    assert "Employer pension contribution (14.38% of pensionable pay £765.00) £110.01" in invoice
    assert "Fees £850.00" in invoice and "Expenses (not pensionable) £5.40" in invoice
    assert "TOTAL DUE £965.41" in invoice and "Please pay to:" in invoice
    credit = " ".join(golden("credit_note").split())
    assert "CREDIT NOTE" in credit and "Cancels invoice 012-0002" in credit
    assert "-£400.00" in credit and "-£51.77" in credit and "TOTAL CREDITED -£451.77" in credit
    assert "Please pay to" not in credit and "due" not in credit.lower()
    form_a = " ".join(golden("form_a").split())
    assert "Box 1 Fee for this work (excluding the employer contribution) £850.00" in form_a
    assert "Box 2 Pensionable pay (90% of box 1) £765.00" in form_a
    assert "Box 3 Employer contribution (14.38% of box 2) £110.01" in form_a
    assert "Date paid 19 February 2027" in form_a
    form_b = " ".join(golden("form_b").split())
    assert "Tiered contribution rate: tier 4, 9.8%" in form_b
    for figure in ("£1,845.00", "£180.81", "£265.31", "£446.12", "£20,450.00"):
        assert figure in form_b
    assert "by 7 March 2027" in form_b and "Or submit it through PCSE Online." in form_b


def test_the_same_document_gives_the_same_bytes() -> None:
    for name, render in SAMPLES.items():
        first, second = render(), render()
        assert first.startswith(b"%PDF-"), name
        assert first == second, name


def test_bank_details_appear_only_when_given() -> None:
    assert BANK.account_number in text(invoice_pdf(INVOICE))
    without = text(invoice_pdf(replace(INVOICE, bank=None)))
    assert BANK.account_number not in without
    assert "Please pay to" not in without and "Sort code" not in without
    for render in SAMPLES.values():  # the credit note and the forms never carry them
        if render is not SAMPLES["invoice"]:
            assert BANK.account_number not in text(render())


def test_a_long_invoice_breaks_across_pages_with_the_table_header_on_each() -> None:
    start = date(2027, 1, 4)
    lines = tuple(
        InvoiceLine(
            start + timedelta(days=i), f"Session {i:02d} at Riverside Surgery", 40_000, "09:00-13:00", 4.0
        )
        for i in range(60)
    )
    long = replace(
        INVOICE,
        lines=lines,
        period="January to March 2027",
        fee_pence=2_400_000,
        expenses_pence=0,
        pensionable_pence=2_160_000,
        employer_pence=310_608,
        total_pence=2_710_608,
    )
    found = pages(invoice_pdf(long))
    assert len(found) > 1
    for number, page in enumerate(found, start=1):
        assert "Date Description Times Hours Amount" in page, f"page {number} has no table header"
        assert f"page {number} of {len(found)}" in page
    everything = "\n".join(found)
    assert all(f"Session {i:02d} at" in everything for i in range(60))
    assert "TOTAL DUE £27,106.08" in " ".join(everything.split())


def test_names_outside_latin1_render() -> None:
    name = "Dr Zoë O’Neill – Smythe"
    assert latin1(name) == "Dr Zoë O'Neill - Smythe"
    assert latin1("Œuvre “quoted” … Łódź 😀 ½") == 'OEuvre "quoted" ... Lódz ? ½'
    odd = Party(name, ("Flat 2 – Ærø House", "Ŝtreet 😀"), ("Œ company",))
    found = text(invoice_pdf(replace(INVOICE, supplier=odd, period="January 2027 – weekdays")))
    assert "Dr Zoë O'Neill - Smythe" in found
    assert "Flat 2 - Ærø House" in found and "Street ?" in found and "OE company" in found
    assert "Dr Zoë O'Neill - Smythe" in text(form_a_pdf(replace(FORM_A, name=name)))
    assert "Dr Zoë O'Neill - Smythe" in text(form_b_pdf(replace(FORM_B, name=name)))


def test_form_a_before_payment_says_where_the_upr_comes_from() -> None:
    found = " ".join(text(form_a_pdf(replace(FORM_A, upr=None, paid_on=None))).split())
    assert "To be added when paid: the Form B reference for the month the payment is received" in found
    assert "Date paid" in found and "February 2027" not in found


def test_money_is_pounds_with_commas() -> None:
    assert money(0) == "£0.00"
    assert money(5) == "£0.05"
    assert money(123_456) == "£1,234.56"
    assert money(-40_000) == "-£400.00"
    assert money(123_456_789) == "£1,234,567.89"


def _write_golden() -> None:
    for name, render in SAMPLES.items():
        (GOLDEN / f"{name}.txt").write_text(text(render()), encoding="utf-8")
        print(f"wrote tests/golden/{name}.txt", file=sys.stderr)


if __name__ == "__main__":
    _write_golden()
