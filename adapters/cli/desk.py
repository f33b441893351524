"""The desk: how coordinators hear (alerts), the inbox, running costs and the NHS return."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import Annotated

import typer

from adapters.cli.common import (
    AsOption,
    fail,
    open_pool,
    run_desk_command,
    settings_or_exit,
)
from bot import money, spreadsheet
from bot.clock import LONDON
from bot.commands import (
    AddCost,
    AnswerInbox,
    BuildReport,
    CloseInbox,
    SetAlerts,
)
from bot.phones import national
from flows.desk import report as reports

app = typer.Typer()


@app.command()
def alerts(
    phone: Annotated[str, typer.Argument(help="The coordinator's or practice manager's phone number")],
    how: Annotated[str, typer.Argument(help="now, or daily")],
    at: Annotated[str | None, typer.Argument(help="For daily: the London time, like 17:00")] = None,
    as_: AsOption = None,
) -> None:
    """How a coordinator or practice manager hears about sessions: each event now, or one digest
    a day at their time (urgent events still at once)."""
    wanted = f"{how} {at}" if at else how
    run_desk_command(
        lambda by: SetAlerts(phone, wanted, by),
        lambda member: f"{member.name} now hears about sessions: {member.alerts}.",
        as_,
    )


inbox_cli = typer.Typer(help="Messages the bot did not understand.", no_args_is_help=True)

app.add_typer(inbox_cli, name="inbox")


@inbox_cli.command("list")
def inbox_list(done: Annotated[bool, typer.Option(help="Show those already done")] = False) -> None:
    """The inbox, oldest first: who wrote, when, on which channel, and what."""
    settings = settings_or_exit()

    async def run() -> None:
        pool = await open_pool(settings)
        try:
            items = await pool.store.reader().inbox.items("done" if done else "open")
        finally:
            await pool.close()
        if not items:
            typer.echo("The inbox is empty.")
        for item in items:
            who = item.member.name if item.member else f"{national(item.address)} (not a member)"
            when = item.received_at.astimezone(LONDON).strftime("%a %-d %b %H:%M")
            repeats = f" ({item.count} messages; the newest)" if item.count > 1 else ""
            typer.echo(f"#{item.id}  {when}  {who} by {item.channel}{repeats}: {item.body or '(deleted)'}")

    asyncio.run(run())


@inbox_cli.command("answer")
def inbox_answer(
    item: Annotated[int, typer.Argument(help="The message's number")],
    text: Annotated[str, typer.Argument(help="The answer, sent through the bot")],
    as_: AsOption = None,
) -> None:
    """Answer a message through the bot (on the channel it came from); it is then done."""
    run_desk_command(lambda by: AnswerInbox(item, text, by), lambda _: f"Answered #{item}.", as_)


@inbox_cli.command("done")
def inbox_done(
    item: Annotated[int, typer.Argument(help="The message's number")], as_: AsOption = None
) -> None:
    """Mark a message done without answering it."""
    run_desk_command(lambda by: CloseInbox(item, by), lambda _: f"#{item} is done.", as_)


cost_cli = typer.Typer(help="The pool's running costs, against its set-up budget.", no_args_is_help=True)

app.add_typer(cost_cli, name="cost")


@cost_cli.command("add")
def cost_add(
    day: Annotated[str, typer.Argument(help="The date, 2026-12-03")],
    amount: Annotated[str, typer.Argument(help="In pounds, e.g. 1250.50")],
    what: Annotated[str, typer.Argument(help="What it was for")],
    as_: AsOption = None,
) -> None:
    """Add a running cost (not GPs' pay) to the ledger."""
    try:
        when, pence = date.fromisoformat(day), money.pence(amount)
    except ValueError as error:
        fail(str(error))
    run_desk_command(
        lambda by: AddCost(when, pence, what, by),
        lambda c: f"Added cost #{c.id}: £{c.amount_pence / 100:,.2f}.",
        as_,
    )


@app.command()
def report(
    json_: Annotated[bool, typer.Option("--json", help="As JSON")] = False,
    csv_: Annotated[bool, typer.Option("--csv", help="As CSV (metric,value)")] = False,
    year: Annotated[
        int | None, typer.Option(help="The financial year starting in April of this year")
    ] = None,
    as_: AsOption = None,
) -> None:
    """The pool's figures for a financial year (April to March), as NHS England asks for them."""

    def show(built: reports.PoolReport) -> str:
        if json_:
            return json.dumps(built.as_dict(), indent=2)
        if csv_:
            return spreadsheet.text(reports.as_rows(built)).rstrip("\n")
        return reports.as_text(built)

    run_desk_command(lambda by: BuildReport(year, by), show, as_)
