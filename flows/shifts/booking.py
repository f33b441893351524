"""Answers to an offer: YES books the first valid acceptance, NO declines, a late YES may
still take a session that is open; DROP; the OFFERS and BOOKINGS lists.

Booking is one atomic check, inside the turn's transaction: the offer is the sender's own and
still open, the session still open (compare-and-set), and overlap, weekly cap, checks and
pause are re-checked; then the session is filled, the other open offers withdrawn, and
everyone told. A later acceptor hears, kindly, that it has gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.domain import (
    Booking,
    Choice,
    Member,
    Offer,
    OfferState,
    Outbound,
    Practice,
    Question,
    Session,
    SessionStatus,
)
from bot.engine import Engine, Turn
from flows.conversation import codes, lists, messages
from flows.conversation.messages import render
from flows.desk import alerts
from flows.shifts import batches, eligibility, escalation, reminders
from flows.shifts.offers import (
    WAVE_TIMER,
    after_offers_closed,
    answer_choices,
    send_wave,
    session_details,
    who_for,
)


def register(engine: Engine) -> None:
    lists.register("offers", offers_listing)
    lists.register("bookings", bookings_listing)


async def answer(turn: Turn, question: Question, value: str) -> None:
    """A yes or no to one of the member's open offers."""
    offer = await turn.uow.offers.offer(question.ref_id)
    assert offer is not None and turn.member is not None and offer.member_id == turn.member.id
    if value == "yes":
        await accept(turn, offer)
    else:
        await decline(turn, offer)


async def _context(turn: Turn, offer: Offer) -> tuple[Session, Practice]:
    session = await turn.uow.sessions.session(offer.session_id)
    assert session is not None
    practice = await turn.uow.practices.practice(session.practice)
    assert practice is not None
    return session, practice


async def accept(turn: Turn, offer: Offer) -> None:
    member = turn.member
    assert member is not None
    session, practice = await _context(turn, offer)
    before = len(turn.outbound)  # the GP's own answer goes ahead of the notices to others
    outcome = await book(
        turn, session, practice, member, offer, via=turn.inbound.channel if turn.inbound else "api"
    )
    if isinstance(outcome, str):
        turn.reply(
            render(
                "cannot_book",
                session=session,
                practice=practice,
                reason=outcome,
                cap=member.max_sessions_per_week,
                paused_until=member.paused_until,
                wanted=turn.policy.professions.words(session.professions, plural=True),
            ),
            kind="cannot_book",
            topic=f"offer:{offer.id}",
        )
        return
    # A batched offer's answer is a message of its own; the batch message is edited to show it.
    in_place = turn.pressed and offer.batch is None
    if outcome is None:
        await turn.uow.offers.answer_offer(offer.id, OfferState.WITHDRAWN, "yes", turn.now)
        turn.reply(
            render("already_filled", session=session, practice=practice),
            kind="already_filled",
            topic=f"offer:{offer.id}",
            supersedes=in_place,
        )
    else:
        booking, first_time = outcome
        turn.reply(
            render("booked", session=session, practice=practice, code=booking.code),
            at=before,
            kind="booked",
            topic=f"offer:{offer.id}",
            supersedes=in_place,
            details=session_details(session, practice, address=True),
        )
        if first_time and practice.info_pack:
            turn.reply(render("info_pack", practice=practice), at=before + 1, kind="info_pack")
    refreshed = await turn.uow.offers.offer(offer.id)
    if refreshed is not None:
        await batches.refresh(turn, refreshed)


async def book(
    turn: Turn, session: Session, practice: Practice, member: Member, offer: Offer | None, via: str
) -> tuple[Booking, bool] | str | None:
    """The atomic booking, for a GP's acceptance and a coordinator's booking by hand alike.

    Returns (the booking, first time at this practice), or the reason this GP cannot book
    (checks, overlap, weekly cap, pause, started, blocked), or None when the session is no
    longer open. Everything happens in the turn's transaction: the session is filled by
    compare-and-set, the other offers withdrawn, the practice and the poster told."""
    uow = turn.uow
    # One booking of a GP's at a time, across workers: two of their overlapping offers accepted
    # at once on two workers each withdraw the other's offer, and without this turn-taking
    # PostgreSQL could only break that deadlock after deadlock_timeout (a second's stall).
    await uow.lock(f"member:{member.id}")
    facts = await uow.eligibility.gp_facts(session, turn.now, [member.id])
    mine = facts[0] if facts else None
    blocker = eligibility.booking_blocker(mine, session, turn.now, turn.policy.professions)
    if mine is None and member.is_clinician:
        blocker = "profession"  # not among the clinicians of the professions it is for
    if blocker is None and mine is not None and mine.practice_preference == "block":
        blocker = "blocked"
    if blocker is not None:
        await turn.audit("booking_refused", f"session:{session.id}", reason=blocker)
        return blocker
    if not await uow.sessions.set_session_status(
        session.id, SessionStatus.FILLED, expect=SessionStatus.OPEN, now=turn.now
    ):
        return None
    if offer is None:  # booked by hand: their own open offer, if they hold one, is the one taken
        offer = next(
            (
                o
                for o in await uow.offers.offers_for_session(session.id)
                if o.member_id == member.id and o.state == OfferState.OPEN
            ),
            None,
        )
    if offer is not None:
        await uow.offers.answer_offer(offer.id, OfferState.ACCEPTED, "yes", turn.now)
        code = offer.code
    else:
        code = await codes.fresh_code(turn, member.id)
    booking = await uow.bookings.add_booking(
        session_id=session.id,
        member_id=member.id,
        offer_id=offer.id if offer else None,
        code=code,
        via=via,
        now=turn.now,
    )
    await reminders.schedule(turn, session, booking)
    await uow.timers.cancel_timers(WAVE_TIMER, str(session.id))
    await withdraw_others(turn, session, practice, "filled_elsewhere")
    await withdraw_clashes(turn, member, session)
    text = render(
        "practice_booked",
        gp=member,
        session=session,
        practice=practice,
        title=turn.policy.professions[member.profession].title(member.level),
        registered=turn.policy.professions[member.profession].registration(member.registration_number),
    )
    await alerts.tell_followers(turn, session, practice, text, "booked", member=member)
    await turn.audit("session_booked", f"session:{session.id}", member=member.id, via=via)
    return booking, mine is not None and not mine.worked_at_practice


async def withdraw_others(turn: Turn, session: Session, practice: Practice, template: str) -> None:
    """Close the session's other open offers and tell their holders where it costs nothing
    (chat channels, the sandbox) or where the pool pays for it (SMS, when turned on)."""
    withdrawn = await turn.uow.offers.withdraw_open_offers(session.id, turn.now)
    text = render(template, session=session, practice=practice)
    for offer, address in withdrawn:
        if offer.notified_at is None:
            continue  # still waiting for its batch: they never knew of it
        if offer.batch is not None:
            await batches.refresh(turn, offer)  # the batch message shows it gone
            continue
        if offer.channel is None or address is None:
            continue
        if offer.channel == "sms" and not turn.policy.filled_sms:
            continue
        turn.say(
            Outbound(
                text=text,
                member_id=offer.member_id,
                channel=offer.channel,
                address=address,
                kind="offer_withdrawn",
                variables=(
                    ("template", "filled" if template == "filled_elsewhere" else "withdrawn"),
                    ("practice", practice.name),
                    ("date and time", messages.when(session)),
                ),
                topic=f"offer:{offer.id}",
                supersedes=True,
            )
        )


async def withdraw_clashes(turn: Turn, member: Member, booked: Session) -> None:
    """Someone just booked cannot take another session at the same time: their other open
    offers that overlap it close (those told and those waiting for their batch), so OFFERS no
    longer lists them and those sessions' waves move on."""
    held = [*await turn.uow.offers.open_offers(member.id), *await turn.uow.offers.offers_to_tell(member.id)]
    closed = []
    for offer, other, _ in held:
        overlaps = other.starts_at < booked.ends_at and booked.starts_at < other.ends_at
        if other.id == booked.id or not overlaps:
            continue
        if await turn.uow.offers.answer_offer(offer.id, OfferState.WITHDRAWN, None, turn.now):
            closed.append(other.id)
            withdrawn = await turn.uow.offers.offer(offer.id)
            if withdrawn is not None:
                await batches.refresh(turn, withdrawn)  # a chat batch shows it gone
    if closed:
        await turn.audit("offers_withdrawn_clash", f"member:{member.id}", sessions=sorted(closed))
        await after_offers_closed(turn, closed)


async def decline(turn: Turn, offer: Offer) -> None:
    session, practice = await _context(turn, offer)
    await turn.uow.offers.answer_offer(offer.id, OfferState.DECLINED, "no", turn.now)
    turn.reply(
        render("declined", session=session, practice=practice),
        kind="declined",
        topic=f"offer:{offer.id}",
        supersedes=turn.pressed and offer.batch is None,
    )
    await batches.refresh(turn, offer)
    await turn.audit("offer_declined", f"session:{session.id}", offer=offer.id)
    await after_offers_closed(turn, [session.id])


async def late_answer(turn: Turn, offer: Offer, value: str, named: bool) -> None:
    """A yes or no to an offer that is no longer open: say what happened to it. ``named``: the
    reply gave the offer's code (a bare "yes" never reopens an offer they turned down)."""
    session, practice = await _context(turn, offer)
    context = {"session": session, "practice": practice, "code": offer.code}
    # A button pressed on a stale offer: the answer replaces it, so its buttons go.
    in_place = {"topic": f"offer:{offer.id}", "supersedes": turn.pressed}
    if offer.state == OfferState.ACCEPTED:
        booking = await turn.uow.bookings.live_booking(session.id)
        if booking is not None and booking.member_id == offer.member_id:
            # Not in place: the booked message keeps the address and details.
            turn.reply(render("already_booked", **context), kind="already_booked")
            return
    if offer.state == OfferState.DECLINED:
        still_open = (
            session.status == SessionStatus.OPEN
            and offer.round == session.round
            and session.starts_at > turn.now
        )
        # A change of mind, by code, while the session is still open: let them have it.
        if value == "yes" and named and still_open and await turn.uow.offers.reopen_declined_offer(offer.id):
            reopened = await turn.uow.offers.offer(offer.id)
            assert reopened is not None
            await accept(turn, reopened)
            return
        turn.reply(
            render("already_declined", still_open=still_open and value == "yes", **context),
            kind="already_declined",
            **in_place,
        )
        return
    if offer.state == OfferState.WITHDRAWN and value == "yes" and await _clashes(turn, offer, session):
        # Withdrawn when they booked another session at that time: say so, not "closed".
        turn.reply(
            render("cannot_book", session=session, practice=practice, reason="overlap", cap=None,
                   paused_until=None, wanted=""),
            kind="cannot_book",
            **in_place,
        )  # fmt: skip
        return
    # A lapsed offer is not a no: while the session is open, a yes takes it, through the same
    # checks as any acceptance.
    lapsed = offer.state == OfferState.EXPIRED and value == "yes"
    if (
        lapsed
        and await _still_takeable(turn, offer, session)
        and await turn.uow.offers.reopen_offer(offer.id, "expired")
    ):
        reopened = await turn.uow.offers.offer(offer.id)
        assert reopened is not None
        await turn.audit("lapsed_offer_taken", f"session:{session.id}", member=offer.member_id)
        await accept(turn, reopened)
        return
    if session.status == SessionStatus.CANCELLED:
        turn.reply(render("session_cancelled", **context), kind="session_cancelled", **in_place)
    elif session.status == SessionStatus.OPEN and offer.round != session.round:
        turn.reply(render("offer_replaced", **context), kind="offer_replaced", **in_place)
    elif session.status in (SessionStatus.OPEN, SessionStatus.EXPIRED) or (
        offer.state == OfferState.EXPIRED and session.status != SessionStatus.FILLED
    ):
        turn.reply(render("offer_expired", **context), kind="offer_expired", **in_place)
    else:
        if value == "yes" and offer.answer is None:
            await turn.uow.offers.record_late_answer(offer.id, "yes", turn.now)
        turn.reply(render("already_filled", **context), kind="already_filled", **in_place)


async def _clashes(turn: Turn, offer: Offer, session: Session) -> bool:
    """The offer's session is still open and this round's, and its holder is booked for
    another session at the same time."""
    if session.status != SessionStatus.OPEN or offer.round != session.round:
        return False
    facts = await turn.uow.eligibility.gp_facts(session, turn.now, [offer.member_id])
    return bool(facts) and eligibility.overlaps(facts[0], session)


async def _still_takeable(turn: Turn, offer: Offer, session: Session) -> bool:
    """The session its offer was for is open and still this round, and not yet closing:
    routine sessions at their start, urgent ones when their offers close."""
    closes = session.starts_at - (turn.policy.urgent_close if session.urgent else timedelta(0))
    return session.status == SessionStatus.OPEN and offer.round == session.round and turn.now < closes


# -- giving a booking up ----------------------------------------------------------------------


async def drop(turn: Turn, code: str | None) -> None:
    uow, member = turn.uow, turn.member
    assert member is not None
    upcoming = await uow.bookings.upcoming_bookings(member.id, turn.now)
    if code is None:
        turn.reply(render("drop_which", bookings=upcoming), kind="drop_which")
        return
    booking = next((b for b, _, _ in upcoming if b.code == code), None)
    if booking is None:
        turn.reply(render("drop_unknown", code=code), kind="drop_unknown")
        return
    session = await uow.sessions.session(booking.session_id)
    assert session is not None
    practice = await uow.practices.practice(session.practice)
    assert practice is not None
    if session.starts_at <= turn.now:
        contact = await escalation.who_to_call(turn, practice)
        turn.reply(
            render("drop_too_late", session=session, practice=practice, contact=contact), kind="drop_too_late"
        )
        return
    await uow.bookings.end_booking(booking.id, "dropped", turn.now)
    reopened_ok = await uow.sessions.set_session_status(
        session.id, SessionStatus.OPEN, expect=SessionStatus.FILLED, now=turn.now
    )
    if not reopened_ok:  # not filled any more (cancelled, delivered): nothing to offer again
        turn.reply(
            render("dropped", session=session, practice=practice, **who_for(turn, session)), kind="dropped"
        )
        await turn.audit("booking_dropped", f"session:{session.id}", member=member.id)
        return
    await uow.sessions.start_new_round(session.id)
    reopened = await uow.sessions.session(session.id)
    assert reopened is not None
    turn.reply(
        render("dropped", session=reopened, practice=practice, **who_for(turn, reopened)), kind="dropped"
    )
    await turn.audit("booking_dropped", f"session:{session.id}", member=member.id)
    text = render("poster_dropped", gp=member, session=reopened, practice=practice)
    await alerts.tell_followers(
        turn, reopened, practice, text, "dropped", member=member, at_once=alerts.soon(turn, reopened)
    )
    await send_wave(turn, reopened, practice, wave=1)


# -- lists ------------------------------------------------------------------------------------


async def list_offers(turn: Turn) -> None:
    await lists.show(turn, await offers_listing(turn))


async def offers_listing(turn: Turn) -> lists.Listing:
    assert turn.member is not None
    offers = await turn.uow.offers.open_offers(turn.member.id)
    return lists.Listing(
        "offers",
        header="Your open offers:",
        lines=[render("list_line", code=o.code, session=s, practice=p) for o, s, p in offers],
        footer="Reply YES or NO with the code.",
        empty=render("offers_list"),
        choices=[answer_choices(o.code, group=line_label(s, p)) for o, s, p in offers],
    )


async def list_bookings(turn: Turn) -> None:
    await lists.show(turn, await bookings_listing(turn))


async def bookings_listing(turn: Turn) -> lists.Listing:
    assert turn.member is not None
    bookings = await turn.uow.bookings.upcoming_bookings(turn.member.id, turn.now)
    return lists.Listing(
        "bookings",
        header="Your bookings:",
        lines=[render("list_line", code=b.code, session=s, practice=p) for b, s, p in bookings],
        empty=render("bookings_list"),
    )


def line_label(session: Session, practice: Practice) -> str:
    """What a row of buttons is about, on a chat app: 'Tue 1 Dec 08:30 Riverside Surgery'."""
    return render("list_line", code="", session=session, practice=practice).strip()


async def clarify(turn: Turn, reason: str, only: Sequence[str] | None = None) -> bool:
    """Ask which offer, or whether it is a yes, changing nothing. False if nothing is open."""
    assert turn.member is not None
    offers = await turn.uow.offers.open_offers(turn.member.id)
    if only is not None:
        offers = [o for o in offers if o[0].code in only] or offers
    if not offers:
        return False
    choices: tuple[Choice, ...] = answer_choices(offers[0][0].code) if len(offers) == 1 else ()
    turn.reply(render("clarify", offers=offers, reason=reason), choices=choices, kind="clarify")
    return True
