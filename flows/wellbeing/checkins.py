"""Wellbeing check-ins that GPs choose, on their terms.

Nobody is asked until they say yes (CHECKIN WEEKLY MON 09:00, or FORTNIGHTLY / MONTHLY); the
invitation says who can see what, and consent is recorded with its date. A check-in asks for
1 (really struggling) to 5 (going well), then invites an optional comment. A 1 or 2, or two
below their usual (the median of their last three), gets signposting and the question
whether the pool's wellbeing lead may contact them; only a yes tells the lead. Answers are
the GP's own: CHECKINS shows their trend, FORGET CHECKINS deletes them. Skipped while paused,
on bank holidays and on days they are booked morning and evening.
"""

from __future__ import annotations

import statistics
import tomllib
from datetime import datetime, time, timedelta
from functools import cache
from importlib import resources

from bot.calendar import at_london, is_bank_holiday
from bot.clock import london_date
from bot.dates import day_name
from bot.domain import DAY_NAMES, Choice, Member, Outbound, Question
from bot.engine import Engine, Turn
from bot.ports import TimerRow
from bot.whatsapp_window import first_name
from flows.conversation import codes
from flows.conversation.messages import render

CHECKIN_TIMER = "checkin"
REMINDER_TIMER = "checkin_reminder"
LEAD_CLOSE_TIMER = "checkin_lead_close"
LEAD_WINDOW = timedelta(hours=2)
REMIND_AFTER = timedelta(hours=24)  # at most one reminder, a day later
STILL_WANT_AFTER = 3  # unanswered in a row before asking, once, whether they still want them
CADENCES = {"weekly": 7, "fortnightly": 14, "monthly": 28}
COMMENT_WINDOW = timedelta(hours=2)  # a message soon after an answer is its comment


PEER_LOOK_AHEAD = timedelta(weeks=6)  # a peer session this close is worth mentioning


@cache
def signposting() -> tuple[str, ...]:
    text = (resources.files("config") / "wellbeing.toml").read_text(encoding="utf-8")
    return tuple(tomllib.loads(text)["signposting"])


def register(engine: Engine) -> None:
    engine.on_timer(CHECKIN_TIMER, on_checkin_due)
    engine.on_timer(REMINDER_TIMER, on_reminder_due)
    engine.on_timer(LEAD_CLOSE_TIMER, on_lead_close)


async def on_lead_close(turn: Turn, timer: TimerRow) -> None:
    """Unanswered, the question about the lead lapses: nobody is told (silence is a no)."""
    await turn.uow.prompts.close_prompt(int(timer.subject), "closed", turn.now)


def _parse_plan(argument: str) -> tuple[str, int, str] | None:
    words = argument.lower().replace(",", " ").split()
    cadence = next((w for w in words if w in CADENCES), None)
    day = next((DAY_NAMES.index(d) for w in words if (d := day_name(w)) in DAY_NAMES), None)
    at = next((w for w in words if ":" in w or w.endswith(("am", "pm"))), None)
    if cadence is None or day is None or at is None:
        return None
    try:
        if at.endswith(("am", "pm")):
            hour = int(at[:-2].split(":")[0]) % 12 + (12 if at.endswith("pm") else 0)
            minute = int(at[:-2].split(":")[1]) if ":" in at else 0
            wall = time(hour, minute)
        else:
            wall = time.fromisoformat(at)
    except ValueError:
        return None
    return cadence, day, f"{wall:%H:%M}"


def next_due(plan: dict, after: datetime, first: bool = False) -> datetime:
    """The next check-in: the plan's weekday and London time, a cadence after the last one
    (the first one at the next such day)."""
    wall = time.fromisoformat(plan["at_time"])
    day = london_date(after)
    while day.weekday() != plan["weekday"] or at_london(day, wall) <= after:
        day += timedelta(days=1)
    if not first:
        day += timedelta(days=CADENCES[plan["cadence"]] - 7)
    return at_london(day, wall)


async def set_cadence(turn: Turn, argument: str) -> None:
    member = turn.member
    assert member is not None and turn.inbound is not None
    if argument.strip().lower() in ("keep", "yes"):
        turn.reply(render("checkin_kept"), kind="checkin_setting")
        return
    if argument.strip().lower() in ("stop", "off", "no"):
        if await turn.uow.wellbeing.stop_wellbeing_plan(member.id, turn.now):
            await turn.uow.timers.cancel_timers(CHECKIN_TIMER, str(member.id))
            await turn.audit("checkins_stopped", f"member:{member.id}")
        turn.reply(render("checkin_stopped"), kind="checkin_setting")
        return
    plan = _parse_plan(argument)
    if plan is None:
        turn.reply(render("checkin_invitation", channel=turn.inbound.channel), kind="checkin_invitation")
        return
    cadence, weekday, at_time = plan
    await turn.uow.wellbeing.set_wellbeing_plan(member.id, cadence, weekday, at_time, turn.now)
    await turn.uow.timers.cancel_timers(CHECKIN_TIMER, str(member.id))
    saved = await turn.uow.wellbeing.wellbeing_plan(member.id)
    assert saved is not None
    last = await turn.uow.wellbeing.last_checkin_asked(member.id)
    # Changing the plan keeps the rhythm: never a second check-in too soon after the last.
    due = next_due(
        saved, max(turn.now, last + timedelta(days=CADENCES[cadence] - 1)) if last else turn.now, True
    )
    await turn.uow.timers.add_timer(CHECKIN_TIMER, str(member.id), due, {}, turn.now)
    await turn.audit("checkins_consented", f"member:{member.id}", cadence=cadence)
    turn.reply(render("checkin_set", plan=saved, first=due), kind="checkin_setting")


async def on_checkin_due(turn: Turn, timer: TimerRow) -> None:
    member = await turn.uow.members.member(int(timer.subject))
    plan = await turn.uow.wellbeing.wellbeing_plan(int(timer.subject))
    if member is None or plan is None:
        return
    await turn.uow.timers.add_timer(CHECKIN_TIMER, timer.subject, next_due(plan, turn.now), {}, turn.now)
    today = london_date(turn.now)
    if (member.paused_until and member.paused_until >= today) or is_bank_holiday(today):
        return
    booked = [
        s for _, s, _ in await turn.uow.bookings.upcoming_bookings(member.id, turn.now - timedelta(hours=12))
    ]
    if any(london_date(s.starts_at) == today for s in booked if s.halves == {"am", "pm"}):
        return  # booked morning to evening: not today
    # Last time's question, unanswered, closes: a late number answers this one.
    for question in await turn.uow.prompts.open_questions(member.id):
        if question.kind in ("checkin", "lead"):
            await turn.uow.prompts.close_prompt(question.ref_id, "closed", turn.now)
    recent = await turn.uow.wellbeing.recent_checkin_scores(member.id, STILL_WANT_AFTER + 1)
    streak = recent[:STILL_WANT_AFTER] == [None] * STILL_WANT_AFTER
    if streak and (len(recent) == STILL_WANT_AFTER or recent[STILL_WANT_AFTER] is not None):
        # Three unanswered in a row: this time, ask once whether they still want them (the
        # ask takes the check-in's place, so the streak is four and it is not asked again).
        checkin_id = await turn.uow.wellbeing.add_checkin(member.id, turn.now)
        code = await codes.fresh_code(turn, member.id)
        await turn.uow.prompts.add_prompt("still_want", member.id, checkin_id, code, turn.now)
        turn.say(
            Outbound(
                text=render("checkin_still_want"),
                member_id=member.id,
                choices=(Choice("Keep them", f"YES {code}"), Choice("Stop them", f"NO {code}")),
                kind="checkin_still_want",
            )
        )
        return
    checkin_id = await turn.uow.wellbeing.add_checkin(member.id, turn.now)
    code = await codes.fresh_code(turn, member.id)
    await turn.uow.prompts.add_prompt("checkin", member.id, checkin_id, code, turn.now)
    turn.say(
        Outbound(
            text=render("checkin_question"),
            member_id=member.id,
            choices=tuple(Choice(str(n), f"{n} {code}") for n in range(1, 6)),
            kind="checkin",
            variables=(("first name", first_name(member.name)),),
        )
    )
    reminder = turn.now + REMIND_AFTER
    if reminder < next_due(plan, turn.now):
        await turn.uow.timers.add_timer(
            REMINDER_TIMER, timer.subject, reminder, {"checkin": checkin_id}, turn.now
        )


async def answer_still_want(turn: Turn, question: Question, value: str) -> None:
    await turn.uow.prompts.close_prompt(question.ref_id, "answered", turn.now)
    if value == "yes":
        turn.reply(render("checkin_kept"), kind="checkin_setting")
    else:
        await set_cadence(turn, "stop")


async def on_reminder_due(turn: Turn, timer: TimerRow) -> None:
    """The one reminder, if the check-in is still unanswered (and check-ins still wanted)."""
    member = await turn.uow.members.member(int(timer.subject))
    if member is None or await turn.uow.wellbeing.wellbeing_plan(member.id) is None:
        return  # they stopped check-ins meanwhile
    today = london_date(turn.now)
    if (member.paused_until and member.paused_until >= today) or is_bank_holiday(today):
        return
    prompt = None
    for question in await turn.uow.prompts.open_questions(int(timer.subject)):
        found = await turn.uow.prompts.prompt(question.ref_id) if question.kind == "checkin" else None
        if found is not None and found.ref_id == timer.payload.get("checkin"):
            prompt = found
    if prompt is None:
        return  # answered meanwhile
    turn.say(
        Outbound(
            text=render("checkin_reminder"),
            member_id=int(timer.subject),
            choices=tuple(Choice(str(n), f"{n} {prompt.code}") for n in range(1, 6)),
            kind="checkin_reminder",
        )
    )


async def answer_score(turn: Turn, question: Question, number: float, comment: str | None = None) -> None:
    """A 1 to 5: thanks and room for a comment; a low one, or two below their usual, gets
    signposting and the question about the wellbeing lead. ``comment``: what came with the
    score in the same message ("2 tbh. rough week"), kept with it, seen by nobody else."""
    member = turn.member
    assert member is not None
    prompt = await turn.uow.prompts.prompt(question.ref_id)
    assert prompt is not None
    if number != int(number) or not 1 <= number <= 5:
        turn.reply(render("checkin_how", code=prompt.code), kind="checkin_how")
        return
    score = int(number)
    usual = [s for _, s in await turn.uow.wellbeing.checkin_history(member.id, 3)]
    await turn.uow.prompts.close_prompt(prompt.id, "answered", turn.now)
    await turn.uow.wellbeing.answer_checkin(prompt.ref_id, score, turn.now)
    if comment:
        await turn.uow.wellbeing.comment_on_checkin(prompt.ref_id, comment[:1000])
    if turn.message_id is not None:
        await turn.uow.messages.forget_message_body(turn.message_id)
    await turn.audit("checkin_answered", f"member:{member.id}")  # not the score: it is theirs
    low = score <= 2 or (len(usual) == 3 and statistics.median(usual) - score >= 2)
    if not low:
        template = "checkin_comment_noted" if comment else "checkin_thanks"
        turn.reply(render(template, score=score), kind="checkin_thanks")
        return
    lead = await turn.uow.members.member_by_phone(turn.policy.wellbeing_lead_phone or "")
    choices: tuple[Choice, ...] = ()
    if lead is not None:
        code = prompt.code  # the same code answers the lead question
        lead_prompt = await turn.uow.prompts.add_prompt("lead", member.id, prompt.ref_id, code, turn.now)
        # Asked now, answered now: a bare YES days later is more likely meant for an offer.
        await turn.uow.timers.add_timer(
            LEAD_CLOSE_TIMER, str(lead_prompt), turn.now + LEAD_WINDOW, {}, turn.now
        )
        choices = (Choice("Yes, please", f"YES {code}"), Choice("No, thanks", f"NO {code}"))
    turn.reply(
        render("checkin_low", signposting=signposting(), has_lead=lead is not None),
        choices=choices,
        kind="checkin_low",
    )
    await _peer_support(turn, member)


async def _peer_support(turn: Turn, member: Member) -> None:
    """After a low check-in, the people already around them: their mentor, and their peer
    group's next session (in a second short text, so the first stays within two)."""
    mentor = None
    for pair in await turn.uow.mentoring.active_mentorships_of(member.id):
        if pair["mentee_id"] == member.id:
            mentor = await turn.uow.members.member(pair["mentor_id"])
    mine = {g.id: g for g in await turn.uow.groups.groups_of(member.id)}
    upcoming = await turn.uow.groups.group_sessions(None, after=turn.now, before=turn.now + PEER_LOOK_AHEAD)
    session = next((s for s in upcoming if s.group_id in mine), None)
    if mentor is None and session is None:
        return
    group = mine[session.group_id] if session else None
    turn.reply(render("checkin_peer", mentor=mentor, session=session, group=group), kind="checkin_peer")


async def answer_lead(turn: Turn, question: Question, value: str) -> None:
    """Yes or no to "Would you like the pool's wellbeing lead to contact you?"."""
    member = turn.member
    assert member is not None
    prompt = await turn.uow.prompts.prompt(question.ref_id)
    assert prompt is not None
    await turn.uow.prompts.close_prompt(prompt.id, "answered", turn.now)
    await turn.uow.wellbeing.set_lead_consent(prompt.ref_id, value)
    lead = await turn.uow.members.member_by_phone(turn.policy.wellbeing_lead_phone or "")
    if value != "yes" or lead is None:
        turn.reply(render("checkin_lead_no"), kind="checkin_lead")
        return
    checkin = await turn.uow.wellbeing.checkin(prompt.ref_id)
    assert checkin is not None
    turn.say(
        Outbound(
            text=render("checkin_lead_told", gp=member, checkin=checkin),
            member_id=lead.id,
            kind="checkin_lead_told",
            topic=f"checkin:{checkin['id']}",
        )
    )
    await turn.audit("wellbeing_lead_told", f"member:{member.id}", by="consent")
    turn.reply(render("checkin_lead_yes", lead=lead), kind="checkin_lead")


async def open_checkin(turn: Turn) -> Question | None:
    """The check-in question the member has open, if any."""
    assert turn.member is not None
    return next(
        (q for q in await turn.uow.prompts.open_questions(turn.member.id) if q.kind == "checkin"), None
    )


async def while_checkin_open(turn: Turn, question: Question, score: int | None) -> None:
    """A message that answers nothing else while a check-in is open: with a score in it, the
    check-in's answer and its comment; without, a question back. Never the inbox: only the
    GP sees their check-in, and what they say around it."""
    inbound = turn.inbound
    assert inbound is not None
    if score is not None:
        await answer_score(turn, question, score, comment=inbound.said.strip())
        return
    if turn.message_id is not None:
        await turn.uow.messages.forget_message_body(turn.message_id)
    turn.reply(render("checkin_about", code=question.code), kind="checkin_how")


async def take_comment(turn: Turn, acknowledge: bool = True) -> bool:
    """A message soon after a check-in answer is its comment (never the coordinators' inbox).
    False when there is no check-in it could belong to."""
    member, inbound = turn.member, turn.inbound
    assert member is not None and inbound is not None
    checkin_id = await turn.uow.wellbeing.latest_answered_checkin(member.id, turn.now - COMMENT_WINDOW)
    if checkin_id is None:
        return False
    await turn.uow.wellbeing.comment_on_checkin(checkin_id, inbound.said.strip()[:1000])
    if turn.message_id is not None:
        await turn.uow.messages.forget_message_body(turn.message_id)
    if acknowledge:
        turn.reply(render("checkin_comment_noted"), kind="checkin_comment")
    return True


async def show_trend(turn: Turn) -> None:
    member = turn.member
    assert member is not None
    history = list(reversed(await turn.uow.wellbeing.checkin_history(member.id, 6)))
    plan = await turn.uow.wellbeing.wellbeing_plan(member.id)
    turn.reply(render("checkin_trend", history=history, plan=plan), kind="checkin_trend")


async def forget(turn: Turn, argument: str) -> bool:
    """FORGET CHECKINS asks to be sure; FORGET CHECKINS CONFIRM deletes them."""
    member = turn.member
    assert member is not None
    words = argument.lower().split()
    if not words or words[0] not in ("checkins", "checkin", "check-ins"):
        return False
    if words[1:2] != ["confirm"]:
        turn.reply(render("checkin_forget_sure"), kind="checkin_forget")
        return True
    gone = await turn.uow.wellbeing.forget_checkins(member.id)
    await turn.audit("checkins_forgotten", f"member:{member.id}", count=gone)
    turn.reply(render("checkin_forgotten", gone=gone), kind="checkin_forget")
    return True


async def late_score(turn: Turn, code: str) -> bool:
    """A number with the code of a check-in that has closed: say so; never the inbox."""
    assert turn.member is not None
    prompt = await turn.uow.prompts.prompt_by_code(turn.member.id, code)
    if prompt is None or prompt.kind not in ("checkin", "lead", "still_want"):
        return False
    if turn.message_id is not None:
        await turn.uow.messages.forget_message_body(turn.message_id)
    turn.reply(render("checkin_closed"), kind="checkin_closed")
    return True


async def bare_answer_after_checkin(turn: Turn, value: str) -> bool:
    """A bare yes or no just after "Anything you'd like to add?": with an offer open it could
    mean either, so ask; with none, it is "nothing to add". False when no comment is invited."""
    member = turn.member
    assert member is not None
    checkin_id = await turn.uow.wellbeing.latest_answered_checkin(member.id, turn.now - COMMENT_WINDOW)
    if checkin_id is None or (await turn.uow.wellbeing.checkin(checkin_id) or {}).get("comment") == "":
        return False  # none invited, or they already said there was nothing to add
    questions = [q for q in await turn.uow.prompts.open_questions(member.id) if q.kind != "checkin"]
    if any(q.kind == "lead" for q in questions):
        return False  # the lead question is the one just asked: it takes the yes or no
    answered = (await turn.uow.wellbeing.checkin(checkin_id) or {}).get("answered_at")
    newer = [
        o for q in questions if q.kind == "offer" and (o := await turn.uow.offers.offer(q.ref_id)) is not None
        and o.sent_at is not None and answered is not None and o.sent_at >= answered
    ]  # fmt: skip
    if newer:
        return False  # an offer came after the check-in: the yes or no is most likely for it
    if questions:
        offers = [q for q in questions if q.kind == "offer"]
        turn.reply(render("checkin_or_offer", value=value.upper(), offers=offers), kind="clarify")
        return True
    await turn.uow.wellbeing.comment_on_checkin(checkin_id, "")
    turn.reply(render("checkin_nothing_to_add"), kind="checkin_comment")
    return True
