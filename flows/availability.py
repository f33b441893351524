"""AVAILABLE: a GP says they could work a half day. Open sessions that fit are offered at
once; sessions posted later that fit reach them first (eligibility ranks them up). A
coordinator can list who is available for a date and half day."""

from __future__ import annotations

from datetime import date

from bot.clock import LONDON, london_date
from bot.dates import parse_day
from bot.domain import HALVES, Session
from bot.engine import Turn
from flows import offers
from flows.messages import render

HALF_WORDS = {
    "am": frozenset({"am"}),
    "morning": frozenset({"am"}),
    "pm": frozenset({"pm"}),
    "afternoon": frozenset({"pm"}),
    "all": frozenset(HALVES),
    "all day": frozenset(HALVES),
    "day": frozenset(HALVES),
    "both": frozenset(HALVES),
    "full day": frozenset(HALVES),
}


def parse_availability(argument: str, today: date) -> tuple[date, frozenset[str]] | None:
    """'tue pm', '2026-12-03 all', 'tomorrow morning', 'friday' (the whole day)."""
    words = argument.lower().replace(",", " ").split()
    halves = frozenset(HALVES)
    for size in (2, 1):
        tail = " ".join(words[-size:])
        if len(words) > size and tail in HALF_WORDS:
            halves, words = HALF_WORDS[tail], words[:-size]
            break
    day = parse_day(" ".join(words), today) if words else None
    return (day, halves) if day is not None else None


async def available(turn: Turn, argument: str) -> None:
    member = turn.member
    assert member is not None
    if not member.is_clinician:
        turn.reply(render("available_how", not_gp=True), kind="available_how")
        return
    today = london_date(turn.now)
    parsed = parse_availability(argument, today)
    if parsed is None or parsed[0] < today:
        turn.reply(render("available_how", past=parsed is not None), kind="available_how")
        return
    day, halves = parsed
    await turn.uow.set_availability(member.id, day, halves, turn.now)
    await turn.audit("availability_added", f"member:{member.id}", day=day.isoformat(), halves=sorted(halves))
    before = len(turn.outbound)
    offered = await offers.offer_open_sessions_to(turn, member, where=lambda s: _fits(s, day, halves))
    # The note goes ahead of the offers, so the person reads why they are getting them.
    turn.reply(
        render("available_noted", day=day, halves=halves, offered=offered), at=before, kind="available_noted"
    )


def _fits(session: Session, day: date, halves: frozenset[str]) -> bool:
    return session.starts_at.astimezone(LONDON).date() == day and session.halves <= halves
