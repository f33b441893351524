"""Pay from the desk: delivered sessions' hours and their sign-off by the practice, expenses,
and payroll's timesheets.

python main.py signoff list [--month 2027-01] [--state awaiting] [--practice X10001]
python main.py signoff ok CODE | signoff query CODE "what is wrong" | signoff settle CODE HOURS
python main.py expenses add CODE --miles 12 | --pence 650 --note "Parking"
python main.py timesheets [--month 2027-01] [--out FILE]
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
from bot.commands import AddExpense, BuildTimesheets, ConfirmHours, ListSignOffs, QueryHours, SettleHours
from bot.domain import Expense, SignOff
from bot.errors import Refused
from bot.ports import SignOffRow, timesheet_rows
from flows.conversation.messages import money, when

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


def describe(row: SignOffRow) -> str:
    g, s = row.signoff, row.session
    pay = money(g.pay_pence) if g.pay_pence is not None else f"booked {money(s.rate_pence)}"
    state = {"awaiting": "awaiting the practice", "queried": "queried", "signed_off": "signed off"}[g.state]
    line = f"{s.code}  {when(s)}  {row.practice_name}  {row.member_name}: {g.hours:g} h ({state}), {pay}"
    if row.expenses:
        line += f", expenses {money(row.expenses_pence)}"
    if g.state == "queried":
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
    for row in rows:
        typer.echo(describe(row))


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
