"""The desk from a chat app: a coordinator's (or practice manager's) typed command, answered
with a short text for them alone. The same rules as the API: refusals are polite and change
nothing. Slack's /pool and Telegram's coordinator commands both come through here, and so do
peer-network leads' group commands (groups, group NAME, meet ...)."""

from __future__ import annotations

import re
from datetime import time

from bot.calendar import at_london
from bot.clock import london_date
from bot.commands import (
    AnswerInbox,
    BookByHand,
    BroadcastUrgent,
    CancelSession,
    CloseInbox,
    DeskChat,
    DeskStatus,
    ListInbox,
    ScheduleGroupSessions,
    ShowGroup,
)
from bot.dates import parse_day
from bot.domain import Member
from bot.engine import Engine, Turn
from bot.errors import Refused
from flows.conversation import messages
from flows.conversation.messages import render, when
from flows.desk import actions
from flows.peer import groups
from flows.people import roles
from flows.shifts import lookup


def register(engine: Engine) -> None:
    engine.on_command(DeskChat, desk_chat)


async def answer(turn: Turn, member: Member, text: str) -> str:
    """A desk command typed in a chat (Telegram's /status, /inbox...), answered in the same
    turn as the message itself, so a redelivered message has one effect; a refusal is the
    answer and changes nothing."""
    try:
        return await desk_chat(turn, DeskChat(member.id, text))
    except Refused as refusal:
        return refusal.message


async def desk_chat(turn: Turn, command: DeskChat) -> str:
    by = await roles.actor(turn, command.by)
    assert by is not None
    word, _, rest = command.text.strip().partition(" ")
    rest = rest.strip()
    runs_groups = "lead" in by.roles or by.is_coordinator
    if runs_groups and (word.lower() in PEER_WORDS or not (by.is_coordinator or roles.managed_practices(by))):
        return await peer_desk(turn, by, word.lower(), rest)
    if not by.is_coordinator and not roles.managed_practices(by):
        raise Refused(render("desk_not_allowed"), field="role")
    match word.lower():
        case "urgent" if rest:
            sent = await actions.broadcast_urgent(turn, BroadcastUrgent(rest.split()[0], by=by.id))
            session, _ = await lookup.session_and_practice(turn, rest.split()[0])
            return render(
                "urgent_sent",
                code=rest.split()[0].upper(),
                sent=sent,
                **messages.who(turn.policy.professions, session),
            )
        case "cancel" if rest:
            code, _, reason = rest.partition(" ")
            session = await actions.cancel_session(turn, CancelSession(code, by=by.id, reason=reason.strip()))
            return render("desk_cancelled", session=session)
        case "book" if len(rest.split()) >= 2:
            code, _, who = rest.partition(" ")
            booking = await actions.book_by_hand(turn, BookByHand(code, who.strip(), by=by.id))
            gp = await turn.uow.members.member(booking.member_id)
            assert gp is not None
            return render("desk_booked", code=code.upper(), gp=gp)
        case "status":
            return await actions.desk_status(turn, DeskStatus(by=by.id))
        case "inbox":
            return render("desk_inbox", items=await actions.list_inbox(turn, ListInbox(by=by.id)))
        case "answer" | "done" as what:
            number, _, text = rest.partition(" ")
            if not _item_number(number.lstrip("#")):
                example = "answer 12 your answer" if what == "answer" else "done 12"
                raise Refused(f"Give the message's number: {example}", field="item")
            item = int(number.lstrip("#"))
            if what == "answer":
                await actions.answer_inbox(turn, AnswerInbox(item, text.strip(), by=by.id))
                return f"Answered #{item}."
            await actions.close_inbox(turn, CloseInbox(item, by=by.id))
            return f"#{item} is done."
        case _:
            return render("desk_help", coordinator=by.is_coordinator)


PEER_WORDS = ("groups", "group", "meet")
MEET = re.compile(
    r"^(?P<group>.+?) on (?P<day>.+?) (?P<start>\d{1,2}[:.]\d{2}) ?- ?(?P<end>\d{1,2}[:.]\d{2})"
    r" at (?P<where>.+?)"
    r"(?: cap (?P<capacity>\d+))?(?: every (?P<every>\d+) weeks? x ?(?P<times>\d+))?$",
    re.IGNORECASE,
)


async def peer_desk(turn: Turn, by: Member, word: str, rest: str) -> str:
    """A lead's peer-group commands: groups, group NAME, meet NAME on DAY HH:MM-HH:MM at PLACE."""
    match word:
        case "groups":
            found = await turn.uow.groups.peer_groups()
            views = [await groups.show_group(turn, ShowGroup(str(g.id), by=by.id)) for g in found]
            return "\n\n".join(groups.group_text(v) for v in views) or "No peer groups yet."
        case "group" if rest:
            return groups.group_text(await groups.show_group(turn, ShowGroup(rest, by=by.id)))
        case "meet" if (found := MEET.match(rest)) is not None:
            day = parse_day(found["day"], london_date(turn.now))
            if day is None:
                raise Refused(f"Which day is {found['day']!r}? Try 14/1 or 2027-01-14.", field="start")
            start, end = (_wall(found[part]) for part in ("start", "end"))
            where = found["where"].strip()
            link = where if where.startswith("https://") else ""
            made = await groups.schedule(
                turn,
                ScheduleGroupSessions(
                    found["group"], at_london(day, start), at_london(day, end), "" if link else where, link,
                    int(found["capacity"]) if found["capacity"] else None, int(found["every"] or 0),
                    int(found["times"] or 1), by=by.id,
                ),
            )  # fmt: skip
            first = made[0]
            return (
                f"Scheduled {len(made)} session(s) from {when(first)}; members are invited two weeks ahead."
            )
        case _:
            return render("desk_peer_help")


def _wall(text: str) -> time:
    hours, minutes = text.replace(".", ":").split(":")
    try:
        return time(int(hours), int(minutes))
    except ValueError:
        raise Refused(f"{text} is not a time of day.", field="start") from None


def _item_number(text: str) -> bool:
    """An inbox item's number as typed: ASCII digits ('²' is a digit to Python but not to
    int()), and short enough for the store's integers."""
    return text.isascii() and text.isdigit() and len(text) <= 9
