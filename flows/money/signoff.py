"""Hours signed off: the clinician reports the hours they worked, the practice agrees them.

When hours are reported (the clinician answers "did it go ahead?", or a coordinator records
them) the practice is asked on its managers' channels, each with a code: ``OK code`` confirms,
``QUERY code`` (with any words) disputes. A practice with no manager in the pool is asked
through the coordinators. A practice manager who records the hours themselves has signed them
off. Confirmed, the session's pay is worked out once by the pool's rule (POOL_PAY: the rate,
or pro rata to the hours) and kept. A query goes to the coordinators with both sides' words;
they settle it at the hours (and pay) agreed. Unanswered POOL_SIGNOFF_DAYS after the question,
the practice is reminded once; as long again, and the coordinators are told.

A bare "ok" stays a pleasantry while nothing is waiting for the person's sign-off; while
something is, it is asked about, because it confirms money only with the code.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot import replies
from bot.calendar import at_london, is_working_day, month_bounds, next_working_day
from bot.clock import london_date
from bot.commands import ConfirmHours, ListSignOffs, QueryHours, SettleHours
from bot.domain import Choice, Member, Outbound, Practice, Question, Session, SignOff, pay_for
from bot.engine import Engine, Turn
from bot.errors import Refused
from bot.ports import SignOffRow, TimerRow
from flows.conversation import codes
from flows.conversation.messages import render
from flows.money import invoices
from flows.money.recipients import signers_of, tell_coordinators
from flows.people import roles
from flows.shifts.lookup import session_and_practice

REMIND_TIMER = "signoff_reminder"  # subject: the session's id
ESCALATE_TIMER = "signoff_escalation"
PROMPT = "signoff"  # the open question's kind
WORKING_MORNING = time(10, 0)
MAX_QUERY = 100  # the practice's words: they reach the coordinators in a text of two segments
OVERRUN_HOURS = 2.0  # as the hours question allows: a late finish, never a second session


def register(engine: Engine) -> None:
    engine.on_timer(REMIND_TIMER, on_reminder)
    engine.on_timer(ESCALATE_TIMER, on_escalation)
    engine.on_command(ConfirmHours, confirm_command)
    engine.on_command(QueryHours, query_command)
    engine.on_command(SettleHours, settle_command)
    engine.on_command(ListSignOffs, list_command)


# -- asking ---------------------------------------------------------------------------------------


async def hours_reported(turn: Turn, session: Session, hours: float, reported_by: str) -> None:
    """A delivered session's hours are on record: the practice signs them off (at once when a
    manager of it reported them; otherwise it is asked)."""
    booking = await turn.uow.bookings.live_booking(session.id)
    if booking is None:
        return  # nobody to pay
    signoff = await turn.uow.pay.add_signoff(
        session.id, booking.member_id, session.practice, hours, reported_by, turn.now
    )
    practice = await turn.uow.practices.practice(session.practice)
    assert practice is not None
    if reported_by == "practice" and turn.acting_member_id != booking.member_id:
        await _sign_off(turn, session, practice, signoff, turn.acting_member_id)
        return
    signers, _ = await signers_of(turn, practice, worker=booking.member_id)  # never their own
    gp = await turn.uow.members.member(booking.member_id)
    assert gp is not None
    for signer in signers:
        code = await codes.fresh_code(turn, signer.id)
        await turn.uow.prompts.add_prompt(PROMPT, signer.id, session.id, code, turn.now)
        _ask(turn, "signoff_ask", signer, session, practice, gp, signoff, code)
    await turn.uow.timers.add_timer(
        REMIND_TIMER, str(session.id), due(turn.now, turn.policy.signoff_days), {}, turn.now
    )


def _ask(
    turn: Turn,
    template: str,
    signer: Member,
    session: Session,
    practice: Practice,
    gp: Member,
    signoff: SignOff,
    code: str,
) -> None:
    turn.say(
        Outbound(
            text=render(
                template,
                session=session,
                practice=practice,
                gp=gp,
                hours=signoff.hours,
                code=code,
                for_practice=not any(r == f"practice:{practice.ods_code}" for r in signer.roles),
            ),
            member_id=signer.id,
            choices=(Choice("Confirm the hours", f"OK {code}"), Choice("Query them", f"QUERY {code}")),
            kind=template,
            topic=f"signoff:{session.id}",
        )
    )


def due(now: datetime, days: int) -> datetime:
    """``days`` after ``now``, at ten on that working morning (or the next one)."""
    day = london_date(now) + timedelta(days=days)
    if not is_working_day(day):
        day = next_working_day(day)
    return at_london(day, WORKING_MORNING)


async def on_reminder(turn: Turn, timer: TimerRow) -> None:
    """Still waiting: whoever signs off for the practice now hears again (with the code they
    have, or a new one if they joined since); someone who has lost the role or left is no
    longer asked."""
    session_id = int(timer.subject)
    found = await _waiting(turn, session_id)
    if found is None:
        return
    session, practice, signoff, gp = found
    signers, _ = await signers_of(turn, practice, worker=gp.id)
    current = {signer.id for signer in signers}
    for member_id in await turn.uow.prompts.prompts_about(PROMPT, session_id):
        prompt = await turn.uow.prompts.prompt_about(PROMPT, member_id, session_id)
        if prompt is not None and prompt.state == "open" and member_id not in current:
            await turn.uow.prompts.close_prompt(prompt.id, "closed", turn.now)
    for signer in signers:
        prompt = await turn.uow.prompts.prompt_about(PROMPT, signer.id, session_id)
        if prompt is not None and prompt.state == "open":
            code = prompt.code
        else:
            code = await codes.fresh_code(turn, signer.id)
            await turn.uow.prompts.add_prompt(PROMPT, signer.id, session_id, code, turn.now)
        _ask(turn, "signoff_reminder", signer, session, practice, gp, signoff, code)
    await turn.uow.pay.mark_signoff(session_id, "reminded_at", turn.now)
    await turn.uow.timers.add_timer(
        ESCALATE_TIMER, str(session_id), due(turn.now, turn.policy.signoff_days), {}, turn.now
    )


async def on_escalation(turn: Turn, timer: TimerRow) -> None:
    found = await _waiting(turn, int(timer.subject))
    if found is None:
        return
    session, practice, signoff, gp = found
    text = render(
        "signoff_escalation", session=session, practice=practice, gp=gp, signoff=signoff,
        days=(turn.now - signoff.reported_at).days,
    )  # fmt: skip
    await _tell_coordinators(turn, text, "signoff_escalation", session, gp.id)
    await turn.uow.pay.mark_signoff(session.id, "escalated_at", turn.now)


async def _waiting(turn: Turn, session_id: int) -> tuple[Session, Practice, SignOff, Member] | None:
    signoff = await turn.uow.pay.signoff(session_id)
    if signoff is None or signoff.state != "awaiting":
        return None
    session = await turn.uow.sessions.session(session_id)
    gp = await turn.uow.members.member(signoff.member_id)
    assert session is not None and gp is not None
    practice = await turn.uow.practices.practice(session.practice)
    assert practice is not None
    return session, practice, signoff, gp


async def _tell_coordinators(turn: Turn, text: str, kind: str, session: Session, worker: int) -> None:
    await tell_coordinators(turn, text, kind, f"signoff:{session.id}", worker)


# -- answers by text --------------------------------------------------------------------------------


def asked_with_code(turn: Turn, question: Question) -> bool:
    """The reply names the question's code (typed, or sent by its button)."""
    return turn.inbound is not None and question.code in turn.inbound.said


async def answer(turn: Turn, question: Question, value: str) -> None:
    """A yes to the sign-off question confirms, but only with its code; a no is asked what is
    wrong (a query needs QUERY and the code)."""
    assert turn.member is not None
    if value == "yes" and asked_with_code(turn, question):
        await confirm_by_text(turn, question)
        return
    await how_to_answer(turn, [question])


async def _session_asked(turn: Turn, question: Question) -> Session | None:
    """The session a sign-off question is about (the question's ref is its prompt)."""
    prompt = await turn.uow.prompts.prompt(question.ref_id)
    return await turn.uow.sessions.session(prompt.ref_id) if prompt else None


async def confirm_by_text(turn: Turn, question: Question) -> None:
    session = await _session_asked(turn, question)
    assert session is not None and turn.member is not None
    practice = await turn.uow.practices.practice(session.practice)
    signoff = await turn.uow.pay.signoff(session.id)
    assert practice is not None and signoff is not None
    if signoff.state != "awaiting":
        turn.reply(render("signoff_already", signoff=signoff, session=session), kind="signoff_already")
        return
    if not await _still_signs(turn, session, question):
        return
    pay = await _sign_off(turn, session, practice, signoff, turn.member.id)
    turn.reply(
        render("signoff_confirmed", session=session, practice=practice, hours=signoff.hours, pay=pay),
        kind="signoff_confirmed",
    )


async def answered_before(turn: Turn, code: str) -> bool:
    """An OK for hours already settled (by this person, a colleague or a coordinator): say
    where they stand, change nothing."""
    assert turn.member is not None
    prompt = await turn.uow.prompts.prompt_by_code(turn.member.id, code)
    if prompt is None or prompt.kind != PROMPT or prompt.state == "open":
        return False
    session = await turn.uow.sessions.session(prompt.ref_id)
    found = await turn.uow.pay.signoff(prompt.ref_id)
    if session is None or found is None:
        return False
    turn.reply(render("signoff_already", signoff=found, session=session), kind="signoff_already")
    return True


async def how_to_answer(turn: Turn, questions: list[Question]) -> None:
    """Say how to confirm or query (with the codes), changing nothing."""
    described = []
    for question in questions:
        session = await _session_asked(turn, question)
        signoff = await turn.uow.pay.signoff(session.id) if session else None
        if session is None or signoff is None:
            continue
        gp = await turn.uow.members.member(signoff.member_id)
        described.append((question.code, session, gp, signoff))
    turn.reply(render("signoff_how", described=described), kind="signoff_how")


async def open_signoffs(turn: Turn) -> list[Question]:
    assert turn.member is not None
    return [q for q in await turn.uow.prompts.open_questions(turn.member.id) if q.kind == PROMPT]


async def query_by_text(turn: Turn, argument: str) -> bool:
    """QUERY code [words]: the hours are disputed, and the coordinators hear both sides. The
    code is whichever number in the message is one of the person's sign-off codes ("QUERY 2542
    she left at 1600"). False when the message is about nothing of theirs to sign off (it is
    then read as any other message, and may reach the coordinators' inbox)."""
    assert turn.member is not None and turn.inbound is not None
    waiting = await open_signoffs(turn)
    numbers = replies.CODE.findall(argument)
    code = next((n for n in numbers if any(q.code == n for q in waiting)), None)
    if code is None:
        for number in numbers:
            if await answered_before(turn, number):  # confirmed or queried already
                return True
        if waiting and not numbers:
            await how_to_answer(turn, waiting)  # QUERY alone: which, and how
            return True
        return False
    question = next(q for q in waiting if q.code == code)
    session = await _session_asked(turn, question)
    assert session is not None
    practice = await turn.uow.practices.practice(session.practice)
    assert practice is not None
    if not await _still_signs(turn, session, question):
        return True
    words = _words_after(turn.inbound.said, code)
    if not words and turn.pressed:  # a tap on "Query them": ask what is wrong before disputing
        turn.reply(render("signoff_query_why", code=code), kind="signoff_how")
        return True
    if len(words) > MAX_QUERY:  # never cut: the coordinators must read what was meant
        turn.reply(render("signoff_query_long", limit=MAX_QUERY, code=code), kind="signoff_how")
        return True
    await _query(turn, session, practice, words, turn.member.id)
    turn.reply(render("signoff_queried", session=session, practice=practice), kind="signoff_queried")
    return True


async def _still_signs(turn: Turn, session: Session, question: Question) -> bool:
    """Whoever was asked must still manage the practice (or coordinate) and be in the pool:
    a role lost or a leaving day since, and their code no longer decides anything."""
    member = turn.member
    assert member is not None
    gone = member.left_on is not None and member.left_on <= london_date(turn.now)
    if roles.manages(member, session.practice) and not gone:
        return True
    await turn.uow.prompts.close_prompt(question.ref_id, "closed", turn.now)
    turn.reply(render("signoff_not_yours", session=session), kind="signoff_how")
    return False


def _words_after(said: str, code: str) -> str:
    """'QUERY 4821 she left at 11' → 'she left at 11' (as typed, on one line)."""
    text = " ".join(said.split())
    head, _, rest = text.partition(code)
    words = rest if rest.strip() else head.split(maxsplit=1)[1] if len(head.split()) > 1 else ""
    return words.strip(" :-–—,.")


# -- the decisions ------------------------------------------------------------------------------------


async def _sign_off(
    turn: Turn, session: Session, practice: Practice, signoff: SignOff, by: int | None
) -> int:
    """Confirmed: pay worked out once, by the pool's rule, and kept; the clinician told."""
    rule = turn.policy.pay_rule
    pay = pay_for(rule, session.rate_pence, session.hours, signoff.hours)
    if not await turn.uow.pay.sign_off(session.id, pay_pence=pay, pay_rule=rule, by=by, now=turn.now):
        raise Refused(f"Session {session.code}'s hours are signed off already.", field="session")
    await _close(turn, session)
    await turn.audit("hours_signed_off", f"session:{session.id}", None, hours=signoff.hours, pay_pence=pay)
    await invoices.after_signoff(turn, session.id)  # someone who invoices by session: it goes now
    if signoff.member_id != turn.acting_member_id:
        turn.say(
            Outbound(
                text=render(
                    "signoff_gp_told", session=session, practice=practice, hours=signoff.hours, pay=pay
                ),
                member_id=signoff.member_id,
                kind="signoff_gp_told",
                topic=f"signoff:{session.id}",
            )
        )
    return pay


async def _query(turn: Turn, session: Session, practice: Practice, words: str, by: int | None) -> None:
    signoff = await turn.uow.pay.signoff(session.id)
    assert signoff is not None
    if not await turn.uow.pay.query_signoff(session.id, words, by, turn.now):
        state = "signed off" if signoff.state == "signed_off" else "queried"
        raise Refused(f"Session {session.code}'s hours are {state} already.", field="session")
    await _close(turn, session)
    await turn.audit("hours_queried", f"session:{session.id}", None, hours=signoff.hours)
    gp = await turn.uow.members.member(signoff.member_id)
    assert gp is not None
    text = render(
        "signoff_query_alert", session=session, practice=practice, gp=gp, signoff=signoff, words=words
    )
    await _tell_coordinators(turn, text, "signoff_query_alert", session, gp.id)
    turn.say(
        Outbound(
            text=render("signoff_gp_queried", session=session, practice=practice, hours=signoff.hours),
            member_id=gp.id,
            kind="signoff_gp_queried",
            topic=f"signoff:{session.id}",
        )
    )


async def _close(turn: Turn, session: Session) -> None:
    """Nobody is asked again about these hours."""
    await turn.uow.prompts.close_prompts_about(PROMPT, session.id, turn.now)
    await turn.uow.timers.cancel_timers(REMIND_TIMER, str(session.id))
    await turn.uow.timers.cancel_timers(ESCALATE_TIMER, str(session.id))


# -- commands: the CLI, the API and the console ------------------------------------------------------


async def _signoff_for(turn: Turn, code: str, by: Member | None) -> tuple[Session, Practice, SignOff]:
    """The sign-off to decide, for someone who may: a manager of the practice or a coordinator,
    and never on their own hours."""
    session, practice = await session_and_practice(turn, code)
    signoff = await turn.uow.pay.signoff(session.id)
    if by is not None and signoff is not None and by.id == signoff.member_id:
        raise Refused("Sorry, your own hours are signed off by someone else.", field="role")
    roles.require_manages(by, session.practice)
    if signoff is None:
        raise Refused(f"Session {session.code} has no hours reported yet.", field="session")
    return session, practice, signoff


async def confirm_command(turn: Turn, command: ConfirmHours) -> SignOff:
    turn.by = command.by
    by = await roles.actor(turn, command.by)
    session, practice, signoff = await _signoff_for(turn, command.code, by)
    if signoff.state != "awaiting":
        state = "signed off" if signoff.state == "signed_off" else "queried: a coordinator settles them"
        raise Refused(f"Session {session.code}'s hours are {state}.", field="session")
    await _sign_off(turn, session, practice, signoff, command.by)
    updated = await turn.uow.pay.signoff(session.id)
    assert updated is not None
    return updated


async def query_command(turn: Turn, command: QueryHours) -> SignOff:
    turn.by = command.by
    by = await roles.actor(turn, command.by)
    session, practice, _ = await _signoff_for(turn, command.code, by)
    words = " ".join(command.text.split())
    if len(words) > MAX_QUERY:
        raise Refused(f"Keep the query to {MAX_QUERY} characters.", field="text")
    await _query(turn, session, practice, words, command.by)
    updated = await turn.uow.pay.signoff(session.id)
    assert updated is not None
    return updated


async def settle_command(turn: Turn, command: SettleHours) -> SignOff:
    """A coordinator's settlement: the hours (and pay) agreed, told to both sides."""
    turn.by = command.by
    by = await roles.actor(turn, command.by)
    roles.require_coordinator(by)
    session, practice, signoff = await _signoff_for(turn, command.code, by)
    if signoff.state == "signed_off":
        raise Refused(f"Session {session.code}'s hours are signed off already.", field="session")
    longest = session.hours + OVERRUN_HOURS
    if not 0 < command.hours <= longest:
        raise Refused(f"Hours must be more than 0 and at most {longest:g} for this session.", field="hours")
    if command.pay_pence is not None and not 0 <= command.pay_pence <= 10_000_000:
        raise Refused("Pay must be between £0 and £100,000.", field="pay_pence")
    note = " ".join(command.note.split())
    if len(note) > MAX_QUERY:
        raise Refused(f"Keep the note to {MAX_QUERY} characters.", field="note")
    if command.pay_pence is None:
        rule = turn.policy.pay_rule
        pay = pay_for(rule, session.rate_pence, session.hours, command.hours)
    else:
        rule, pay = "agreed", command.pay_pence
    if not await turn.uow.pay.settle_signoff(
        session.id, hours=command.hours, pay_pence=pay, pay_rule=rule, note=note, by=command.by, now=turn.now
    ):
        raise Refused(f"Session {session.code}'s hours changed meanwhile: look again.", field="session")
    await _close(turn, session)
    await turn.audit("hours_settled", f"session:{session.id}", None, hours=command.hours, pay_pence=pay)
    await invoices.after_signoff(turn, session.id)
    gp = await turn.uow.members.member(signoff.member_id)
    assert gp is not None
    told = {gp.id}
    text = render(
        "signoff_settled", session=session, practice=practice, hours=command.hours, pay=pay, note=note
    )
    turn.say(Outbound(text=text, member_id=gp.id, kind="signoff_settled", topic=f"signoff:{session.id}"))
    signers, by_coordinators = await signers_of(turn, practice, worker=gp.id)
    if not by_coordinators:
        for signer in signers:
            if signer.id not in told:
                told.add(signer.id)
                practice_text = render(
                    "signoff_settled_practice", session=session, practice=practice, gp=gp,
                    hours=command.hours, pay=pay, note=note,
                )  # fmt: skip
                turn.say(
                    Outbound(text=practice_text, member_id=signer.id, kind="signoff_settled",
                             topic=f"signoff:{session.id}")
                )  # fmt: skip
    updated = await turn.uow.pay.signoff(session.id)
    assert updated is not None
    return updated


async def list_command(turn: Turn, command: ListSignOffs) -> list[SignOffRow]:
    """Coordinators see every practice's; a practice manager their practices'; a clinician
    their own (a manager who also works sees both); anyone else nothing."""
    by = await roles.actor(turn, command.by)
    start, end = month_bounds(command.month)
    wanted = command.practice.strip().upper() if command.practice is not None else None
    states = command.states
    if roles.is_coordinator(by):
        practices = [wanted] if wanted else None
        return await turn.uow.pay.signoff_rows(start=start, end=end, states=states, practices=practices)
    assert by is not None
    managed = roles.managed_practices(by)
    if not managed and not by.is_clinician:
        raise Refused("Sorry, only coordinators, practice managers and clinicians see hours.", field="role")
    if wanted is not None and wanted not in managed:
        raise Refused("Sorry, you can only see your own practice's sessions.", field="practice")
    found: dict[int, SignOffRow] = {}
    if managed:
        practices = [wanted] if wanted else managed
        for row in await turn.uow.pay.signoff_rows(start=start, end=end, states=states, practices=practices):
            found[row.session.id] = row
    if by.is_clinician and wanted is None:  # their own hours, wherever they worked
        for row in await turn.uow.pay.signoff_rows(start=start, end=end, states=states, member_id=by.id):
            found[row.session.id] = row
    return sorted(found.values(), key=lambda r: (r.session.starts_at, r.session.id))
