"""What the money trail's documents say: an invoice (or credit note), a GP locum Form A and a
Form B, as plain data. flows/money/ works out every figure and fills these; a renderer
(flows/money/pdf.py) only lays them out, and the CSV writer lists them. Amounts are whole
pence; nothing here computes.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Party:
    """Who an invoice is from or to, as it is printed: a name, then address lines, then other
    lines (registration number, company number and registered office, contact)."""

    name: str
    address: tuple[str, ...] = ()
    details: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BankDetails:
    """Where the practice pays: printed only on the person's own invoices, nowhere else."""

    account_name: str
    sort_code: str  # "12-34-56"
    account_number: str  # eight digits

    @property
    def masked(self) -> str:
        """How every other place shows them: '****5678, sort code **-**-56'."""
        return f"****{self.account_number[-4:]}, sort code **-**-{self.sort_code[-2:]}"


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """A session (its day, London times, hours and fee) or an expense (its day, what it was)."""

    day: date
    description: str  # "Session BCDF at Riverside Surgery" / "Mileage: 12 miles at 45p" / "Parking"
    amount_pence: int
    times: str = ""  # "09:00-13:00" for a session
    hours: float | None = None


@dataclass(frozen=True, slots=True)
class InvoiceDocument:
    number: str  # unique in the pool, gapless per person: "012-0003"
    kind: str  # "invoice" or "credit_note"
    issued_on: date
    due_on: date | None  # None on a credit note
    period: str  # what it covers: "January 2027", or "Session BCDF, Tue 5 Jan 2027"
    supplier: Party  # the clinician (or their company)
    customer: Party  # the practice
    lines: tuple[InvoiceLine, ...]
    fee_pence: int  # the sessions' fees
    expenses_pence: int  # never pensionable
    employer_pence: int  # the employer contribution charged on top, when the GP pensions the work
    total_pence: int  # fee + expenses + employer contribution (negative on a credit note)
    pensionable_pence: int = 0  # 90% of the fees, when the GP pensions the work
    bank: BankDetails | None = None
    credits: str | None = None  # a credit note: the number of the invoice it cancels
    notes: tuple[str, ...] = ()  # "No VAT: medical services by a registered practitioner", the reason


@dataclass(frozen=True, slots=True)
class FormAPeriod:
    first_day: date
    last_day: date
    fee_pence: int


@dataclass(frozen=True, slots=True)
class FormA:
    """NHS Pensions GP locum Form A, prefilled for one invoice: part 1 complete (the locum
    checks, signs and dates it), part 2 left for the practice to certify."""

    scheme_year: str  # "2026/27"
    upr: str | None  # the Form B reference, once the invoice is paid (the month it was received)
    name: str
    sd_number: str
    registration_number: str
    address: tuple[str, ...]
    practice_name: str
    practice_code: str  # its ODS code (the practice adds its NHS Pensions EA code in part 2)
    invoice_number: str
    periods: tuple[FormAPeriod, ...]
    fee_pence: int  # box 1: the fee, without the employer contribution
    pensionable_pence: int  # box 2: 90% of box 1
    employer_pence: int  # box 3: 14.38% of box 2
    paid_on: date | None = None


@dataclass(frozen=True, slots=True)
class FormBRow:
    """One Form A on a Form B."""

    practice_code: str
    practice_name: str
    first_day: date
    last_day: date
    paid_on: date
    pensionable_pence: int
    employer_pence: int
    invoice_number: str


@dataclass(frozen=True, slots=True)
class FormB:
    """NHS Pensions GP locum Form B for one calendar month: every Form A for pay received in
    that month, the contributions due, and its unique payment reference."""

    scheme_year: str
    month: date  # its first day
    upr: str  # SD number + LOC + month + year: "12345678LOCJAN2027"
    name: str
    sd_number: str
    registration_number: str
    address: tuple[str, ...]
    email: str
    tier: int
    tier_rate: str  # "9.8"
    rows: tuple[FormBRow, ...]
    pensionable_pence: int  # a: the total of box 2
    employee_pence: int  # b (and g): a at the tier's rate
    employer_pence: int  # h: the total of box 3
    total_pence: int  # i: g + h
    cumulative_pence: int  # j: the scheme year's locum pensionable pay to the end of this month
    due_on: date  # the 7th of the following month


def invoice_to_json(doc: InvoiceDocument) -> str:
    """The invoice as issued, to keep (dates as ISO text)."""
    return json.dumps(asdict(doc), default=lambda value: value.isoformat(), sort_keys=True)


def invoice_from_json(text: str) -> InvoiceDocument:
    raw = json.loads(text)
    bank = raw.pop("bank")
    return InvoiceDocument(
        **{
            **raw,
            "issued_on": date.fromisoformat(raw["issued_on"]),
            "due_on": date.fromisoformat(raw["due_on"]) if raw["due_on"] else None,
            "supplier": _party(raw["supplier"]),
            "customer": _party(raw["customer"]),
            "lines": tuple(
                InvoiceLine(**{**line, "day": date.fromisoformat(line["day"])}) for line in raw["lines"]
            ),
            "bank": BankDetails(**bank) if bank else None,
            "notes": tuple(raw["notes"]),
        }
    )


def _party(raw: dict[str, object]) -> Party:
    return Party(str(raw["name"]), tuple(raw["address"]), tuple(raw["details"]))  # type: ignore[arg-type]


def form_a_to_json(form: FormA) -> str:
    """A Form A as issued with its invoice, to keep."""
    return json.dumps(asdict(form), default=lambda value: value.isoformat(), sort_keys=True)


def form_a_from_json(text: str) -> FormA:
    raw = json.loads(text)
    return FormA(
        **{
            **raw,
            "address": tuple(raw["address"]),
            "periods": tuple(
                FormAPeriod(
                    date.fromisoformat(p["first_day"]), date.fromisoformat(p["last_day"]), p["fee_pence"]
                )
                for p in raw["periods"]
            ),
            "paid_on": date.fromisoformat(raw["paid_on"]) if raw["paid_on"] else None,
        }
    )
