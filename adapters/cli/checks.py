"""Members' checks with evidence (record or renew one, see the history, save a document), and a
member leaving the pool or erased from it."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from adapters.cli.common import AsOption, fail, run_desk_command
from bot.commands import CheckHistory, EraseMember, GetDocument, RecordCheck, RecordLeaving, SetEngagement
from bot.domain import CheckRecord, Document

app = typer.Typer()
checks_cli = typer.Typer(
    help="Members' checks, with who verified them and the evidence.", no_args_is_help=True
)
app.add_typer(checks_cli, name="checks")


def _day(text: str | None, option: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option} '{text}' is not a date like 2027-03-31")
        raise  # fail() exits; this is for type checkers


def describe(record: CheckRecord) -> str:
    expires = f"expires {record.expires}" if record.expires else "never lapses"
    who = record.verified_by or ("the admin" if record.source != "before" else "before history was kept")
    seen = f", seen {record.verified_on}" if record.verified_on else ""
    evidence = f", document #{record.document_id} ({record.document_type})" if record.document_id else ""
    return f"{record.kind}: {expires}; by {who} via {record.source}{seen}{evidence}"


@checks_cli.command("record")
def record(
    phone: Annotated[str, typer.Argument(help="The member's phone")],
    kind: Annotated[str, typer.Argument(help="identity, cct, indemnity, occupational_health, dbs, ...")],
    expires: Annotated[str | None, typer.Option(help="The expiry date (none: never lapses)")] = None,
    verified_on: Annotated[
        str | None, typer.Option(help="When the evidence was seen (default today)")
    ] = None,
    document: Annotated[
        Path | None, typer.Option(help="The evidence: a PDF, JPEG or PNG of 5 MB at most", exists=True)
    ] = None,
    as_: AsOption = None,
) -> None:
    """Record or renew a check, with who verified it (you: --as) and its evidence."""
    content = document.read_bytes() if document else None
    run_desk_command(
        lambda by: RecordCheck(
            phone, kind, _day(expires, "--expires"), _day(verified_on, "--verified-on"), content, by, "cli"
        ),
        lambda found: f"Recorded: {describe(found)}.",
        as_,
    )


@checks_cli.command("history")
def history(phone: Annotated[str, typer.Argument(help="The member's phone")], as_: AsOption = None) -> None:
    """Every recording of the member's checks, newest first."""
    run_desk_command(
        lambda by: CheckHistory(phone, by),
        lambda found: "\n".join(describe(r) for r in found) or "No checks on record.",
        as_,
    )


@checks_cli.command("document")
def save_document(
    document_id: Annotated[int, typer.Argument(help="The document's number (checks history shows it)")],
    out: Annotated[Path, typer.Option(help="Where to save it")],
    as_: AsOption = None,
) -> None:
    """Save a check's evidence to a file (coordinators)."""

    def save(found: Document) -> str:
        out.write_bytes(found.content)
        return f"Saved document #{found.id} ({found.content_type}, {found.size:,} bytes) to {out}."

    run_desk_command(lambda by: GetDocument(document_id, by), save, as_)


members_cli = typer.Typer(help="A member leaving the pool, or erased from it.", no_args_is_help=True)
app.add_typer(members_cli, name="members")


@members_cli.command("leave")
def leave(
    phone: Annotated[str, typer.Argument(help="The member's phone")],
    on: Annotated[str | None, typer.Option(help="The day they leave (default today)")] = None,
    undo: Annotated[bool, typer.Option("--undo", help="They are back: clear the day they left")] = False,
    as_: AsOption = None,
) -> None:
    """Record that a member leaves the pool: no offers from that day; their check documents
    are deleted POOL_EVIDENCE_MONTHS later."""
    run_desk_command(
        lambda by: RecordLeaving(phone, _day(on, "--on"), undo, by),
        lambda member: (
            f"{member.name} is back in the pool."
            if member.left_on is None
            else f"{member.name} left the pool on {member.left_on}: nothing is offered to them from then."
        ),
        as_,
    )


@members_cli.command("erase")
def erase(
    phone: Annotated[str, typer.Argument(help="The member's phone")],
    yes: Annotated[bool, typer.Option("--yes", help="Yes: erase them; this cannot be undone")] = False,
    as_: AsOption = None,
) -> None:
    """Erase a member: their name, numbers, checks, documents and message texts go for good."""
    if not yes:
        fail("erasing cannot be undone: add --yes to erase them")
    run_desk_command(lambda by: EraseMember(phone, by), lambda _: f"Erased {phone}.", as_)


@members_cli.command("engagement")
def engagement(
    phone: Annotated[str, typer.Argument(help="The member's phone")],
    kind: Annotated[str, typer.Argument(help="employed, self_employed or limited_company")],
    as_: AsOption = None,
) -> None:
    """How a clinician is engaged: employed (timesheets), self_employed or limited_company (invoices)."""
    run_desk_command(
        lambda by: SetEngagement(phone, kind, by), lambda m: f"{m.name} is now {m.engagement}.", as_
    )
