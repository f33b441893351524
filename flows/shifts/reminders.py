"""Reminders around a booking, and the hours it was worked.

The evening before (18:00 London, whatever the clock change), the GP is reminded with the
practice's address and arrival details. When the session ends they are asked "Did the
session go ahead?": hours worked ("4", "4.5 hrs", "4h30") record it as delivered with those
hours (the pool's delivered sessions, hours and spend come from this); NO tells the
coordinators. One gentle reminder the next working day if unanswered; the working day after,
the coordinators are asked instead. Every step is a timer row and checks the booking is
still live when it runs.
"""

from __future__ import annotations

from datetime import time, timedelta

from bot.calendar import at_london, next_working_day
from bot.clock import london_date
from bot.domain import Booking, BookingState, Choice, Outbound, Practice, Question, Session, SessionStatus
from bot.engine import Engine, Turn
from bot.ports import TimerRow
from flows.conversation import codes
from flows.conversation.messages import render, when
from flows.desk import alerts
from flows.money import signoff

REMINDER_TIMER = "booking_reminder"
HOURS_TIMER = "hours_prompt"
HOURS_NUDGE_TIMER = "hours_nudge"
HOURS_HANDOVER_TIMER = "hours_handover"
EVENING_BEFORE = time(18, 0)
WORKING_MORNING = time(10, 0)
OVERRUN_HOURS = 2.0  # a GP may stay late, but the hours stay close to the session's length


def register(engine: Engine) -> None:
    engine.on_timer(REMINDER_TIMER, on_reminder)
    engine.on_timer(HOURS_TIMER, on_hours_prompt)
    engine.on_timer(HOURS_NUDGE_TIMER, on_hours_nudge)
    engine.on_timer(HOURS_HANDOVER_TIMER, on_hours_handover)


async def schedule(turn: Turn, session: Session, booking: Booking) -> None:
    """A new booking: the evening-before reminder (if that evening is still ahead) and the
    question after the session."""
    evening = at_london(london_date(session.starts_at) - timedelta(days=1), EVENING_BEFORE)
    payload = {"booking": booking.id}
    if turn.now < evening:
        await turn.uow.timers.add_timer(REMINDER_TIMER, str(session.id), evening, payload, turn.now)
    await turn.uow.timers.add_timer(HOURS_TIMER, str(session.id), session.ends_at, payload, turn.now)


async def _live(turn: Turn, timer: TimerRow) -> tuple[Session, Practice, Booking] | None:
    session = await turn.uow.sessions.session(int(timer.subject))
    booking = await turn.uow.bookings.live_booking(int(timer.subject))
    if session is None or booking is None or booking.id != timer.payload.get("booking"):
        return None  # cancelled, given up or rebooked meanwhile
    if booking.state != BookingState.BOOKED or session.status not in (SessionStatus.FILLED,):
        return None
    practice = await turn.uow.practices.practice(session.practice)
    assert practice is not None
    return session, practice, booking


async def on_reminder(turn: Turn, timer: TimerRow) -> None:
    found = await _live(turn, timer)
    if found is None:
        return
    session, practice, booking = found
    turn.say(
        Outbound(
            text=render("booking_reminder", session=session, practice=practice, code=booking.code),
            member_id=booking.member_id,
            kind="reminder",
            topic=f"booking:{booking.id}",
            variables=(
                ("template", "booking_reminder"),
                ("practice", practice.name),
                ("date and time", when(session)),
                ("code", booking.code),
            ),
        )
    )
    # A first visit: the practice's notes again, whole, in a text of their own.
    if practice.info_pack and not await turn.uow.bookings.worked_at_before(
        booking.member_id, practice.ods_code, session.starts_at
    ):
        turn.say(
            Outbound(
                text=render("info_pack", practice=practice), member_id=booking.member_id, kind="info_pack"
            )
        )


async def on_hours_prompt(turn: Turn, timer: TimerRow) -> None:
    found = await _live(turn, timer)
    if found is None:
        return
    session, practice, booking = found
    code = await codes.fresh_code(turn, booking.member_id)
    prompt_id = await turn.uow.prompts.add_prompt("hours", booking.member_id, session.id, code, turn.now)
    _ask(turn, session, practice, booking.member_id, code, "hours_prompt")
    nudge = at_london(next_working_day(london_date(turn.now)), WORKING_MORNING)
    await turn.uow.timers.add_timer(
        HOURS_NUDGE_TIMER, str(session.id), nudge, {"prompt": prompt_id}, turn.now
    )


def _ask(turn: Turn, session: Session, practice: Practice, member_id: int, code: str, template: str) -> None:
    planned = f"{session.hours:g}"
    turn.say(
        Outbound(
            text=render(template, session=session, practice=practice, code=code),
            member_id=member_id,
            choices=(
                Choice(f"{planned} hours", f"{planned} {code}"),
                Choice("It didn't go ahead", f"NO {code}"),
            ),
            kind=template,
            topic=f"hours:{session.id}",
            variables=(
                ("template", "hours_prompt"),
                ("practice", practice.name),
                ("date and time", when(session)),
                ("code", code),
            ),
        )
    )


async def on_hours_nudge(turn: Turn, timer: TimerRow) -> None:
    prompt = await turn.uow.prompts.prompt(timer.payload["prompt"])
    session = await turn.uow.sessions.session(int(timer.subject))
    if prompt is None or prompt.state != "open" or session is None or session.status != SessionStatus.FILLED:
        return
    practice = await turn.uow.practices.practice(session.practice)
    assert practice is not None
    _ask(turn, session, practice, prompt.member_id, prompt.code, "hours_nudge")
    handover = at_london(next_working_day(london_date(turn.now)), WORKING_MORNING)
    await turn.uow.timers.add_timer(
        HOURS_HANDOVER_TIMER, str(session.id), handover, dict(timer.payload), turn.now
    )


async def on_hours_handover(turn: Turn, timer: TimerRow) -> None:
    """Still no answer: the question passes to the coordinators (and the practice)."""
    prompt = await turn.uow.prompts.prompt(timer.payload["prompt"])
    session = await turn.uow.sessions.session(int(timer.subject))
    if prompt is None or prompt.state != "open" or session is None or session.status != SessionStatus.FILLED:
        return
    await turn.uow.prompts.close_prompt(prompt.id, "closed", turn.now)
    practice = await turn.uow.practices.practice(session.practice)
    gp = await turn.uow.members.member(prompt.member_id)
    assert practice is not None and gp is not None
    text = render("hours_handover", session=session, practice=practice, gp=gp)
    await alerts.tell_followers(turn, session, practice, text, "no_hours", member=gp)


# -- answers ----------------------------------------------------------------------------------


async def answer(turn: Turn, question: Question, value: str) -> None:
    """YES or NO to "did it go ahead?": NO is recorded and the coordinators told; YES asks
    for the hours."""
    prompt = await turn.uow.prompts.prompt(question.ref_id)
    session = await turn.uow.sessions.session(prompt.ref_id) if prompt else None
    assert prompt is not None and session is not None and turn.member is not None
    practice = await turn.uow.practices.practice(session.practice)
    assert practice is not None
    if value == "yes":
        turn.reply(
            render("hours_how", session=session, practice=practice, code=prompt.code), kind="hours_how"
        )
        return
    await turn.uow.prompts.close_prompt(prompt.id, "answered", turn.now)
    await turn.audit("session_not_delivered", f"session:{session.id}", member=turn.member.id)
    turn.reply(render("hours_none_noted", session=session, practice=practice), kind="hours_noted")
    text = render("hours_not_delivered", session=session, practice=practice, gp=turn.member)
    await alerts.tell_followers(turn, session, practice, text, "not_held", member=turn.member)


async def answer_hours(turn: Turn, question: Question, hours: float) -> None:
    prompt = await turn.uow.prompts.prompt(question.ref_id)
    session = await turn.uow.sessions.session(prompt.ref_id) if prompt else None
    assert prompt is not None and session is not None and turn.member is not None
    practice = await turn.uow.practices.practice(session.practice)
    assert practice is not None
    longest = session.hours + OVERRUN_HOURS
    if not 0 < hours <= longest:
        turn.reply(
            render("hours_how", session=session, practice=practice, code=prompt.code, longest=longest),
            kind="hours_how",
        )
        return
    await turn.uow.prompts.close_prompt(prompt.id, "answered", turn.now)
    turn.reply(render("hours_noted", session=session, practice=practice, hours=hours), kind="hours_noted")
    if await turn.uow.sessions.record_delivery(session.id, hours, turn.now):
        await turn.audit("session_delivered", f"session:{session.id}", None, hours=hours, by="gp")
        await signoff.hours_reported(turn, session, hours, "gp")  # the practice is asked to agree
