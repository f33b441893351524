"""The coordinator's desk: book by hand, cancel, broadcast as urgent, record delivery, the
inbox, practices' preferences and the cost ledger. Every command checks the actor's role;
a refusal raises ``Refused`` and changes nothing (the turn's transaction is rolled back)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.clock import LONDON, london_date
from bot.commands import (
    AddCost,
    AnswerInbox,
    BookByHand,
    BroadcastUrgent,
    CancelSession,
    CloseInbox,
    DeskStatus,
    ListInbox,
    ListUnreachable,
    RecordDelivery,
    SetPracticePreference,
)
from bot.domain import (
    Booking,
    Cost,
    DeliveryChange,
    Member,
    OfferState,
    Outbound,
    Session,
    SessionStatus,
    check_words,
)
from bot.engine import Engine, Turn
from bot.errors import Refused
from bot.phones import national
from bot.ports import InboxItem
from flows.conversation import messages
from flows.conversation.messages import render
from flows.desk import alerts
from flows.money import signoff
from flows.people import roles
from flows.people.roles import member_by_phone
from flows.shifts import booking, offers
from flows.shifts.eligibility import checks_missing
from flows.shifts.lookup import session_and_practice

# A GP may stay late, but a session's delivered hours stay close to its length.
OVERRUN_HOURS = 2.0
# Free text that goes by SMS with a template around it must leave room in two segments.
MAX_REASON = 120
MAX_ANSWER = 200
STATUS_NAMES = 4  # who has not answered, by name, before "and N more"


def register(engine: Engine) -> None:
    engine.on_command(BookByHand, book_by_hand)
    engine.on_command(CancelSession, cancel_session)
    engine.on_command(BroadcastUrgent, broadcast_urgent)
    engine.on_command(RecordDelivery, record_delivery)
    engine.on_command(AnswerInbox, answer_inbox)
    engine.on_command(CloseInbox, close_inbox)
    engine.on_command(SetPracticePreference, set_practice_preference)
    engine.on_command(AddCost, add_cost)
    engine.on_command(DeskStatus, desk_status)
    engine.on_command(ListInbox, list_inbox)
    engine.on_command(ListUnreachable, list_unreachable)


def _plain_name(name: str) -> str:
    """A name as people say it: any case and spacing, with or without 'Dr'."""
    words = name.casefold().split()
    if words and words[0] in ("dr", "dr."):
        words = words[1:]
    return " ".join(words)


async def clinician_named(turn: Turn, who: str) -> Member:
    """A clinician given by phone number, or by name when exactly one has it (any case, with
    or without 'Dr'); several with that name are listed, with their phones, to choose from."""
    if not any(c.isalpha() for c in who):
        return await member_by_phone(turn, who)
    wanted = _plain_name(who)
    found = [
        m for m in await turn.uow.members.all_members() if m.is_clinician and _plain_name(m.name) == wanted
    ]
    if len(found) == 1:
        return found[0]
    if found:
        listed = "; ".join(f"{m.name}, {national(m.phone)}" for m in found)
        raise Refused(
            f"{len(found)} people in the pool are called {who.strip()}: {listed}. Give the phone number "
            "of the one you mean.",
            field="phone",
        )
    raise Refused(
        f"No one in the pool who takes sessions is called {who.strip()}: give their name as the pool "
        "has it, or their phone number.",
        field="phone",
    )


async def book_by_hand(turn: Turn, command: BookByHand) -> Booking:
    turn.by = command.by
    by = await roles.actor(turn, command.by)
    roles.require_coordinator(by)
    session, practice = await session_and_practice(turn, command.code)
    if command.phone_only:
        gp = await member_by_phone(turn, command.phone)
    else:
        gp = await clinician_named(turn, command.phone)
    if session.status != SessionStatus.OPEN:
        raise Refused(f"Session {session.code} is {session.status}, so it can't be booked.", field="session")
    before = len(turn.outbound)  # the GP hears first, then the others
    outcome = await booking.book(turn, session, practice, gp, None, via="by hand")
    if outcome == "checks":
        raise Refused(await _checks_not_valid(turn, gp, session), field="phone")
    if isinstance(outcome, str):
        raise Refused(_why_not(gp, outcome), field="phone")
    if outcome is None:
        raise Refused(f"Session {session.code} has just been filled.", field="session")
    booked, first_time = outcome
    told = [render("booked_by_pool", session=session, practice=practice, code=booked.code)]
    if first_time and practice.info_pack:
        told.append(render("info_pack", practice=practice))
    for offset, text in enumerate(told):
        kind = "booked" if offset == 0 else "info_pack"
        turn.outbound.insert(before + offset, Outbound(text=text, member_id=gp.id, kind=kind))
    return booked


async def _checks_not_valid(turn: Turn, gp: Member, session: Session) -> str:
    """Which checks stop the booking: lapsed by the session's date, or never recorded."""
    day = london_date(session.starts_at)
    held = await turn.uow.members.checks_of(gp.id)
    profession = turn.policy.professions[gp.profession]
    problems = []
    for check in checks_missing(held, day, profession):
        lapsed = [(k, held[k]) for k in check.split("|") if held.get(k) is not None]
        if lapsed:
            kind, expires = max(lapsed, key=lambda found: found[1])
            problems.append(f"{check_words(kind)} lapsed {messages.day(expires)}")
        else:
            problems.append(f"no {check_words(check)} on record")
    return f"{gp.name} can't be booked for {messages.day(day)}: {'; '.join(problems)}."


def _why_not(gp: Member, reason: str) -> str:
    return {
        "overlap": f"{gp.name} is already booked for a session at that time.",
        "cap": f"{gp.name} has reached their limit of {gp.max_sessions_per_week} sessions that week.",
        "paused": f"{gp.name} is paused until {gp.paused_until}.",
        "left": f"{gp.name} left the pool on {gp.left_on}.",
        "started": "That session has already started.",
        "blocked": f"The practice has asked not to be offered {gp.name}.",
        "not_clinician": f"{gp.name} is not set up to take sessions in the pool.",
        "profession": f"{gp.name} is not one of the professions this session is for.",
    }.get(reason, f"{gp.name} can't be booked ({reason}).")


async def cancel_session(turn: Turn, command: CancelSession) -> Session:
    turn.by = command.by
    by = await roles.actor(turn, command.by)
    session, practice = await session_and_practice(turn, command.code)
    roles.require_manages(by, session.practice)
    if session.starts_at <= turn.now:
        raise Refused(
            f"Session {session.code} has already started, so it can't be cancelled.", field="session"
        )
    if len(command.reason) > MAX_REASON:
        raise Refused(f"Keep the reason to {MAX_REASON} characters: it goes by text.", field="reason")
    uow = turn.uow
    held = await uow.bookings.live_booking(session.id)
    cancelled = await uow.sessions.set_session_status(
        session.id, SessionStatus.CANCELLED, expect=SessionStatus.OPEN, now=turn.now
    ) or await uow.sessions.set_session_status(
        session.id, SessionStatus.CANCELLED, expect=SessionStatus.FILLED, now=turn.now
    )
    if not cancelled:
        raise Refused(
            f"Session {session.code} is {session.status}, so it can't be cancelled.", field="session"
        )
    await uow.timers.cancel_timers(offers.WAVE_TIMER, str(session.id))
    await uow.timers.cancel_timers(offers.START_TIMER, str(session.id))
    await booking.withdraw_others(turn, session, practice, "offer_cancelled")
    if held is not None:
        await uow.bookings.end_booking(held.id, "cancelled", turn.now)
        turn.say(
            Outbound(
                text=render("booking_cancelled", session=session, practice=practice, reason=command.reason),
                member_id=held.member_id,
                kind="booking_cancelled",
            )
        )
    text = render("practice_cancelled", session=session, practice=practice, by=by)
    booked = await uow.members.member(held.member_id) if held is not None else None
    await alerts.tell_followers(turn, session, practice, text, "cancelled", member=booked)
    await turn.audit("session_cancelled", f"session:{session.id}", None, had_booking=held is not None)
    updated = await uow.sessions.session(session.id)
    assert updated is not None
    return updated


async def broadcast_urgent(turn: Turn, command: BroadcastUrgent) -> int:
    """Re-broadcast an open session as urgent: everyone eligible who does not hold it yet."""
    turn.by = command.by
    by = await roles.actor(turn, command.by)
    session, practice = await session_and_practice(turn, command.code)
    roles.require_manages(by, session.practice)
    if session.status != SessionStatus.OPEN or session.starts_at <= turn.now:
        raise Refused(
            f"Session {session.code} is not open, so there is nothing to broadcast.", field="session"
        )
    await turn.uow.sessions.make_urgent(session.id)
    await turn.uow.timers.cancel_timers(offers.WAVE_TIMER, str(session.id))
    urgent = await turn.uow.sessions.session(session.id)
    assert urgent is not None
    waves = [o.wave for o in await turn.uow.offers.offers_for_session(session.id) if o.round == session.round]
    sent = await offers.send_wave(turn, urgent, practice, wave=max(waves, default=0) + 1)
    await turn.audit("session_made_urgent", f"session:{session.id}", None, offered=sent)
    return sent


async def record_delivery(turn: Turn, command: RecordDelivery) -> Session:
    turn.by = command.by
    by = await roles.actor(turn, command.by)
    session, _ = await session_and_practice(turn, command.code)
    roles.require_manages(by, session.practice)
    longest = session.hours + OVERRUN_HOURS
    if not 0 < command.hours <= longest:
        raise Refused(
            f"Hours worked must be more than 0 and at most {longest:g} for this session.", field="hours"
        )
    if session.ends_at > turn.now:
        raise Refused(f"Session {session.code} has not ended yet.", field="session")
    if not await turn.uow.sessions.record_delivery(session.id, command.hours, turn.now):
        raise Refused(
            f"Session {session.code} is {session.status}: only a filled session is delivered.",
            field="session",
        )
    await turn.uow.prompts.close_prompts_about("hours", session.id, turn.now)  # nobody asks the GP now
    await turn.audit("session_delivered", f"session:{session.id}", None, hours=command.hours)
    # A manager of the practice recording the hours has signed them off; a coordinator's (or
    # the admin's) record of what the clinician said goes to the practice to agree.
    practice_said = by is not None and not by.is_coordinator and roles.manages(by, session.practice)
    await signoff.hours_reported(turn, session, command.hours, "practice" if practice_said else "coordinator")
    updated = await turn.uow.sessions.session(session.id)
    assert updated is not None
    return updated


async def answer_inbox(turn: Turn, command: AnswerInbox) -> None:
    """Answer a message the bot did not understand, through the bot, on the channel it came
    from; the item is then done."""
    turn.by = command.by
    by = await roles.actor(turn, command.by)
    roles.require_coordinator(by)
    text = command.text.strip()
    if not text:
        raise Refused("The answer is empty.", field="text")
    if len(text) > MAX_ANSWER:
        raise Refused(f"Keep the answer to {MAX_ANSWER} characters: it may go by text.", field="text")
    item = await turn.uow.inbox.inbox_item(command.item_id)
    if item is None or item.state != "open":
        raise Refused(f"No open inbox message {command.item_id}.", field="item")
    turn.say(
        Outbound(
            text=render(
                "inbox_answer", text=text, by=by.name if by else None, pool_name=turn.policy.pool_name
            ),
            member_id=item.member.id if item.member else None,
            channel=item.channel,
            address=item.address,
            kind="inbox_answer",
        )
    )
    await turn.uow.inbox.close_inbox_item(item.id, command.by, turn.now)
    await turn.audit("inbox_answered", f"inbox:{item.id}", None)


async def close_inbox(turn: Turn, command: CloseInbox) -> None:
    """Mark an inbox message done. One already done (answered, or marked done by someone
    else) stays as it is, and that is no error: what was asked for is so."""
    turn.by = command.by
    roles.require_coordinator(await roles.actor(turn, command.by))
    if not await turn.uow.inbox.close_inbox_item(command.item_id, command.by, turn.now):
        if await turn.uow.inbox.inbox_item(command.item_id) is None:
            raise Refused(f"No inbox message {command.item_id}.", field="item")
        return
    await turn.audit("inbox_done", f"inbox:{command.item_id}", None)


async def set_practice_preference(turn: Turn, command: SetPracticePreference) -> None:
    turn.by = command.by
    by = await roles.actor(turn, command.by)
    practice = await turn.uow.practices.practice(command.practice.strip().upper())
    if practice is None:
        raise Refused(f"No practice has the ODS code {command.practice}.", field="practice")
    roles.require_manages(by, practice.ods_code)
    if command.kind not in ("prefer", "block", None):
        raise Refused("A preference is prefer, block or none.", field="kind")
    gp = await member_by_phone(turn, command.phone)
    await turn.uow.practices.set_practice_preference(practice.ods_code, gp.id, command.kind)
    await turn.audit(
        "practice_preference",
        f"practice:{practice.ods_code}",
        None,
        member=gp.id,
        kind=command.kind or "none",
    )
    if command.kind == "block":
        # Never offered: the offers they hold for this practice close, and their waves move on.
        closed = []
        for offer, session, held_at in await turn.uow.offers.open_offers(gp.id):
            if held_at.ods_code == practice.ods_code:
                await turn.uow.offers.answer_offer(offer.id, OfferState.WITHDRAWN, None, turn.now)
                closed.append(session.id)
        await offers.after_offers_closed(turn, closed)


async def add_cost(turn: Turn, command: AddCost) -> Cost:
    turn.by = command.by
    roles.require_coordinator(await roles.actor(turn, command.by))
    if command.amount_pence <= 0:
        raise Refused("A cost must be more than £0.", field="amount")
    if not command.what.strip():
        raise Refused("Say what the cost was for.", field="what")
    cost = await turn.uow.money.add_cost(command.day, command.amount_pence, command.what.strip(), turn.now)
    await turn.audit("cost_added", f"cost:{cost.id}", None, pence=command.amount_pence)
    return cost


async def desk_status(turn: Turn, command: DeskStatus) -> str:
    """Sessions from today for ``days`` days: fill state and who has not answered. A
    practice manager sees their own practices'."""
    turn.by = command.by
    by = await roles.actor(turn, command.by)
    if not roles.is_coordinator(by) and not (by and roles.managed_practices(by)):
        roles.require_coordinator(by)
    today = london_date(turn.now)
    start = datetime(today.year, today.month, today.day, tzinfo=LONDON)
    found = await turn.uow.sessions.sessions_between(start, start + timedelta(days=command.days))
    booked = {
        s.id: m
        for _, s, m in await turn.uow.bookings.bookings_between(start, start + timedelta(days=command.days))
    }
    places = {p.ods_code: p for p in await turn.uow.practices.all()}
    rows = []
    for session in found:
        if not roles.manages(by, session.practice) or session.status == SessionStatus.CANCELLED:
            continue
        tally = await turn.uow.offers.offer_tally(session, named=STATUS_NAMES)
        rows.append(
            {
                "session": session,
                "practice": places[session.practice],
                "booked": booked.get(session.id),
                "tally": tally,
            }
        )
    return render("desk_status", rows=rows, days=command.days)


async def list_inbox(turn: Turn, command: ListInbox) -> list[InboxItem]:
    turn.by = command.by
    roles.require_coordinator(await roles.actor(turn, command.by))
    return await turn.uow.inbox.items("open")


async def list_unreachable(
    turn: Turn, command: ListUnreachable
) -> list[tuple[DeliveryChange, Member | None, datetime]]:
    turn.by = command.by
    roles.require_coordinator(await roles.actor(turn, command.by))
    return await turn.uow.outbox.undelivered(turn.now - timedelta(days=command.days))
