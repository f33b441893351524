"""Checks with evidence. NHS guidance makes identity, CCT, indemnity, occupational health, the
performers list, GMC, employment history and DBS checks the pool's job; an auditor asks who
verified each, when, and against what. Every recording keeps that, with the document seen,
which only coordinators may download. A document's type is read from its content (a PDF
named .png, or a script named .pdf, is caught), and its size bounded.
"""

from __future__ import annotations

from bot.clock import london_date
from bot.commands import CheckHistory, GetDocument, RecordCheck
from bot.domain import CHECK_KINDS, CheckRecord, Document
from bot.engine import Engine, Turn
from bot.errors import Refused
from flows.desk import actions
from flows.people import roles

MAX_DOCUMENT = 5 * 1024 * 1024
DOCUMENT_TYPES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


def register(engine: Engine) -> None:
    engine.on_command(RecordCheck, record_check)
    engine.on_command(CheckHistory, check_history)
    engine.on_command(GetDocument, get_document)


def document_type(content: bytes) -> str:
    """The document's type by its content, or Refused: PDF, JPEG or PNG, 5 MB at most."""
    import filetype  # read only when a document arrives

    if len(content) > MAX_DOCUMENT:
        raise Refused(f"The document is {len(content) / 1024 / 1024:.1f} MB: at most 5 MB.", field="document")
    if not content:
        raise Refused("The document is empty.", field="document")
    found = filetype.guess(content)
    if found is None or found.mime not in DOCUMENT_TYPES:
        raise Refused("The document must be a PDF, JPEG or PNG (checked by its content).", field="document")
    return str(found.mime)


async def record_check(turn: Turn, command: RecordCheck) -> CheckRecord:
    turn.by = command.by
    roles.require_coordinator(await roles.actor(turn, command.by))
    member = await actions.member_by_phone(turn, command.phone)
    kind = command.kind.strip().lower()
    if kind not in CHECK_KINDS:
        raise Refused(f"'{command.kind}' is not a check (one of {', '.join(CHECK_KINDS)}).", field="kind")
    professions = turn.policy.professions
    if member.profession in professions and kind not in professions[member.profession].check_names():
        profession = professions[member.profession]
        needs = ", ".join(c.replace("|", " or ") for c in profession.checks)
        raise Refused(f"A {profession.name} does not need '{kind}' (they need {needs}).", field="kind")
    today = london_date(turn.now)
    verified_on = command.verified_on or today
    if verified_on > today:
        raise Refused("The evidence cannot have been seen after today.", field="verified_on")
    if command.expires is not None and command.expires <= verified_on:
        raise Refused("That check had expired when it was seen: give the renewal's expiry.", field="expires")
    document = (document_type(command.document), command.document) if command.document is not None else None
    await turn.uow.members.set_check(member.id, kind, command.expires)
    record = await turn.uow.evidence.record_check(
        member.id, kind, command.expires, verified_on, command.by, command.via, document, turn.now
    )
    await turn.audit(
        "check_recorded", f"member:{member.id}", None, check=kind, document=record.document_id is not None
    )
    return record


async def check_history(turn: Turn, command: CheckHistory) -> list[CheckRecord]:
    roles.require_coordinator(await roles.actor(turn, command.by))
    member = await actions.member_by_phone(turn, command.phone)
    return await turn.uow.evidence.check_history(member.id)


async def get_document(turn: Turn, command: GetDocument) -> Document:
    roles.require_coordinator(await roles.actor(turn, command.by))
    found = await turn.uow.evidence.document(command.document_id) if 0 < command.document_id < 2**63 else None
    if found is None:
        raise Refused("There is no such document.", field="document")
    return found
