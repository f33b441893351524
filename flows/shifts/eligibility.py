"""Who may be offered a session, who may book it, and who hears first.

Pure functions over ``GpFacts`` (read in bulk by the store), so the same rules decide a wave
of offers and re-check one acceptance inside the booking transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, datetime

from bot.clock import LONDON, london_date
from bot.domain import DAY_NAMES, GpFacts, Member, Practice, Session
from bot.professions import Profession, Professions
from bot.reach import reach


def halves(session: Session) -> frozenset[str]:
    return session.halves


def days_fit(days: Iterable[str], session: Session) -> bool:
    """A member's days ('mon', 'tue-am', 'fri-pm'; none means any) cover the whole session."""
    allowed: set[tuple[str, str]] = set()
    for entry in days:
        name, _, half = entry.lower().partition("-")
        allowed.update((name, h) for h in ((half,) if half else ("am", "pm")))
    if not allowed:
        return True
    weekday = DAY_NAMES[session.starts_at.astimezone(LONDON).weekday()]
    return all((weekday, half) in allowed for half in halves(session))


def checks_missing(checks: dict[str, date | None], on: date, profession: Profession) -> list[str]:
    """The checks the profession needs that are absent or lapsed on ``on`` ("nmc|hcpc|swe"
    when none of a choice is valid). A check expiring on a date is no longer valid on that
    date (the safe reading for indemnity and DBS)."""
    valid = [kind for kind, expires in checks.items() if expires is None or expires > on]
    return profession.checks_missing(valid)


def is_paused(member: Member, today: date, session_day: date) -> bool:
    until = member.paused_until
    return until is not None and (today <= until or session_day <= until)


def overlaps(facts: GpFacts, session: Session) -> bool:
    return any(
        slot.session_id != session.id
        and slot.starts_at < session.ends_at
        and session.starts_at < slot.ends_at
        for slot in facts.bookings
    )


def week_of(moment: datetime) -> tuple[int, int]:
    iso = moment.astimezone(LONDON).isocalendar()
    return iso.year, iso.week


def booked_that_week(facts: GpFacts, session: Session) -> int:
    week = week_of(session.starts_at)
    return sum(
        1 for slot in facts.bookings if slot.session_id != session.id and week_of(slot.starts_at) == week
    )


def booking_blocker(
    facts: GpFacts | None, session: Session, now: datetime, professions: Professions
) -> str | None:
    """Why this clinician cannot book this session now (None: they can). Re-checked at
    acceptance."""
    if facts is None or not facts.member.is_clinician:
        return "not_clinician"
    member = facts.member
    if member.profession not in session.professions or member.profession not in professions:
        return "profession"
    if session.starts_at <= now:
        return "started"
    session_day = london_date(session.starts_at)
    if member.left_on is not None and member.left_on <= session_day:
        return "left"
    if is_paused(member, london_date(now), session_day):
        return "paused"
    if checks_missing(facts.checks, session_day, professions[member.profession]):
        return "checks"
    if overlaps(facts, session):
        return "overlap"
    cap = member.max_sessions_per_week
    if cap is not None and booked_that_week(facts, session) >= cap:
        return "cap"
    return None


def offer_blocker(
    facts: GpFacts,
    session: Session,
    practice: Practice,
    now: datetime,
    channels_on: Collection[str],
    professions: Professions,
) -> str | None:
    """Why this clinician should not be offered this session (None: offer it)."""
    blocker = booking_blocker(facts, session, now, professions)
    if blocker:
        return blocker
    member = facts.member
    if facts.practice_preference == "block":
        return "blocked"
    if member.practices and practice.ods_code not in member.practices:
        return "practice"
    if member.localities and practice.locality.lower() not in {loc.lower() for loc in member.localities}:
        return "locality"
    # Saying AVAILABLE for that day overrides the days they usually work.
    if not facts.available and not days_fit(member.days, session):
        return "days"
    if reach(member, channels_on) is None:
        return "unreachable"
    return None


def contracted_gap(facts: GpFacts, session: Session) -> int:
    """Contracted sessions still unbooked that week (an employing pool pays for them anyway)."""
    return max(0, facts.member.contracted_sessions_per_week - booked_that_week(facts, session))


def preferences_named(member: Member, session: Session, practice: Practice) -> int:
    """How many of the member's stated preferences this session meets by name (not by 'any')."""
    named = 0
    if practice.ods_code in member.practices:
        named += 1
    if practice.locality and practice.locality.lower() in {loc.lower() for loc in member.localities}:
        named += 1
    if member.days and days_fit(member.days, session):
        named += 1
    return named


def rank(candidates: Iterable[GpFacts], session: Session, practice: Practice) -> list[GpFacts]:
    """Best fit first: GPs the practice prefers; contracted GPs with sessions to fill that week
    (an employing pool pays them anyway); GPs who said they are available then; those who have
    worked at the practice; those whose stated preferences it meets; the least recently busy."""
    return sorted(
        candidates,
        key=lambda f: (
            f.practice_preference != "prefer",
            contracted_gap(f, session) == 0,
            not f.available,
            not f.worked_at_practice,
            -preferences_named(f.member, session, practice),
            f.recent_sessions,
            f.member.id,
        ),
    )


def next_wave(
    facts: Iterable[GpFacts],
    session: Session,
    practice: Practice,
    now: datetime,
    channels_on: Collection[str],
    professions: Professions,
) -> list[GpFacts]:
    """Everyone not yet offered this round who may be offered it, best fit first (ranked
    among their own profession's and the session's: fairness is within a profession)."""
    fresh = [
        f
        for f in facts
        if not f.offered_this_round
        and not f.turned_down
        and offer_blocker(f, session, practice, now, channels_on, professions) is None
    ]
    return rank(fresh, session, practice)
