"""Onboarding checks over time: a GP is reminded 30 and 7 days before a check expires, and
the coordinators get a weekly digest of checks expiring and lapsed.

A daily sweep (09:00 London) sends the reminders, remembering what it sent, so a sweep after
days of downtime catches up without repeating itself; the digest is its own weekly timer
(09:00 on the week's first working day), so one that fell due while down goes at the start.
A lapsed check makes a GP ineligible for sessions from that date on (flows/shifts/eligibility.py
reads the expiry against each session's date).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot.calendar import at_london, is_working_day
from bot.clock import london_date
from bot.domain import CHECK_NAMES, Member, Outbound, check_words
from bot.engine import Engine, Turn
from bot.ports import TimerRow
from flows.conversation.messages import render
from flows.people import evidence

SWEEP_TIMER = "checks_daily"
DIGEST_TIMER = "checks_digest"
SWEEP_AT = time(9, 0)
REMIND_DAYS = (30, 7)


def register(engine: Engine) -> None:
    engine.on_standing(SWEEP_TIMER, daily_sweep, next_sweep)
    engine.on_standing(DIGEST_TIMER, weekly_digest, next_digest)


def next_digest(now: datetime) -> datetime:
    """09:00 on the first working day of this week if still ahead, else of next week. (A
    digest that fell due while the server was down goes once at the next start.)"""
    today = london_date(now)
    monday = today - timedelta(days=today.weekday())
    for week_start in (monday, monday + timedelta(days=7)):
        week = [week_start + timedelta(days=n) for n in range(7)]
        first = next((day for day in week if is_working_day(day)), week_start)
        due = at_london(first, SWEEP_AT)
        if due > now:
            return due
    return at_london(monday + timedelta(days=14), SWEEP_AT)


async def weekly_digest(turn: Turn, timer: TimerRow) -> None:
    await _digest(turn, london_date(turn.now))
    await turn.uow.timers.add_timer(DIGEST_TIMER, "pool", next_digest(turn.now), {}, turn.now)


def next_sweep(now: datetime) -> datetime:
    today = london_date(now)
    due = at_london(today, SWEEP_AT)
    return due if due > now else at_london(today + timedelta(days=1), SWEEP_AT)


async def daily_sweep(turn: Turn, timer: TimerRow) -> None:
    today = london_date(turn.now)
    for member, kind, expires in await turn.uow.members.checks_expiring(
        today + timedelta(days=max(REMIND_DAYS))
    ):
        if expires <= today or _left(member, today):
            continue  # lapsed: in the coordinators' digest, not a reminder to the GP (or they left)
        days = min(d for d in REMIND_DAYS if (expires - today).days <= d)
        if await turn.uow.members.note_check_reminder(member.id, kind, expires, days, turn.now):
            turn.say(
                Outbound(
                    text=render(
                        "check_reminder",
                        check=CHECK_NAMES.get(kind, kind),
                        expires=expires,
                        left=(expires - today).days,
                    ),
                    member_id=member.id,
                    kind="check_reminder",
                    variables=(
                        ("template", "check_expiry"),
                        ("check", CHECK_NAMES.get(kind, kind)),
                        ("date", f"{expires:%-d %B %Y}"),
                    ),
                )
            )
    await evidence.delete_leavers_evidence(turn)
    await turn.uow.timers.add_timer(SWEEP_TIMER, "pool", next_sweep(turn.now), {}, turn.now)


async def missing_checks(turn: Turn) -> list[tuple[Member, str]]:
    """Clinicians with a check their profession needs and no record of it at all: they get no
    offers, and nothing else would ever say so."""
    professions = turn.policy.professions
    return [
        (member, ", ".join(check_words(c) for c in professions[member.profession].checks_missing(held)))
        for member, held in await turn.uow.members.clinicians_checks()
        if member.profession in professions
        and not _left(member, london_date(turn.now))
        and professions[member.profession].checks_missing(held)
    ]


async def _digest(turn: Turn, today) -> None:
    expiring_soon = await turn.uow.members.checks_expiring(today + timedelta(days=30))
    found = [(m, k, e) for m, k, e in expiring_soon if not _left(m, today)]
    lapsed = [(m, CHECK_NAMES.get(k, k), e) for m, k, e in found if e <= today]
    expiring = [(m, CHECK_NAMES.get(k, k), e) for m, k, e in found if e > today]
    missing = await missing_checks(turn)
    if not lapsed and not expiring and not missing:
        return
    # Most pressing first: lapsed, then missing altogether, then expiring soon.
    items = [
        *((m, check, "lapsed", e) for m, check, e in lapsed),
        *((m, checks, "missing", None) for m, checks in missing),
        *((m, check, "expires", e) for m, check, e in expiring),
    ]
    text = render("checks_digest", lapsed=lapsed, expiring=expiring, missing=missing, items=items)
    for coordinator in await turn.uow.members.members_with_role("coordinator"):
        turn.say(Outbound(text=text, member_id=coordinator.id, kind="checks_digest"))


def _left(member: Member, today: date) -> bool:
    """Gone from the pool: their checks are nobody's concern any more."""
    return member.left_on is not None and member.left_on <= today
