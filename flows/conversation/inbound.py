"""The conversation: what happens to every inbound message, on every channel.

Safety first (the crisis rule), then who is writing, then what they mean: a keyword, an answer
routed to the open question it answers, something to clarify (changing nothing), a pleasantry,
or something for the coordinators' inbox.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from bot import replies
from bot.domain import Question
from bot.engine import Turn
from bot.router import Ambiguous, Matched, NoOpenQuestion, route
from flows.conversation.codes import could_be_ours
from flows.conversation.messages import render
from flows.desk import chat, inbox
from flows.money import signoff
from flows.peer import groups, mentoring
from flows.people import keywords, linking, whatsapp
from flows.shifts import booking, offers, reminders
from flows.wellbeing import checkins
from flows.wellbeing.safety import SafetyScreen

Answerer = Callable[[Turn, Question, str], Awaitable[None]]

# Which kinds of open question take a yes or a no, and who answers them.
ANSWERERS: dict[str, Answerer] = {
    "offer": booking.answer,
    "hours": reminders.answer,
    "lead": checkins.answer_lead,
    "still_want": checkins.answer_still_want,
    "met": mentoring.answer_met,
    "rsvp": groups.answer_rsvp,
    "attended": groups.answer_attended,
    "signoff": signoff.answer,
}
# Which kinds of open question take a number: hours worked, a check-in's 1 to 5.
NUMBER_TAKERS: dict[str, Callable[[Turn, Question, float], Awaitable[None]]] = {
    "hours": reminders.answer_hours,
    "checkin": checkins.answer_score,
}
# Chat apps: a message there proves the bot can reach the person (unlike SMS, whose opt-in is
# the carrier's START).
CHAT_APPS = ("telegram", "slack")


class PoolConversation:
    def __init__(self, safety: SafetyScreen) -> None:
        self.safety = safety

    async def __call__(self, turn: Turn) -> None:
        inbound = turn.inbound
        assert inbound is not None
        if self.safety.matches(inbound.said):
            await self.safety.respond(turn)
            return
        if inbound.chat_action == "link":
            await linking.link_chat(turn, inbound.text)
            return
        if turn.member is None:
            asked = replies.parse(inbound.said)
            await inbox.unknown_sender(
                turn, asked_for_help=isinstance(asked, replies.Keyword) and asked.name == "HELP"
            )
            return
        if inbound.channel == "whatsapp" and await whatsapp.note_inbound(turn):
            return  # their YES to the WhatsApp confirmation, answered
        if inbound.forwarded:
            # Someone else's words: a forwarded "yes" must not book anything.
            turn.reply(render("forwarded"), kind="forwarded")
            return
        blocked_before = inbound.channel in CHAT_APPS and inbound.channel in turn.member.opted_out
        if blocked_before and await turn.uow.members.lift_provider_opt_out(turn.member.id, inbound.channel):
            # They blocked the bot once (a 403); writing to it again shows they unblocked it.
            await turn.audit("unblocked", f"member:{turn.member.id}")
        if inbound.chat_action == "unlink":
            await linking.unlink_chat(turn)
            return
        if inbound.chat_action == "desk":
            turn.reply(await chat.answer(turn, turn.member, inbound.text), kind="desk")
            return
        if inbound.media_count:
            turn.reply(render("text_only"), kind="text_only")
            if not inbound.said.strip():
                return
        if inbound.carrier_action == "opt_out":
            await keywords.opt_out(turn, confirm=False)  # the carrier has confirmed it already
            return
        if inbound.carrier_action == "opt_in":
            await keywords.opt_in(turn, confirm=False)
            if replies.normalise(inbound.said) != "yes":
                return  # START, UNSTOP: the carrier said welcome back
        parsed = replies.parse(inbound.said)
        turn.read_by = parsed.rule  # the audit log says which rule read the reply
        if await self.about_an_open_checkin(turn, parsed):
            return
        if isinstance(parsed, replies.NotUnderstood | replies.Unclear) and self.safety.distressed(
            inbound.said
        ):
            # Said just after a check-in, it is also that check-in's comment (and, like any
            # comment, kept out of the message log).
            await checkins.take_comment(turn, acknowledge=False)
            await self.safety.respond_to_distress(turn)
            return
        match parsed:
            case replies.Keyword():
                if not await keywords.handle(turn, parsed) and not await checkins.take_comment(turn):
                    await inbox.not_understood(turn)
            case replies.Answer(value, code) if parsed.more:
                for each in parsed.codes:  # each named code through its own atomic check
                    await self.answer(turn, value, each)
            case replies.Answer(value, code):
                await self.answer(turn, value, code)
            case replies.Several(answers):
                for answer in answers:
                    for each in answer.codes:
                        await self.answer(turn, answer.value, each)
            case replies.Reaction():
                await self.reaction(turn, parsed)
            case replies.Hours(hours, code):
                await self.hours(turn, hours, code)
            case replies.Unclear(code, reason):
                await self.unclear(turn, code, reason)
            case replies.Acknowledgement():
                await turn.audit("acknowledged", f"member:{turn.member.id}")
            case _:
                if not await checkins.take_comment(turn):
                    await inbox.not_understood(turn)

    async def about_an_open_checkin(self, turn: Turn, parsed: replies.Parsed) -> bool:
        """While a check-in question is open, a message that answers nothing else is about it:
        its score and comment, or a question back; never the coordinators' inbox. Keywords,
        coded answers, hours and clear answers to another open question go their own way."""
        assert turn.member is not None
        if isinstance(parsed, replies.Keyword | replies.Hours | replies.Acknowledgement):
            return False
        if (
            isinstance(parsed, replies.Answer | replies.Unclear)
            and parsed.code
            and could_be_ours(parsed.code)
        ):
            return False
        questions = await turn.uow.prompts.open_questions(turn.member.id)
        checkin = next((q for q in questions if q.kind == "checkin"), None)
        if checkin is None:
            return False
        answerable = any(q.kind in ANSWERERS for q in questions)
        if isinstance(parsed, replies.Answer | replies.Several | replies.Reaction) and answerable:
            return False
        assert turn.inbound is not None
        if replies.score_token(turn.inbound.said) is None and self.safety.distressed(turn.inbound.said):
            await self.safety.respond_to_distress(turn)  # private, like the check-in itself
            return True
        await checkins.while_checkin_open(turn, checkin, replies.score_token(turn.inbound.said))
        return True

    async def reaction(self, turn: Turn, reaction: replies.Reaction) -> None:
        """👍 books and 👎 declines only the one offer open, and only when that offer is the last
        thing the bot sent them (a thumb is often a nod to whatever came last); otherwise ask."""
        assert turn.member is not None and turn.inbound is not None
        open_offers = [q for q in await turn.uow.prompts.open_questions(turn.member.id) if q.kind == "offer"]
        if len(open_offers) == 1:
            last = await turn.uow.messages.last_sent(turn.inbound.channel, turn.inbound.address)
            if (
                last is not None
                and last[0] == f"offer:{open_offers[0].ref_id}"
                and _quotes(reaction, last[1])
            ):
                await booking.answer(turn, open_offers[0], reaction.value)
                return
        if not await booking.clarify(turn, "question"):
            await turn.audit("acknowledged", f"member:{turn.member.id}")  # a nod, with nothing open

    async def answer(self, turn: Turn, value: str, code: str | None) -> None:
        assert turn.member is not None
        if code is None and await checkins.bare_answer_after_checkin(turn, value):
            return
        questions = await turn.uow.prompts.open_questions(turn.member.id, code)
        # Hours to sign off are confirmed only with their code: a bare yes or no is for
        # anything else open (an offer), and about them only when nothing else is.
        found = route(
            questions, code, accepts=lambda q: q.kind in ANSWERERS and (code or q.kind != "signoff")
        )
        match found:
            case Matched(question):
                await ANSWERERS[question.kind](turn, question, value)
            case Ambiguous(questions) if any(q.kind != "offer" for q in questions):
                await clarify_which(turn, questions, value)
            case Ambiguous():
                await booking.clarify(turn, "several")
            case NoOpenQuestion(None):
                recent = await turn.uow.offers.latest_answered_offer(
                    turn.member.id, turn.now - offers.LATE_ANSWER_WINDOW
                )
                waiting = [q for q in questions if q.kind == "signoff"]
                if recent is not None:
                    await booking.late_answer(turn, recent, value, named=False)
                elif waiting:
                    await signoff.how_to_answer(turn, waiting)
                else:
                    turn.reply(render("no_open_offer"), kind="no_open_offer")
            case NoOpenQuestion(given) if await groups.answer_again(turn, given, value):
                pass  # a change of mind about a peer session already answered
            case NoOpenQuestion(given):
                offer = await turn.uow.offers.offer_by_code(turn.member.id, given)
                if offer is not None:
                    await booking.late_answer(turn, offer, value, named=True)
                else:
                    turn.reply(render("unknown_code", code=given), kind="unknown_code")

    async def hours(self, turn: Turn, hours: float, code: str | None) -> None:
        assert turn.member is not None
        questions = await turn.uow.prompts.open_questions(turn.member.id, code)
        match route(questions, code, accepts=lambda q: q.kind in NUMBER_TAKERS):
            case Matched(question):
                await NUMBER_TAKERS[question.kind](turn, question, hours)
            case Ambiguous(several):
                await clarify_which(turn, several, f"{hours:g}")
            case NoOpenQuestion(given) if given and await checkins.late_score(turn, given):
                pass  # a score for a closed check-in: answered, and kept out of the inbox
            case _:
                if not await checkins.take_comment(turn):
                    await inbox.not_understood(turn)

    async def unclear(self, turn: Turn, code: str | None, reason: str) -> None:
        assert turn.member is not None
        if await self.about_a_signoff(turn, code, reason):
            return
        only = [code] if code else None
        if await booking.clarify(turn, reason, only):
            return
        if reason == "maybe_acknowledgement":
            await turn.audit("acknowledged", f"member:{turn.member.id}")
            return
        if not await checkins.take_comment(turn):
            await inbox.not_understood(turn)

    async def about_a_signoff(self, turn: Turn, code: str | None, reason: str) -> bool:
        """The sign-off question owns "OK code": with a sign-off's code, "ok" confirms those
        hours. A bare "ok" while sign-offs wait is asked about (money needs the code); with
        none waiting it stays a pleasantry."""
        assert turn.inbound is not None
        if reason not in ("question", "maybe_acknowledgement") or not replies.reads_ok(turn.inbound.said):
            return False
        waiting = await signoff.open_signoffs(turn)
        if code is not None and await signoff.answered_before(turn, code):
            return True
        if not waiting:
            return False
        if code is not None:
            named = [q for q in waiting if q.code == code]
            if not named:
                return False  # another question's code: asked about as before
            await signoff.confirm_by_text(turn, named[0])
            return True
        questions = await turn.uow.prompts.open_questions(turn.member.id)
        if any(q.kind == "offer" for q in questions):
            return False  # an offer is open too: "ok" is asked about it first, as before
        await signoff.how_to_answer(turn, waiting)
        return True


def _quotes(reaction: replies.Reaction, text: str | None) -> bool:
    """A phone reaction quotes the start of what it reacts to: it must be this message."""
    if not reaction.quoted:
        return True

    def loose(value: str) -> str:
        return re.sub(r"[^a-z0-9]", "", replies.normalise(value))

    quoted = loose(reaction.quoted)
    return bool(text) and loose(text or "").startswith(quoted)


async def clarify_which(turn: Turn, questions: tuple[Question, ...], said: str) -> None:
    """Several open questions could take this answer: list them with their codes, change
    nothing."""
    described = []
    for question in questions:
        session, about = None, None
        if question.kind == "offer":
            offer = await turn.uow.offers.offer(question.ref_id)
            session = await turn.uow.sessions.session(offer.session_id) if offer else None
        elif question.kind in ("hours", "signoff"):
            prompt = await turn.uow.prompts.prompt(question.ref_id)
            session = await turn.uow.sessions.session(prompt.ref_id) if prompt else None
        elif question.kind in ("rsvp", "attended"):
            about = await groups.describe(turn, question)
        elif question.kind == "met":
            about = await mentoring.describe(turn, question)
        practice = await turn.uow.practices.practice(session.practice) if session else None
        described.append((question, session, practice, about))
    turn.reply(render("clarify_which", described=described, said=said.upper()), kind="clarify")
