"""The desk from a chat app: a coordinator's (or practice manager's) typed command, answered
with a short text for them alone. The same rules as the API: refusals are polite and change
nothing. Slack's /pool and Telegram's coordinator commands both come through here."""

from __future__ import annotations

from bot.commands import (
    AnswerInbox,
    BookByHand,
    BroadcastUrgent,
    CancelSession,
    CloseInbox,
    DeskChat,
    DeskStatus,
    ListInbox,
)
from bot.domain import Member
from bot.engine import Engine, Turn
from bot.errors import Refused
from bot.phones import to_e164
from flows import desk, roles
from flows.messages import render


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
    if not by.is_coordinator and not roles.managed_practices(by):
        raise Refused(render("desk_not_allowed"), field="role")
    word, _, rest = command.text.strip().partition(" ")
    rest = rest.strip()
    match word.lower():
        case "urgent" if rest:
            sent = await desk.broadcast_urgent(turn, BroadcastUrgent(rest.split()[0], by=by.id))
            return render("urgent_sent", code=rest.split()[0].upper(), sent=sent)
        case "cancel" if rest:
            code, _, reason = rest.partition(" ")
            session = await desk.cancel_session(turn, CancelSession(code, by=by.id, reason=reason.strip()))
            return render("desk_cancelled", session=session)
        case "book" if len(rest.split()) >= 2:
            code, _, who = rest.partition(" ")
            phone = await _phone_of(turn, who.strip())
            booking = await desk.book_by_hand(turn, BookByHand(code, phone, by=by.id))
            gp = await turn.uow.member(booking.member_id)
            assert gp is not None
            return render("desk_booked", code=code.upper(), gp=gp)
        case "status":
            return await desk.desk_status(turn, DeskStatus(by=by.id))
        case "inbox":
            return render("desk_inbox", items=await desk.list_inbox(turn, ListInbox(by=by.id)))
        case "answer" | "done" as what:
            number, _, text = rest.partition(" ")
            if not number.lstrip("#").isdigit():
                example = "answer 12 your answer" if what == "answer" else "done 12"
                raise Refused(f"Give the message's number: {example}", field="item")
            item = int(number.lstrip("#"))
            if what == "answer":
                await desk.answer_inbox(turn, AnswerInbox(item, text.strip(), by=by.id))
                return f"Answered #{item}."
            await desk.close_inbox(turn, CloseInbox(item, by=by.id))
            return f"#{item} is done."
        case _:
            return render("desk_help", coordinator=by.is_coordinator)


async def _phone_of(turn: Turn, who: str) -> str:
    """A GP named by phone number, or by name when exactly one member has it."""
    try:
        return to_e164(who)
    except ValueError:
        pass
    wanted = who.casefold().removeprefix("dr ").strip()
    found = [
        m
        for m in await turn.uow.all_members()
        if m.is_gp and m.name.casefold().removeprefix("dr ").strip() == wanted
    ]
    if len(found) == 1:
        return found[0].phone
    if found:
        raise Refused(f"More than one GP is called {who}: give their phone number.", field="phone")
    raise Refused(
        f"No GP is called {who}: give their name as the pool has it, or their phone.", field="phone"
    )
