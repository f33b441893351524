"""Escalation, the on-call way: an ordered plan of steps, frozen when a session is posted.

Still unfilled ``escalate_first`` before the start (24 h, but never before the first offers
have been open their time; for a session posted too late for that, halfway to its start),
the poster and the practice's managers are alerted, with one tap (or reply) to offer it to
everyone eligible; still unfilled ``escalate_second`` before (4 h), the next named
coordinator. Each step is a timer row written at posting, with its recipients in it, and
checks the session is still open when it runs: a session filled in between alerts nobody.
A session whose start passes unfilled is expired by the start timer (flows/shifts/offers.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.domain import Choice, Member, OfferState, Outbound, Practice, Session, SessionStatus
from bot.engine import Engine, Turn
from bot.ports import TimerRow
from flows.conversation import messages
from flows.conversation.messages import render

ESCALATE_TIMER = "escalate"
MINIMUM_NOTICE = timedelta(minutes=30)  # an alert closer to the start than this is no use


def register(engine: Engine) -> None:
    engine.on_timer(ESCALATE_TIMER, on_escalate)


async def practice_and_poster(turn: Turn, session: Session) -> list[int]:
    """Who follows a session: its practice's managers, and its poster (or, when the admin
    posted it, the pool's coordinators), once each."""
    managers = [m.id for m in await turn.uow.members.members_with_role(f"practice:{session.practice}")]
    if session.posted_by is not None:
        others = [session.posted_by]
    else:
        others = [m.id for m in await turn.uow.members.members_with_role("coordinator")]
    return list(dict.fromkeys([*managers, *others]))


async def plan(turn: Turn, session: Session, poster: Member | None) -> None:
    """Write the session's escalation steps, with their recipients, as timers."""
    ahead = session.starts_at - turn.now
    # Not before the first offers have had their time, nor so late that it is no use.
    first = max(session.starts_at - turn.policy.escalate_first, turn.now + turn.policy.offer_open)
    if first > session.starts_at - MINIMUM_NOTICE:
        first = turn.now + ahead / 2 if ahead / 2 >= MINIMUM_NOTICE else None
    second = session.starts_at - turn.policy.escalate_second
    followers = await practice_and_poster(turn, session)
    if first is not None:
        await turn.uow.timers.add_timer(
            ESCALATE_TIMER, str(session.id), first, {"step": 1, "to": followers}, turn.now
        )
    if second > turn.now and (first is None or second > first):
        named = await _next_coordinator(turn, exclude={*followers, *([poster.id] if poster else [])})
        if named is not None:
            await turn.uow.timers.add_timer(
                ESCALATE_TIMER, str(session.id), second, {"step": 2, "to": [named]}, turn.now
            )


@dataclass(frozen=True, slots=True)
class Contact:
    """Who a GP should phone about a session: 'the practice', or 'the pool' when the pool has
    no number for the practice (its first named coordinator)."""

    who: str
    phone: str


async def who_to_call(turn: Turn, practice: Practice) -> Contact | None:
    if practice.phone:
        return Contact("the practice", practice.phone)
    first = await _next_coordinator(turn, exclude=set())
    coordinator = await turn.uow.members.member(first) if first is not None else None
    return Contact("the pool", coordinator.phone) if coordinator else None


async def _next_coordinator(turn: Turn, exclude: set[int]) -> int | None:
    """The first named escalation contact (POOL_ESCALATION_CONTACTS, in order; else the
    coordinators in the order they joined) who is not already following the session."""
    if turn.policy.escalation_contacts:
        named = [await turn.uow.members.member_by_phone(phone) for phone in turn.policy.escalation_contacts]
        candidates = [m for m in named if m is not None]
    else:
        candidates = await turn.uow.members.members_with_role("coordinator")
    return next((m.id for m in candidates if m.id not in exclude), None)


async def on_escalate(turn: Turn, timer: TimerRow) -> None:
    session = await turn.uow.sessions.session(int(timer.subject))
    if session is None or session.status != SessionStatus.OPEN or session.starts_at <= turn.now:
        return  # filled, cancelled or over meanwhile: nobody needs alerting
    from flows.shifts.offers import EXPIRY_TIMER  # offers plan escalations; escalation reads offers

    if await turn.uow.timers.pending_timer(EXPIRY_TIMER, timer.subject, due_by=turn.now):
        # Offers whose time runs out at this very moment are not waiting for an answer: their
        # expiry goes first (a step written now runs after it), so only open offers count.
        await turn.uow.timers.add_timer(
            ESCALATE_TIMER, timer.subject, turn.now, dict(timer.payload), turn.now
        )
        return
    practice = await turn.uow.practices.practice(session.practice)
    assert practice is not None
    offers = [o for o in await turn.uow.offers.offers_for_session(session.id) if o.round == session.round]
    waiting = sum(1 for o in offers if o.state == OfferState.OPEN)
    step = timer.payload.get("step", 1)
    began = min((o.sent_at for o in offers if o.sent_at), default=None)
    if step == 1 and began is not None and turn.now - began < turn.policy.offer_open:
        # Offered again just now (a GP gave it up): the poster has just heard; give the new
        # offers their time first.
        later = began + turn.policy.offer_open
        if later < session.starts_at - MINIMUM_NOTICE:
            await turn.uow.timers.add_timer(
                ESCALATE_TIMER, timer.subject, later, dict(timer.payload), turn.now
            )
            return
    poster = await turn.uow.members.member(session.posted_by) if session.posted_by else None
    text = render(
        "poster_still_open" if step == 1 else "escalation_alert",
        session=session,
        practice=practice,
        waiting=waiting,
        **messages.who(turn.policy.professions, session),
        offered=len(offers),
        poster=poster,
    )
    choices = () if session.urgent else (Choice("Offer to everyone", f"URGENT {session.code}"),)
    for member_id in timer.payload.get("to", []):
        turn.say(
            Outbound(
                text=text,
                member_id=member_id,
                choices=choices,
                # The poster's alert waits for quiet hours' end like anything routine; the next
                # coordinator's, close to the start, does not (the on-call step).
                kind="escalation" if step > 1 else "escalation_notice",
                topic=f"session:{session.id}",
            )
        )
    await turn.audit("escalated", f"session:{session.id}", None, step=step)
