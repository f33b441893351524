"""Checks with evidence, and the rest of a person's record a coordinator keeps: leaving,
erasure, how they are engaged.

Checks with evidence. NHS guidance makes identity, CCT, indemnity, occupational health, the
performers list, GMC, employment history and DBS checks the pool's job; an auditor asks who
verified each, when, and against what. Every recording keeps that, with the document seen,
which only coordinators may download. A document's type is read from its content (a PDF
named .png, or a script named .pdf, is caught), and its size bounded.
"""

from __future__ import annotations

import calendar
from datetime import date

from bot.clock import london_date
from bot.commands import CheckHistory, EraseMember, GetDocument, RecordCheck, RecordLeaving, SetEngagement
from bot.domain import CHECK_KINDS, ENGAGEMENTS, CheckRecord, Document, Member, OfferState
from bot.engine import Engine, Turn
from bot.errors import Refused
from flows.desk import actions
from flows.people import roles
from flows.shifts import offers

MAX_DOCUMENT = 5 * 1024 * 1024
DOCUMENT_TYPES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


def register(engine: Engine) -> None:
    engine.on_command(RecordCheck, record_check)
    engine.on_command(CheckHistory, check_history)
    engine.on_command(GetDocument, get_document)
    engine.on_command(RecordLeaving, record_leaving)
    engine.on_command(EraseMember, erase_member)
    engine.on_command(SetEngagement, set_engagement)


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
    await turn.audit("document_downloaded", f"member:{found.member_id}", None, document=found.id)
    return found


async def record_leaving(turn: Turn, command: RecordLeaving) -> Member:
    turn.by = command.by
    roles.require_coordinator(await roles.actor(turn, command.by))
    member = await actions.member_by_phone(turn, command.phone)
    if command.undo:
        await turn.audit("rejoined", f"member:{member.id}", None)
        return await turn.uow.members.update_member(member.id, left_on=None)
    day = command.on or london_date(turn.now)
    held = [
        s for _, s, _ in await turn.uow.bookings.upcoming_bookings(member.id, turn.now)
        if london_date(s.starts_at) >= day
    ]  # fmt: skip
    if held:
        codes = ", ".join(s.code for s in held)
        raise Refused(
            f"{member.name} is booked for {codes} from that day: cancel or rebook first.", field="on"
        )
    updated = await turn.uow.members.update_member(member.id, left_on=day)
    # Offers for sessions from that day are withdrawn; earlier ones they may still take.
    withdrawn = []
    for offer, session, _ in await turn.uow.offers.offers_of_member(member.id, limit=1000):
        if (
            offer.state == OfferState.OPEN
            and london_date(session.starts_at) >= day
            and await turn.uow.offers.answer_offer(offer.id, OfferState.WITHDRAWN, None, turn.now)
        ):
            withdrawn.append(session.id)
    await offers.after_offers_closed(turn, withdrawn)
    if day <= london_date(turn.now):
        await turn.uow.signins.end_sessions_of(member.id, turn.now)
    await turn.audit("left", f"member:{member.id}", None, on=day.isoformat())
    return updated


async def erase_member(turn: Turn, command: EraseMember) -> None:
    turn.by = command.by
    roles.require_coordinator(await roles.actor(turn, command.by))
    member = await actions.member_by_phone(turn, command.phone)
    held = await turn.uow.bookings.upcoming_bookings(member.id, turn.now)
    if held:
        codes = ", ".join(s.code for _, s, _ in held)
        raise Refused(f"{member.name} is booked for {codes}: cancel or rebook first.", field="phone")
    withdrawn = await turn.uow.offers.withdraw_member_offers(member.id, turn.now)
    await offers.after_offers_closed(turn, (o.session_id for o in withdrawn))
    await turn.uow.evidence.forget_checks(member.id)
    await turn.uow.members.erase_member(member.id, london_date(turn.now), turn.now)
    await turn.uow.signins.end_sessions_of(member.id, turn.now)
    await turn.audit("erased", f"member:{member.id}", None)


async def delete_leavers_evidence(turn: Turn) -> int:
    """The daily sweep's share: documents of members who left more than POOL_EVIDENCE_MONTHS
    ago are deleted (their history keeps that a document was seen, and by whom)."""
    today = london_date(turn.now)
    months = turn.policy.evidence_months
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    cutoff = date(year, month + 1, min(today.day, calendar.monthrange(year, month + 1)[1]))
    deleted = 0
    for member_id in await turn.uow.evidence.leavers_with_documents(cutoff):
        count = await turn.uow.evidence.delete_documents(member_id)
        deleted += count
        await turn.audit("evidence_deleted", f"member:{member_id}", None, documents=count)
    return deleted


async def set_engagement(turn: Turn, command: SetEngagement) -> Member:
    turn.by = command.by
    roles.require_coordinator(await roles.actor(turn, command.by))
    member = await actions.member_by_phone(turn, command.phone)
    engagement = command.engagement.strip().lower()
    if engagement not in ENGAGEMENTS:
        raise Refused(f"Choose one of {', '.join(ENGAGEMENTS)}.", field="engagement")
    if not member.is_clinician:
        raise Refused(f"{member.name} takes no sessions, so is not engaged for them.", field="engagement")
    await turn.audit("engagement_set", f"member:{member.id}", None, engagement=engagement)
    return await turn.uow.members.update_member(member.id, engagement=engagement)
