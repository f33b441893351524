"""AVAILABLE: a GP says they could work a half day. Open sessions that fit are offered at
once; sessions posted later that fit reach them first (eligibility ranks them up). A
coordinator can list who is available for a date and half day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot.clock import LONDON, london_date
from bot.dates import day_name, parse_day
from bot.domain import HALVES, Session
from bot.engine import Turn
from flows.conversation.messages import render
from flows.shifts import offers

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


# When a half day begins (London time), for reading a bare weekday said on that day: most
# morning sessions start at 08:00 or soon after, most afternoon ones from 13:00.
HALF_STARTS = {"am": time(8, 0), "pm": time(13, 0)}


def parse_availability(argument: str, now: datetime) -> tuple[date, frozenset[str]] | None:
    """'tue pm', '2026-12-03 all', 'tomorrow morning', 'friday' (the whole day).

    A bare weekday means the next such day whose named half has not begun: 'tue pm' sent on a
    Tuesday at 19:00 is next Tuesday, and 'tue all' at 10:00 is this afternoon (the morning
    has begun). A date given outright ('today', '1/12') is the day said."""
    local = now.astimezone(LONDON)
    today = local.date()
    words = argument.lower().replace(",", " ").split()
    halves = frozenset(HALVES)
    for size in (2, 1):
        tail = " ".join(words[-size:])
        if len(words) > size and tail in HALF_WORDS:
            halves, words = HALF_WORDS[tail], words[:-size]
            break
    day = parse_day(" ".join(words), today) if words else None
    if day is None:
        return None
    if day == today and day_name(words[-1]) is not None:
        left = frozenset(h for h in halves if local.time() < HALF_STARTS[h])
        if left:
            halves = left
        else:
            day += timedelta(days=7)
    return day, halves


async def available(turn: Turn, argument: str) -> None:
    member = turn.member
    assert member is not None
    if not member.is_clinician:
        turn.reply(render("available_how", not_gp=True), kind="available_how")
        return
    today = london_date(turn.now)
    parsed = parse_availability(argument, turn.now)
    if parsed is None or parsed[0] < today:
        turn.reply(render("available_how", past=parsed is not None), kind="available_how")
        return
    day, halves = parsed
    await turn.uow.members.set_availability(member.id, day, halves, turn.now)
    await turn.audit("availability_added", f"member:{member.id}", day=day.isoformat(), halves=sorted(halves))
    before = len(turn.outbound)
    offered = await offers.offer_open_sessions_to(turn, member, where=lambda s: _fits(s, day, halves))
    # The note goes ahead of the offers, so the person reads why they are getting them.
    turn.reply(
        render("available_noted", day=day, halves=halves, offered=offered), at=before, kind="available_noted"
    )


def _fits(session: Session, day: date, halves: frozenset[str]) -> bool:
    return session.starts_at.astimezone(LONDON).date() == day and session.halves <= halves
