"""CSV files in and out, in DESIGN.md's columns."""

from __future__ import annotations

import asyncio
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from adapters.cli.common import (
    AsOption,
    acting_member,
    fail,
    open_pool,
    settings_or_exit,
)
from bot import spreadsheet
from bot.engine import Turn
from bot.errors import Refused
from flows.desk import exports, imports

app = typer.Typer()


class ImportKind(StrEnum):
    practices = "practices"
    members = "members"
    checks = "checks"
    sessions = "sessions"


class ExportKind(StrEnum):
    practices = "practices"
    members = "members"
    sessions = "sessions"
    bookings = "bookings"


@app.command("import")
def import_file(
    kind: Annotated[ImportKind, typer.Argument(help="What the file holds")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV in DESIGN.md's columns")],
    as_: AsOption = None,
) -> None:
    """Import a CSV file, all or nothing: every bad row is listed with its line number."""
    settings = settings_or_exit()
    try:
        rows = imports.read_csv(kind.value, file.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        fail(f"{file} is not UTF-8 text: save it as 'CSV UTF-8' and import it again")
    except imports.ImportRefused as refusal:
        for problem in refusal.errors:
            typer.echo(str(problem), err=True)
        fail(f"{file} was not imported")
    do = {
        ImportKind.practices: imports.import_practices,
        ImportKind.members: imports.import_members,
        ImportKind.checks: imports.import_checks,
        ImportKind.sessions: imports.import_sessions,
    }[kind]

    async def run() -> imports.ImportResult:
        pool = await open_pool(settings)
        try:
            by = await acting_member(pool, as_)
            with Progress(transient=True, disable=len(rows) < 200) as progress:
                task = progress.add_task(f"Importing {kind.value}", total=len(rows))

                async def work(turn: Turn) -> imports.ImportResult:
                    turn.by = by
                    return await do(turn, rows, lambda n: progress.advance(task, n))

                return await pool.engine.run(f"member:{by}" if by else "cli", work)
        finally:
            await pool.close()

    try:
        result = asyncio.run(run())
    except imports.ImportRefused as refusal:
        for problem in refusal.errors:
            typer.echo(str(problem), err=True)
        fail(f"{file} was not imported: {refusal.message}")
    except Refused as refusal:
        fail(refusal.message)
    counts = f"{result.added} added, {result.updated} updated, {result.unchanged} unchanged"
    typer.echo(f"Imported {kind.value}: {counts}.")
    for note in result.notes:
        typer.echo(note)


@app.command()
def export(
    kind: Annotated[ExportKind, typer.Argument(help="What to export")],
    out: Annotated[Path | None, typer.Option(help="File to write (default: standard output)")] = None,
) -> None:
    """Export practices, members, sessions or bookings as CSV."""
    settings = settings_or_exit()

    async def run() -> tuple[list[str], list[list[str]]]:
        pool = await open_pool(settings)
        try:
            make = {
                "practices": exports.practices,
                "members": exports.members,
                "sessions": exports.sessions,
                "bookings": exports.bookings,
            }
            return await make[kind.value](pool.store.reader())
        finally:
            await pool.close()

    header, rows = asyncio.run(run())
    handle = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
    spreadsheet.write(handle, [header, *rows])
    if out:
        handle.close()
        typer.echo(f"Wrote {len(rows)} {kind.value} to {out}.")
