"""Shift offers: post a session and offer it in waves, each offer open for a while, the next
wave when nobody has taken it; what an offer says. Answers to an offer are in booking.py."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot.calendar import quiet_until, weeks_later
from bot.commands import PostSession, PracticesToPost
from bot.domain import (
    Choice,
    Member,
    Offer,
    OfferState,
    Outbound,
    Practice,
    Session,
    SessionStatus,
)
from bot.engine import Engine, Turn, quiet_hold
from bot.errors import Refused
from bot.ports import TimerRow
from bot.reach import reach
from flows.conversation import codes, messages
from flows.conversation.messages import render
from flows.desk import alerts
from flows.people import roles
from flows.shifts import batches, eligibility, escalation

CHAT_CHANNELS = ("slack", "telegram")
WAVE_TIMER = "offer_wave"
START_TIMER = "session_start"
EXPIRY_TIMER = "offer_expiry"
BROADCAST_TIMER = "offer_broadcast"
# An urgent broadcast is written this many clinicians at a time, each chunk its own transaction,
# so no unit of work holds the event loop for long: at 150 a chunk takes about 20 ms here
# (bench/broadcast.py), where 50,000 in one transaction held it for 6.5 s.
BROADCAST_CHUNK = 150
SESSION_CODE_LETTERS = "BCDFGHJKLMNPQRSTVWXZ"  # no vowels: codes never spell words
MAX_SESSION_HOURS = 14
MAX_NOTES = 100  # an offer, notes and all, fits two SMS segments
MAX_REPEAT_WEEKS = 52
# A bare YES or NO with nothing open is read against the offer they last had, this recently.
LATE_ANSWER_WINDOW = timedelta(hours=24)
# A code is not given to the same member again this soon, so a late "YES 4821" meant for an
# old offer can never book a new one.


def register(engine: Engine) -> None:
    engine.on_command(PostSession, post_session)
    engine.on_timer(WAVE_TIMER, on_wave_timer)
    engine.on_timer(START_TIMER, on_session_start)
    engine.on_timer(EXPIRY_TIMER, on_offers_expiry)
    engine.on_timer(BROADCAST_TIMER, on_broadcast_timer)
    engine.on_command(PracticesToPost, practices_to_post)


# -- posting and waves ------------------------------------------------------------------------


async def post_session(turn: Turn, command: PostSession) -> Session:
    """Post a session (``repeat_weeks``: the same session that many weeks running, each with
    every check; a refusal of any week posts none). Returns the first."""
    if not 1 <= command.repeat_weeks <= MAX_REPEAT_WEEKS:
        raise Refused(f"Repeat a session for 1 to {MAX_REPEAT_WEEKS} weeks.", field="repeat_weeks")
    first = await _post_one(turn, replace(command, repeat_weeks=1))
    for week in range(1, command.repeat_weeks):
        await _post_one(
            turn,
            replace(
                command,
                starts_at=weeks_later(command.starts_at, week),
                ends_at=weeks_later(command.ends_at, week),
                repeat_weeks=1,
            ),
        )
    return first


async def _post_one(turn: Turn, command: PostSession) -> Session:
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
    if session.urgent:
        return await _broadcast(turn, session, practice, wave, announce_empty)
    facts = await turn.uow.eligibility.gp_facts(session, turn.now)
    ranked = eligibility.next_wave(
        facts, session, practice, turn.now, turn.channels_on, turn.policy.professions
    )
    chosen = ranked[: turn.policy.wave_size]
    await _offer_to(turn, session, practice, wave, [f.member for f in chosen])
    await _after_wave(turn, session, practice, wave, bool(chosen), len(ranked) > len(chosen), announce_empty)
    return len(chosen)


async def _broadcast(
    turn: Turn,
    session: Session,
    practice: Practice,
    wave: int,
    announce_empty: bool,
    after: int = 0,
    offered_before: int = 0,
) -> int:
    """An urgent session goes to everyone eligible at once, written BROADCAST_CHUNK clinicians
    at a time. The next chunk is a timer due now, committed with this one: a crash between
    chunks resumes where it stopped, and a booking or cancellation in between stops the rest.
    The number offered in this chunk."""
    facts = await turn.uow.eligibility.gp_facts(session, turn.now, after=after, limit=BROADCAST_CHUNK)
    chosen = eligibility.next_wave(
        facts, session, practice, turn.now, turn.channels_on, turn.policy.professions
    )
    await _offer_to(turn, session, practice, wave, [f.member for f in chosen])
    offered = offered_before + len(chosen)
    if len(facts) == BROADCAST_CHUNK:  # there may be more clinicians after these
        payload = {
            "round": session.round,
            "wave": wave,
            "after": max(f.member.id for f in facts),
            "offered": offered,
            "announce_empty": announce_empty,
        }
        await turn.uow.timers.add_timer(BROADCAST_TIMER, str(session.id), turn.now, payload, turn.now)
    else:
        await _after_wave(turn, session, practice, wave, offered > 0, False, announce_empty)
    return len(chosen)


async def on_broadcast_timer(turn: Turn, timer: TimerRow) -> None:
    session = await turn.uow.sessions.session(int(timer.subject))
    if session is None or session.status != SessionStatus.OPEN or session.round != timer.payload.get("round"):
        return  # booked, cancelled or started again since: the rest of the broadcast is moot
    if session.starts_at - turn.policy.urgent_close <= turn.now:
        return
    practice = await turn.uow.practices.practice(session.practice)
    assert practice is not None
    await _broadcast(
        turn,
        session,
        practice,
        int(timer.payload["wave"]),
        bool(timer.payload.get("announce_empty", True)),
        after=int(timer.payload["after"]),
        offered_before=int(timer.payload.get("offered", 0)),
    )


async def _after_wave(
    turn: Turn,
    session: Session,
    practice: Practice,
    wave: int,
    any_offered: bool,
    more: bool,
    announce_empty: bool,
) -> None:
    """When a wave is out: the next wave's timer if more are eligible; otherwise, if nobody
    was offered, the poster hears that nobody can take it, or that everyone has declined."""
    if more:
        await turn.uow.timers.add_timer(
            WAVE_TIMER,
            str(session.id),
            readable_from(turn) + turn.policy.wave_wait,
            {"round": session.round, "wave": wave + 1},
            turn.now,
        )
    elif not any_offered and wave == 1:
        text = render("poster_nobody", session=session, practice=practice, **who_for(turn, session))
        urgent = alerts.soon(turn, session)
        await alerts.tell_followers(turn, session, practice, text, "nobody", at_once=urgent)
    elif not any_offered and announce_empty and not await _open_offers_in_round(turn, session):
        text = render("poster_all_declined", session=session, practice=practice, **who_for(turn, session))
        await alerts.tell_followers(
            turn, session, practice, text, "declined", at_once=alerts.soon(turn, session)
        )


def who_for(turn: Turn, session: Session) -> dict[str, str]:
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
        variables=offer_variables(offer, session, practice),
    )


def offer_variables(offer: Offer, session: Session, practice: Practice) -> tuple[tuple[str, str], ...]:
    """The offer's WhatsApp template values (config/whatsapp_templates.toml's offer; the engine
    adds the first name): what goes outside the member's 24-hour window."""
    return (
        ("practice", practice.name),
        ("date and time", messages.when(session)),
        ("pay", messages.money(session.rate_pence)),
        ("code", offer.code),
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
    text = render("poster_expired", session=session, practice=practice, **who_for(turn, session))
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
