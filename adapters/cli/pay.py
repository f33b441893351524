"""Pay from the desk: delivered sessions' hours and their sign-off by the practice, expenses,
and payroll's timesheets.

python main.py signoff list [--month 2027-01] [--state awaiting] [--practice X10001]
python main.py signoff ok CODE | signoff query CODE "what is wrong" | signoff settle CODE HOURS
python main.py expenses add CODE --miles 12 | --pence 650 --note "Parking"
python main.py timesheets [--month 2027-01] [--out FILE]
python main.py invoices raise|list|paid|send|cancel|file ... | forms b PHONE --month 2027-01
python main.py billing set|show PHONE ... | billing pension PHONE --sd-number N --tier T
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from adapters.cli.common import AsOption, acting_member, fail, open_pool, run_desk_command, settings_or_exit
from bot import spreadsheet
from bot.clock import SystemClock, london_date
from bot.commands import (
    AddExpense,
    BuildTimesheets,
    CancelInvoice,
    ConfirmHours,
    FormBFile,
    InvoiceFile,
    ListInvoices,
    ListSignOffs,
    MarkPaid,
    QueryHours,
    RaiseInvoices,
    SendInvoice,
    SetBilling,
    SetPensionDetails,
    SettleHours,
    ShowBilling,
)
from bot.domain import Billing, Expense, SignOff
from bot.errors import Refused
from bot.phones import to_e164
from bot.ports import InvoiceRow, SignOffRow, timesheet_rows
from flows.conversation.messages import money, period, when

app = typer.Typer()
signoff_cli = typer.Typer(help="Delivered sessions' hours, signed off by the practice.", no_args_is_help=True)
expenses_cli = typer.Typer(help="Expenses beside a session's fee (never pensionable).", no_args_is_help=True)
app.add_typer(signoff_cli, name="signoff")
app.add_typer(expenses_cli, name="expenses")
STATES = ("awaiting", "queried", "signed_off")


def _month(text: str | None) -> date:
    if not text:
        return london_date(SystemClock().now()).replace(day=1)
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        fail(f"--month '{text}' is not a month like 2027-01")
        raise  # fail() exits; this is for type checkers


def _read(make: object, as_: str | None) -> object:
    """A read-only command as the member (or the admin), its refusal a clear error."""
    settings = settings_or_exit()

    async def run() -> object:
        pool = await open_pool(settings)
        try:
            by = await acting_member(pool, as_)
            command = make(by)  # type: ignore[operator]
            return await pool.engine.query(command, actor=f"member:{by}" if by else "cli")
        finally:
            await pool.close()

    try:
        return asyncio.run(run())
    except Refused as refusal:
        fail(refusal.message)


def describe(row: SignOffRow, shows_query: bool = True) -> str:
    """``shows_query``: the practice's words on a query are for the coordinators and the
    practice, not the clinician."""
    g, s = row.signoff, row.session
    pay = money(g.pay_pence) if g.pay_pence is not None else f"booked {money(s.rate_pence)}"
    state = {"awaiting": "awaiting the practice", "queried": "queried", "signed_off": "signed off"}[g.state]
    line = f"{s.code}  {when(s)}  {row.practice_name}  {row.member_name}: {g.hours:g} h ({state}), {pay}"
    if row.expenses:
        line += f", expenses {money(row.expenses_pence)}"
    if g.state == "queried" and shows_query:
        line += f'; the practice said "{g.query or "no reason given"}"'
    return line


@signoff_cli.command("list")
def list_signoffs(
    month: Annotated[str | None, typer.Option(help="YYYY-MM (default this month)")] = None,
    state: Annotated[
        list[str] | None, typer.Option(help="awaiting, queried or signed_off (repeatable)")
    ] = None,
    practice: Annotated[str | None, typer.Option(help="One practice's ODS code")] = None,
    as_: AsOption = None,
) -> None:
    """Sessions of a month with hours reported: where each sign-off stands, pay and expenses."""
    bad = [s for s in state or () if s not in STATES]
    if bad:
        fail(f"--state is one of {', '.join(STATES)}")
    first = _month(month)
    rows = _read(lambda by: ListSignOffs(first, by, tuple(state or ()), practice), as_)
    assert isinstance(rows, list)
    if not rows:
        typer.echo(f"No hours reported for sessions in {first:%B %Y}.")
    asking = to_e164(as_) if as_ else None
    for row in rows:
        typer.echo(describe(row, shows_query=row.member_phone != asking))  # not to the clinician


def _signed(found: SignOff) -> str:
    if found.state == "signed_off":
        return f"Signed off: {found.hours:g} hours, pay {money(found.pay_pence or 0)}."
    return f"Queried: the coordinators settle it ({found.hours:g} hours reported)."


@signoff_cli.command("ok")
def confirm(code: Annotated[str, typer.Argument(help="The session's code")], as_: AsOption = None) -> None:
    """Confirm the hours reported (a manager of the practice, or a coordinator): pay is kept."""
    run_desk_command(lambda by: ConfirmHours(code, by, "cli"), _signed, as_)


@signoff_cli.command("query")
def query(
    code: Annotated[str, typer.Argument(help="The session's code")],
    text: Annotated[str, typer.Argument(help="What is wrong (100 characters at most)")] = "",
    as_: AsOption = None,
) -> None:
    """Dispute the hours reported; the coordinators hear both sides and settle it."""
    run_desk_command(lambda by: QueryHours(code, text, by, "cli"), _signed, as_)


@signoff_cli.command("settle")
def settle(
    code: Annotated[str, typer.Argument(help="The session's code")],
    hours: Annotated[float, typer.Argument(help="The hours agreed")],
    pay_pence: Annotated[int | None, typer.Option(help="The pay agreed (default: by POOL_PAY)")] = None,
    note: Annotated[str, typer.Option(help="What was agreed (both sides see it)")] = "",
    as_: AsOption = None,
) -> None:
    """Settle a sign-off at the hours (and pay) agreed (coordinators)."""
    run_desk_command(lambda by: SettleHours(code, hours, pay_pence, note, by), _signed, as_)


@expenses_cli.command("add")
def add_expense(
    code: Annotated[str, typer.Argument(help="The session's code")],
    miles: Annotated[float | None, typer.Option(help="Mileage, paid at POOL_MILEAGE_PENCE")] = None,
    pence: Annotated[int | None, typer.Option(help="Another cost, in pence (with --note)")] = None,
    note: Annotated[str, typer.Option(help="What it was for")] = "",
    as_: AsOption = None,
) -> None:
    """Add an expense to a session worked (the clinician who worked it, or a coordinator)."""

    def show(expense: Expense) -> str:
        what = f"{expense.miles:g} miles" if expense.miles is not None else expense.note
        return f"Expense added: {what}, {money(expense.amount_pence)}."

    run_desk_command(lambda by: AddExpense(code, miles, pence, note, by, "cli"), show, as_)


@app.command()
def timesheets(
    month: Annotated[str | None, typer.Option(help="YYYY-MM (default this month)")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the CSV here (default: print it)")] = None,
    as_: AsOption = None,
) -> None:
    """Payroll's timesheets for a month, as CSV: each employed person's contracted sessions
    against sessions worked, hours, pay signed off and expenses."""
    first = _month(month)
    lines = _read(lambda by: BuildTimesheets(first, by), as_)
    assert isinstance(lines, list)
    text = spreadsheet.text(timesheet_rows(lines))
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    typer.echo(f"{len(lines)} timesheet{'' if len(lines) == 1 else 's'} for {first:%B %Y} written to {out}.")


# -- invoices and pension forms -------------------------------------------------------------------

invoices_cli = typer.Typer(help="Invoices and credit notes, from the hours signed off.", no_args_is_help=True)
forms_cli = typer.Typer(help="NHS Pensions GP locum forms, prefilled.", no_args_is_help=True)
app.add_typer(invoices_cli, name="invoices")
app.add_typer(forms_cli, name="forms")
INVOICE_STATES = ("draft", "sent", "paid", "overdue", "cancelled", "issued")


def _date(text: str | None, option: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option} '{text}' is not a date like 2027-01-31")
        raise


def describe_invoice(row: InvoiceRow) -> str:
    i = row.invoice
    what = "credit note" if i.kind == "credit_note" else "invoice"
    due = f", due {i.due_on}" if i.due_on and i.state in ("sent", "overdue", "draft") else ""
    paid = f", paid {i.paid_on}" if i.paid_on else ""
    cancels = f", cancels {row.credits}" if row.credits else ""
    pension = ", pensioned (Form A)" if i.pensions and i.kind == "invoice" else ""
    return (
        f"{i.number}  {what} {i.state}: {row.member_name} to {row.practice_name}, {period(i.period)}, "
        f"{money(i.total_pence)}{due}{paid}{cancels}{pension}"
    )


def _save(found: tuple[str, str, bytes], out: Path | None) -> str:
    name, _, content = found
    target = out or Path(name)
    target.write_bytes(content)
    return f"Written {target} ({len(content):,} bytes)."


@invoices_cli.command("raise")
def raise_invoices(
    before: Annotated[
        str | None, typer.Option(help="Sessions started before this day (default: this month's 1st)")
    ] = None,
    phone: Annotated[str | None, typer.Option(help="One person only")] = None,
    as_: AsOption = None,
) -> None:
    """Invoice signed-off sessions not yet invoiced (the server does this on the 1st)."""
    run_desk_command(
        lambda by: RaiseInvoices(_date(before, "--before"), phone, by),
        lambda raised: (
            "\n".join(f"{i.number}: {i.state}, {money(i.total_pence)}" for i in raised)
            or "Nothing to invoice."
        ),
        as_,
    )


@invoices_cli.command("list")
def list_invoices(
    state: Annotated[
        list[str] | None, typer.Option(help="draft, sent, paid, overdue, cancelled, issued")
    ] = None,
    practice: Annotated[str | None, typer.Option(help="One practice's ODS code")] = None,
    as_: AsOption = None,
) -> None:
    """Invoices and credit notes, newest first (never bank details)."""
    if any(s not in INVOICE_STATES for s in state or ()):
        fail(f"--state is one of {', '.join(INVOICE_STATES)}")
    rows = _read(lambda by: ListInvoices(by, tuple(state or ()), practice), as_)
    assert isinstance(rows, list)
    typer.echo("\n".join(describe_invoice(r) for r in rows) or "No invoices.")


@invoices_cli.command("paid")
def paid(
    number: Annotated[str, typer.Argument(help="The invoice's number, like 012-0003")],
    on: Annotated[str | None, typer.Option(help="The day it was paid (default today)")] = None,
    as_: AsOption = None,
) -> None:
    """Mark an invoice paid (the person, a manager of the practice, a coordinator)."""
    run_desk_command(
        lambda by: MarkPaid(number, _date(on, "--on"), by, "cli"),
        lambda found: f"Invoice {found.number} is paid ({found.paid_on}).",
        as_,
    )


@invoices_cli.command("send")
def send(number: Annotated[str, typer.Argument(help="A draft's number")], as_: AsOption = None) -> None:
    """Send a draft once the person's address and bank details are in."""
    run_desk_command(
        lambda by: SendInvoice(number, by), lambda found: f"Invoice {found.number} is {found.state}.", as_
    )


@invoices_cli.command("cancel")
def cancel(
    number: Annotated[str, typer.Argument(help="The invoice's number")],
    reason: Annotated[str, typer.Option(help="Printed on the credit note (40 characters)")] = "",
    as_: AsOption = None,
) -> None:
    """Cancel an invoice by a credit note (never edited or deleted)."""
    run_desk_command(
        lambda by: CancelInvoice(number, reason, by),
        lambda credit: f"Credit note {credit.number} cancels invoice {number}.",
        as_,
    )


@invoices_cli.command("file")
def invoice_file(
    number: Annotated[str, typer.Argument(help="The invoice's number")],
    form: Annotated[str, typer.Option(help="invoice or form_a")] = "invoice",
    csv: Annotated[bool, typer.Option("--csv", help="The invoice as CSV rather than PDF")] = False,
    out: Annotated[Path | None, typer.Option(help="Where to write it (default: its own name, here)")] = None,
    as_: AsOption = None,
) -> None:
    """Save an invoice (PDF, with its Form A when pensioned; or CSV) or its Form A."""
    found = _read(lambda by: InvoiceFile(number, form, "csv" if csv else "pdf", by), as_)
    typer.echo(_save(found, out))  # type: ignore[arg-type]


@forms_cli.command("b")
def form_b(
    phone: Annotated[str, typer.Argument(help="The GP's phone")],
    month: Annotated[
        str | None, typer.Option(help="YYYY-MM: pay received that month (default this month)")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Where to write it")] = None,
    as_: AsOption = None,
) -> None:
    """A GP's Form B for a month, prefilled (the GP or a coordinator)."""
    first = _month(month)
    found = _read(lambda by: FormBFile(phone, first, by), as_)
    typer.echo(_save(found, out))  # type: ignore[arg-type]


members_pay = typer.Typer(help="What invoices and pension forms print about a person.", no_args_is_help=True)
app.add_typer(members_pay, name="billing")


@members_pay.command("set")
def set_billing(
    phone: Annotated[str, typer.Argument(help="The person's phone")],
    address: Annotated[str, typer.Option(help="Address lines separated by ';'")] = "",
    company_name: Annotated[str, typer.Option(help="A limited company's full name")] = "",
    company_number: Annotated[str, typer.Option(help="Its number at Companies House")] = "",
    account_name: Annotated[str, typer.Option(help="The bank account's name")] = "",
    sort_code: Annotated[str, typer.Option(help="12-34-56")] = "",
    account_number: Annotated[str, typer.Option(help="Eight digits")] = "",
    as_: AsOption = None,
) -> None:
    """Set what invoices print (the person or a coordinator); bank details are shown masked."""
    lines = tuple(part.strip() for part in address.split(";") if part.strip())
    run_desk_command(
        lambda by: SetBilling(
            phone, lines, company_name, company_number, account_name, sort_code, account_number, by
        ),
        lambda saved: (
            f"Saved: {'; '.join(saved.address) or 'no address'}; bank {saved.account_number or 'none'}."
        ),
        as_,
    )


@members_pay.command("show")
def show_billing(
    phone: Annotated[str, typer.Argument(help="The person's phone")], as_: AsOption = None
) -> None:
    """What invoices print about a person, bank details masked."""
    found = _read(lambda by: ShowBilling(phone, by), as_)
    assert isinstance(found, Billing)
    bank = f"{found.account_name}, {found.sort_code}, {found.account_number}" if found.has_bank else "none"
    company = f"{found.company_name} ({found.company_number})" if found.company_name else "none"
    typer.echo(f"Address: {'; '.join(found.address) or 'none'}\nCompany: {company}\nBank: {bank}")


@members_pay.command("pension")
def pension(
    phone: Annotated[str, typer.Argument(help="The GP's phone")],
    sd_number: Annotated[
        str | None, typer.Option(help="NHS Pensions SD number (8 digits; '' for none)")
    ] = None,
    tier: Annotated[int | None, typer.Option(min=1, max=6, help="Contribution tier, 1 to 6")] = None,
    invoice_by: Annotated[str | None, typer.Option(help="month or session")] = None,
    as_: AsOption = None,
) -> None:
    """A locum GP's SD number, contribution tier and how they invoice."""
    run_desk_command(
        lambda by: SetPensionDetails(phone, sd_number, tier, invoice_by, by),
        lambda m: (
            f"{m.name}: SD number {m.pension_sd_number or 'none'}, tier {m.pension_tier or 'not set'}, "
            f"invoices by {m.invoice_by}."
        ),
        as_,
    )
