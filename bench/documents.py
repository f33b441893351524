"""How long the money trail's PDFs take to render (fpdf2, pure Python): an invoice of 3 and of
60 lines, its Form A, a Form B of 2 rows, and an invoice with its Form A joined (pypdf), as a
practice's link serves it. Each rendered many times; the median and the slowest printed.

    .venv/bin/python bench/documents.py [--repeats 50]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta

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
from flows.money import invoices, pdf

DAY = date(2027, 1, 5)
SUPPLIER = Party("Dr Ben Carter", ("2 Elm Road", "Northside NS2 2BB"), ("Registration: 7012345",))
CUSTOMER = Party("Riverside Surgery", ("1 Quay St", "Northside", "NS1 1AA"), ("ODS code X10001",))


def invoice(lines: int) -> InvoiceDocument:
    rows = tuple(
        InvoiceLine(DAY + timedelta(days=n), f"GP session B{n:03d}", 40_000, "09:00-13:00", 4.0)
        for n in range(lines)
    )
    fee = 40_000 * lines
    return InvoiceDocument(
        number="003-0001", kind="invoice", issued_on=date(2027, 2, 1), due_on=date(2027, 3, 3),
        period="January 2027", supplier=SUPPLIER, customer=CUSTOMER, lines=rows, fee_pence=fee,
        expenses_pence=0, employer_pence=fee * 9 // 10 * 1438 // 10_000, total_pence=fee,
        pensionable_pence=fee * 9 // 10, bank=BankDetails("Dr B Carter", "12-34-56", "12345678"),
        notes=(invoices.VAT_NOTE,),
    )  # fmt: skip


FORM_A = FormA(
    "2026/27", None, "Dr Ben Carter", "12345678", "7012345", ("2 Elm Road",), "Riverside Surgery", "X10001",
    "003-0001", (FormAPeriod(DAY, DAY, 40_000),), 40_000, 36_000, 5_177,
)  # fmt: skip
FORM_B = FormB(
    "2026/27", date(2027, 2, 1), "12345678LOCFEB2027", "Dr Ben Carter", "12345678", "7012345",
    ("2 Elm Road",), "ben@example.org", 4, "9.8",
    (FormBRow("X10001", "Riverside Surgery", DAY, DAY, date(2027, 2, 10), 36_000, 5_177, "003-0001"),
     FormBRow("X20002", "Hillview", DAY, DAY, date(2027, 2, 12), 40_500, 5_824, "003-0002")),
    76_500, 7_497, 11_001, 18_498, 76_500, date(2027, 3, 7),
)  # fmt: skip


def timed(render: Callable[[], bytes], repeats: int) -> tuple[float, float, int]:
    times, size = [], 0
    for _ in range(repeats):
        start = time.perf_counter()
        size = len(render())
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times), size


def main(repeats: int) -> None:
    short, long = invoice(3), invoice(60)
    cases = {
        "invoice, 3 lines": lambda: pdf.invoice_pdf(short),
        "invoice, 60 lines (3 pages)": lambda: pdf.invoice_pdf(long),
        "Form A": lambda: pdf.form_a_pdf(FORM_A),
        "Form B, 2 rows": lambda: pdf.form_b_pdf(FORM_B),
        "invoice and its Form A, joined": lambda: invoices._joined(
            pdf.invoice_pdf(short), pdf.form_a_pdf(FORM_A)
        ),
    }
    print(f"{'document':34} {'median ms':>10} {'max ms':>8} {'KB':>6}")
    for name, render in cases.items():
        median, slowest, size = timed(render, repeats)
        print(f"{name:34} {median:10.1f} {slowest:8.1f} {size / 1024:6.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=50)
    main(parser.parse_args().repeats)
