"""Expenses beside a session's fee: mileage at the pool's rate (``MILES 12 BCDF`` by text, or
from the console, CLI and API), and other costs with a note (console, CLI, API). Each is a line
of its own, kept with the amount worked out when it was added, and never pensionable.

The clinician who worked the session adds their own; a coordinator may add one for them. A
session counts once it has started and while it is filled or delivered.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from bot.commands import AddExpense
from bot.domain import Expense, Member, Session, SessionStatus
from bot.engine import Engine, Turn
from bot.errors import Refused
from flows.conversation.messages import render
from flows.people import roles
from flows.shifts.lookup import session_and_practice

MAX_MILES = 500.0  # one session's journey, there and back
MAX_OTHER_PENCE = 50_000  # £500: anything more is a conversation with the coordinators
MAX_NOTE = 100
RECENT = timedelta(days=14)  # MILES without a code means the one session worked this recently
_MILES = re.compile(r"^(\d{1,3}(?:\.\d{1,2})?)\s*(?:miles?|mi)?\b")
_SESSION_CODE = re.compile(r"\b([bcdfghjklmnpqrstvwxz]{4})\b")


def register(engine: Engine) -> None:
    engine.on_command(AddExpense, add_command)


def mileage_pence(miles: float, pence_a_mile: int) -> int:
    """Miles at the rate, to the nearest penny (halves up)."""
    return int((Decimal(str(miles)) * pence_a_mile).quantize(Decimal(1), rounding=ROUND_HALF_UP))


async def add(
    turn: Turn,
    session: Session,
    gp_id: int,
    *,
    miles: float | None,
    amount_pence: int | None,
    note: str,
    by: int | None,
) -> Expense:
    """One expense line, checked: the session has started and was worked; mileage or an
    amount with a note, within bounds."""
    if session.status not in (SessionStatus.FILLED, SessionStatus.DELIVERED) or session.starts_at > turn.now:
        raise Refused(
            f"Session {session.code} has not been worked, so it has no expenses yet.", field="session"
        )
    note = " ".join(note.split())
    if len(note) > MAX_NOTE:
        raise Refused(f"Keep the note to {MAX_NOTE} characters.", field="note")
    if (miles is None) == (amount_pence is None):
        raise Refused("Give the miles, or an amount with a note.", field="miles")
    if miles is not None:
        if not 0 < miles <= MAX_MILES:
            raise Refused(f"Miles must be more than 0 and at most {MAX_MILES:g}.", field="miles")
        amount = mileage_pence(miles, turn.policy.mileage_pence)
        if amount < 1:
            raise Refused("That mileage comes to less than a penny.", field="miles")
        claimed = (await turn.uow.pay.expenses_for([session.id])).get(session.id, [])
        if any(e.kind == "mileage" and e.miles == miles and e.member_id == gp_id for e in claimed):
            raise Refused(f"{miles:g} miles are already claimed for session {session.code}.", field="miles")
        kind = "mileage"
    else:
        assert amount_pence is not None
        if not 0 < amount_pence <= MAX_OTHER_PENCE:
            raise Refused("An expense must be more than £0 and at most £500.", field="amount_pence")
        if not note:
            raise Refused("Say what the expense was for.", field="note")
        amount, kind = amount_pence, "other"
    expense = await turn.uow.pay.add_expense(
        session_id=session.id, member_id=gp_id, kind=kind, amount_pence=amount, note=note, miles=miles,
        by=by, now=turn.now,
    )  # fmt: skip
    await turn.audit("expense_added", f"session:{session.id}", None, kind=kind, amount_pence=amount)
    return expense


async def add_command(turn: Turn, command: AddExpense) -> Expense:
    turn.by = command.by
    by = await roles.actor(turn, command.by)
    session, _ = await session_and_practice(turn, command.code)
    booking = await turn.uow.bookings.live_booking(session.id)
    if booking is None:
        raise Refused(f"Session {session.code} has nobody booked, so it has no expenses.", field="session")
    if not (roles.is_coordinator(by) or (by is not None and by.id == booking.member_id)):
        raise Refused(
            "Sorry, only the person who worked it or a coordinator can add an expense.", field="role"
        )
    return await add(
        turn, session, booking.member_id, miles=command.miles, amount_pence=command.amount_pence,
        note=command.note, by=command.by,
    )  # fmt: skip


async def miles_by_text(turn: Turn, argument: str) -> None:
    """MILES 12 BCDF (the session's code), MILES 12 4821 (the booking's), or MILES 12 when
    only one session was worked in the last fortnight."""
    member = turn.member
    assert member is not None
    text = argument.strip().lower()
    found = _MILES.match(text)
    if found is None:
        turn.reply(render("miles_how", sessions=[]), kind="miles_how")
        return
    miles = float(found[1])
    rest = text[found.end() :]
    named = _SESSION_CODE.search(rest)
    digits = re.search(r"\b(\d{4})\b", rest)
    if named or digits:  # a code names the session, however long ago it was worked
        theirs = await _worked(turn, member, since=None)
        chosen = [s for s, code in theirs if (s.code.lower() == named[1] if named else code == digits[1])]  # type: ignore[index]
        worked = theirs
    else:  # alone, it means the one session worked in the last fortnight
        worked = await _worked(turn, member, since=turn.now - RECENT)
        chosen = [s for s, _ in worked] if len(worked) == 1 else []
    if len(chosen) != 1:
        turn.reply(render("miles_how", sessions=[s for s, _ in worked][:4]), kind="miles_how")
        return
    session = chosen[0]
    practice = await turn.uow.practices.practice(session.practice)
    try:
        expense = await add(turn, session, member.id, miles=miles, amount_pence=None, note="", by=member.id)
    except Refused as refusal:
        turn.reply(str(refusal), kind="miles_how")
        return
    turn.reply(
        render(
            "miles_noted", session=session, practice=practice, miles=miles, pay=expense.amount_pence,
            rate=turn.policy.mileage_pence,
        ),
        kind="miles_noted",
    )  # fmt: skip


async def _worked(turn: Turn, member: Member, since: datetime | None) -> list[tuple[Session, str]]:
    """Sessions of theirs that have started (since ``since``), latest first, with their
    booking codes."""
    found = []
    for booking, session, _ in await turn.uow.bookings.bookings_of_member(member.id, 200):
        if booking.state != "booked" or session.starts_at > turn.now:
            continue
        if since is not None and session.starts_at < since:
            continue
        if session.status in (SessionStatus.FILLED, SessionStatus.DELIVERED):
            found.append((session, booking.code))
    return found
