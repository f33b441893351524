"""Shift offers: post a session, offer it in waves, book the first valid acceptance, DROP.

Booking is one atomic check, inside the turn's transaction: the offer is the sender's own and
still open, the session still open (compare-and-set), and overlap, weekly cap, checks and
pause are re-checked; then the session is filled, the other open offers withdrawn, and
everyone told. A later acceptor hears, kindly, that it has gone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot.calendar import quiet_until
from bot.commands import PostSession, PracticesToPost
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
from bot.engine import Engine, Turn, quiet_hold
from bot.errors import Refused
from bot.ports import TimerRow
from bot.reach import reach
from flows.conversation import codes, lists, messages
from flows.conversation.messages import render
from flows.desk import alerts
from flows.people import roles
from flows.shifts import batches, eligibility, escalation, reminders

CHAT_CHANNELS = ("slack", "telegram")
WAVE_TIMER = "offer_wave"
START_TIMER = "session_start"
EXPIRY_TIMER = "offer_expiry"
SESSION_CODE_LETTERS = "BCDFGHJKLMNPQRSTVWXZ"  # no vowels: codes never spell words
MAX_SESSION_HOURS = 14
MAX_NOTES = 100  # an offer, notes and all, fits two SMS segments
# A bare YES or NO with nothing open is read against the offer they last had, this recently.
LATE_ANSWER_WINDOW = timedelta(hours=24)
# A code is not given to the same member again this soon, so a late "YES 4821" meant for an
# old offer can never book a new one.


def register(engine: Engine) -> None:
    engine.on_command(PostSession, post_session)
    engine.on_timer(WAVE_TIMER, on_wave_timer)
    engine.on_timer(START_TIMER, on_session_start)
    engine.on_timer(EXPIRY_TIMER, on_offers_expiry)
    engine.on_command(PracticesToPost, practices_to_post)
    lists.register("offers", offers_listing)
    lists.register("bookings", bookings_listing)


# -- posting and waves ------------------------------------------------------------------------


async def post_session(turn: Turn, command: PostSession) -> Session:
    uow = turn.uow
    turn.by = command.posted_by
    poster = await roles.actor(turn, command.posted_by)
    practice = await uow.practices.practice(command.practice)
    if practice is None:
        raise Refused(f"No practice has the ODS code {command.practice}.", field="practice")
    roles.require_manages(poster, practice.ods_code)
    if command.ends_at <= command.starts_at:
        raise Refused("The session must end after it starts.", field="end")
    if command.starts_at <= turn.now:
        raise Refused("The session's start has already passed.", field="start")
    if (command.ends_at - command.starts_at).total_seconds() > MAX_SESSION_HOURS * 3600:
        raise Refused(f"A session can be at most {MAX_SESSION_HOURS} hours long.", field="end")
    wanted = professions_and_pay(turn, command.professions, command.rate_pence)
    if len(command.notes) > MAX_NOTES:
        raise Refused(f"Keep notes to {MAX_NOTES} characters: they go by text.", field="notes")
    session = await uow.sessions.add_session(
        code=await _new_session_code(turn),
        practice=practice.ods_code,
        starts_at=command.starts_at,
        ends_at=command.ends_at,
        rate_pence=command.rate_pence,
        urgent=command.urgent,
        notes=command.notes,
        posted_by=command.posted_by,
        posted_via=command.via,
        now=turn.now,
        professions=wanted,
    )
    await turn.audit("session_posted", f"session:{session.id}", command.via, urgent=session.urgent)
    await turn.uow.timers.add_timer(START_TIMER, str(session.id), session.starts_at, {}, turn.now)
    await escalation.plan(turn, session, poster)
    offered = await send_wave(turn, session, practice, wave=1)
    session = replace(session, offers_from=await _offers_from(turn, session) if offered else None)
    address = poster.address_on(command.via) if poster else None
    if address and command.via in CHAT_CHANNELS:
        # Posted from a chat app: the poster sees it went (the API and CLI answer directly).
        text = render(
            "session_posted",
            session=session,
            practice=practice,
            offered=offered,
            **messages.who(turn.policy.professions, session),
        )
        if session.offers_from is not None:
            text += "\n" + render("offers_held", until=session.offers_from)
        turn.say(
            Outbound(
                text=text,
                member_id=poster.id if poster else None,
                channel=command.via,
                address=address,
                kind="poster_update",
                topic=f"session:{session.id}",
            )
        )
    return session


async def _offers_from(turn: Turn, session: Session) -> datetime | None:
    """When a new session's first offers start reaching people, if quiet hours (the pool's, or
    a GP's own) hold every one of them; None when some go now. The engine holds each message
    by the same rule (bot.engine.quiet_hold); routine offers first wait for their batch."""
    made = await turn.uow.offers.offers_for_session(session.id)
    settings = await turn.uow.members.quiet_preferences({o.member_id for o in made})
    moment = turn.now + (timedelta(0) if session.urgent else turn.policy.offer_batch)
    held = []
    for offer in made:
        own_hours, urgent_at_night = settings.get(offer.member_id, (None, False))
        until = quiet_hold(turn.policy, own_hours, urgent_at_night, "offer", session.urgent, moment)
        if until is None:
            return None
        held.append(until)
    return min(held, default=None)


def professions_and_pay(turn: Turn, professions: Sequence[str], rate_pence: int) -> tuple[str, ...]:
    """Who a session is for (default GPs), refused unless each is a profession here and the
    rate is within every one of their pay ranges (the reason names the range)."""
    wanted = tuple(dict.fromkeys(professions)) or ("gp",)
    known = turn.policy.professions
    unknown = [p for p in wanted if p not in known]
    if unknown:
        raise Refused(
            f"{', '.join(unknown)} is not a profession here (one of {', '.join(known.keys)}).",
            field="professions",
        )
    low = max(known[p].pay[0] for p in wanted)
    high = min(known[p].pay[1] for p in wanted)
    if not low <= rate_pence <= high:
        who = known.words(wanted)
        raise Refused(
            f"A {who} session pays {messages.money(low)} to {messages.money(high)} here: "
            f"{messages.money(rate_pence)} is outside that.",
            field="rate",
        )
    return wanted


async def practices_to_post(turn: Turn, command: PracticesToPost) -> list[Practice]:
    poster = await roles.actor(turn, command.by)
    practices = [p for p in await turn.uow.practices.all() if roles.manages(poster, p.ods_code)]
    if not practices:
        raise Refused(
            "Sorry, only the pool's coordinators and practice managers can post sessions.", field="role"
        )
    return practices


async def on_offers_expiry(turn: Turn, timer: TimerRow) -> None:
    """A wave's offers close after their time (urgent ones shortly before the start): nobody is
    told anything new, but they no longer book; the next wave may go."""
    session = await turn.uow.sessions.session(int(timer.subject))
    if session is None or session.status != SessionStatus.OPEN or session.round != timer.payload.get("round"):
        return
    # Only the offers this timer was written for (made up to then): a late offer to someone
    # who has just become eligible keeps its own full time.
    made = datetime.fromisoformat(timer.payload["made"]) if "made" in timer.payload else turn.now
    expired = await turn.uow.offers.expire_offers(
        session.id, session.round, timer.payload.get("wave"), made, turn.now
    )
    if expired:
        await turn.audit("offers_expired", f"session:{session.id}", None, count=expired)
        await after_offers_closed(turn, [session.id], expired=True)


async def _new_session_code(turn: Turn) -> str:
    while True:
        code = "".join(turn.rng.choice(SESSION_CODE_LETTERS) for _ in range(4))
        if not await turn.uow.sessions.session_code_taken(code):
            return code


async def send_wave(
    turn: Turn, session: Session, practice: Practice, wave: int, announce_empty: bool = True
) -> int:
    """Offer the session to the next wave (urgent: everyone eligible at once); how many."""
    if session.starts_at <= turn.now:
        return 0  # too late to offer; the start timer closes it
    if session.urgent and session.starts_at - turn.policy.urgent_close <= turn.now:
        return 0  # urgent offers have closed: too close to the start
    facts = await turn.uow.eligibility.gp_facts(session, turn.now)
    ranked = eligibility.next_wave(
        facts, session, practice, turn.now, turn.channels_on, turn.policy.professions
    )
    chosen = ranked if session.urgent else ranked[: turn.policy.wave_size]
    await _offer_to(turn, session, practice, wave, [f.member for f in chosen])
    if len(ranked) > len(chosen):
        await turn.uow.timers.add_timer(
            WAVE_TIMER,
            str(session.id),
            readable_from(turn) + turn.policy.wave_wait,
            {"round": session.round, "wave": wave + 1},
            turn.now,
        )
    elif not chosen and wave == 1:
        text = render("poster_nobody", session=session, practice=practice, **_who(turn, session))
        urgent = alerts.soon(turn, session)
        await alerts.tell_followers(turn, session, practice, text, "nobody", at_once=urgent)
    elif not chosen and announce_empty and not await _open_offers_in_round(turn, session):
        text = render("poster_all_declined", session=session, practice=practice, **_who(turn, session))
        await alerts.tell_followers(
            turn, session, practice, text, "declined", at_once=alerts.soon(turn, session)
        )
    return len(chosen)


def _who(turn: Turn, session: Session) -> dict[str, str]:
    return messages.who(turn.policy.professions, session)


async def _offer_to(
    turn: Turn, session: Session, practice: Practice, wave: int, members: Sequence[Member]
) -> None:
    if not members:
        return
    taken = await codes.codes_taken(turn, (m.id for m in members))
    rows = []
    for member in members:
        found = reach(member, turn.channels_on)
        code = codes.new_code(turn, taken.get(member.id, set()))
        rows.append((member.id, code, found[0] if found else None))
    # Routine offers wait a little to go with any others made for the same person soon after
    # (one text for several); urgent ones go at once.
    hold = not session.urgent and turn.policy.offer_batch > timedelta(0)
    offers = await turn.uow.offers.add_offers(session, wave, rows, turn.now, told=not hold)
    if session.urgent:
        closes = session.starts_at - turn.policy.urgent_close
    else:  # open for its time from when it can be read: after quiet hours, for one made at night
        closes = (
            readable_from(turn) + turn.policy.offer_open + (turn.policy.offer_batch if hold else timedelta(0))
        )
    if closes < session.starts_at:
        which = {"round": session.round, "wave": wave, "made": turn.now.isoformat()}
        await turn.uow.timers.add_timer(EXPIRY_TIMER, str(session.id), max(closes, turn.now), which, turn.now)
    if hold:
        await batches.hold(turn, [m.id for m in members])
    else:
        # One text for each profession among them, rendered once for the whole wave.
        profession_of = {m.id: m.profession for m in members}
        texts = {
            key: offer_text(session, practice, turn.policy.professions[key].word)
            for key in set(profession_of.values())
        }
        details = session_details(session, practice)
        for offer in offers:
            text = texts[profession_of[offer.member_id]]
            turn.say(offer_message(offer, session, practice, text=text, details=details))
    await turn.audit(
        "offers_sent", f"session:{session.id}", None, round=session.round, wave=wave, count=len(offers)
    )


def offer_text(session: Session, practice: Practice, word: str) -> str:
    return render("offer", session=session, practice=practice, word=word)


def offer_message(
    offer: Offer,
    session: Session,
    practice: Practice,
    word: str = "GP",
    text: str | None = None,
    details: tuple[tuple[str, str], ...] | None = None,
) -> Outbound:
    """One offer as its own message: "Practice nurse session at ...", with its facts and the
    answers to tap. A wave passes the ``text`` and ``details`` it rendered once for everyone."""
    return Outbound(
        text=text if text is not None else offer_text(session, practice, word),
        member_id=offer.member_id,
        details=details if details is not None else session_details(session, practice),
        choices=answer_choices(offer.code),
        topic=f"offer:{offer.id}",
        kind="offer",
        urgent=session.urgent,
    )


async def offer_open_sessions_to(
    turn: Turn, member: Member, where: Callable[[Session], bool] | None = None
) -> int:
    """Someone became eligible again (RESUME, START, a pause ending, AVAILABLE): open sessions
    they fit, and have not turned down, reach them now rather than waiting for a wave that
    may never come. ``where`` narrows the sessions. The number offered."""
    count = 0
    for session in await turn.uow.sessions.open_sessions(turn.now):
        if where is not None and not where(session):
            continue
        facts = await turn.uow.eligibility.gp_facts(session, turn.now, [member.id])
        practice = await turn.uow.practices.practice(session.practice)
        assert practice is not None
        if not eligibility.next_wave(
            facts, session, practice, turn.now, turn.channels_on, turn.policy.professions
        ):
            continue
        waves = [
            o.wave for o in await turn.uow.offers.offers_for_session(session.id) if o.round == session.round
        ]
        await _offer_to(turn, session, practice, max(waves, default=1), [member])
        count += 1
    return count


async def after_offers_closed(turn: Turn, session_ids: Iterable[int], expired: bool = False) -> None:
    """Offers were declined, withdrawn or ``expired``: a session nobody holds any more need not
    wait for its next wave's timer. (After an expiry nobody is told that everyone declined:
    they did not; the escalation plan alerts the poster.)"""
    for session_id in sorted(set(session_ids)):
        session = await turn.uow.sessions.session(session_id)
        if session is None or session.status != SessionStatus.OPEN or session.starts_at <= turn.now:
            continue
        if await _open_offers_in_round(turn, session):
            continue
        practice = await turn.uow.practices.practice(session.practice)
        assert practice is not None
        await turn.uow.timers.cancel_timers(WAVE_TIMER, str(session.id))
        waves = [
            o.wave for o in await turn.uow.offers.offers_for_session(session.id) if o.round == session.round
        ]
        await send_wave(turn, session, practice, wave=max(waves, default=0) + 1, announce_empty=not expired)


async def on_session_start(turn: Turn, timer: TimerRow) -> None:
    """A session whose start passes unfilled is expired: its offers close, the poster hears."""
    session = await turn.uow.sessions.session(int(timer.subject))
    if session is None or not await turn.uow.sessions.set_session_status(
        session.id, SessionStatus.EXPIRED, expect=SessionStatus.OPEN, now=turn.now
    ):
        return
    await turn.uow.offers.withdraw_open_offers(session.id, turn.now)
    await turn.uow.timers.cancel_timers(WAVE_TIMER, str(session.id))
    practice = await turn.uow.practices.practice(session.practice)
    assert practice is not None
    text = render("poster_expired", session=session, practice=practice, **_who(turn, session))
    await alerts.tell_followers(turn, session, practice, text, "unfilled", at_once=True)
    await turn.audit("session_expired", f"session:{session.id}", None)


def readable_from(turn: Turn) -> datetime:
    """When offers made now can be read: now, or the end of the pool's quiet hours."""
    return quiet_until(turn.now, turn.policy.quiet_start, turn.policy.quiet_end) or turn.now


def session_details(
    session: Session, practice: Practice, address: bool = False
) -> tuple[tuple[str, str], ...]:
    """The session's facts as a chat channel lays them out (the texts say them too)."""
    facts = [
        ("Practice", practice.name + (f", {practice.locality}" if practice.locality else "")),
        ("When", messages.when(session)),
        ("Rate", messages.money(session.rate_pence)),
    ]
    if address and practice.address:
        facts.append(("Address", practice.address))
    if practice.clinical_system:
        facts.append(("System", practice.clinical_system))
    if practice.phone:
        facts.append(("Phone", messages.national(practice.phone)))
    if session.notes:
        facts.append(("Notes", session.notes))
    return tuple(facts)


def answer_choices(code: str, group: str | None = None) -> tuple[Choice, ...]:
    """Accept and Decline; ``group``: the session they are about, when a message has several."""
    return (Choice("Accept", f"YES {code}", group), Choice("Decline", f"NO {code}", group))


async def on_wave_timer(turn: Turn, timer: TimerRow) -> None:
    session = await turn.uow.sessions.session(int(timer.subject))
    if session is None or session.status != SessionStatus.OPEN:
        return
    if session.round != timer.payload.get("round"):
        return  # a DROP started a new round with its own waves
    practice = await turn.uow.practices.practice(session.practice)
    assert practice is not None
    await send_wave(turn, session, practice, wave=int(timer.payload["wave"]))


async def _open_offers_in_round(turn: Turn, session: Session) -> list[Offer]:
    return [
        offer
        for offer in await turn.uow.offers.offers_for_session(session.id)
        if offer.state == OfferState.OPEN and offer.round == session.round
    ]


# -- answers ----------------------------------------------------------------------------------


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
            render("dropped", session=session, practice=practice, **_who(turn, session)), kind="dropped"
        )
        await turn.audit("booking_dropped", f"session:{session.id}", member=member.id)
        return
    await uow.sessions.start_new_round(session.id)
    reopened = await uow.sessions.session(session.id)
    assert reopened is not None
    turn.reply(render("dropped", session=reopened, practice=practice, **_who(turn, reopened)), kind="dropped")
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
