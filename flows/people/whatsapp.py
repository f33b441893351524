"""WhatsApp opt-in (issue 27): recorded, never assumed.

A member opts in by writing to the pool's WhatsApp number (source 'inbound'), by sending
WHATSAPP on another channel and confirming on WhatsApp (source 'keyword'), or by a coordinator
at the console (source 'console'); never by an import. Every WhatsApp message they send is noted:
it opens their 24-hour window, in which free-form messages may go (bot/ports/whatsapp.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot import replies
from bot.commands import SetWhatsApp, WhatsAppStatus
from bot.domain import ERASED, Choice, Member, Outbound
from bot.engine import Engine, Turn
from bot.errors import Refused
from bot.phones import to_e164
from bot.ports import TimerRow
from bot.ports.whatsapp import WhatsAppState, WhatsAppView
from bot.reach import reach
from bot.whatsapp_window import HOLD
from flows.conversation.messages import render
from flows.desk import actions
from flows.people import roles
from flows.shifts import offers

CONFIRM = "WHATSAPP YES"  # the confirmation's button id, and what a reply by text may say
KEYWORD_ARGUMENTS = frozenset({"", "yes", "on", "please", "yes please"})


HOLD_TIMER = "whatsapp_holds"  # hourly: messages held for WhatsApp 24 hours go by another channel


def register(engine: Engine) -> None:
    engine.on_command(WhatsAppStatus, whatsapp_status)
    engine.on_command(SetWhatsApp, set_whatsapp)
    engine.on_standing(HOLD_TIMER, send_held_elsewhere, next_hour)


def next_hour(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


async def send_held_elsewhere(turn: Turn, timer: TimerRow) -> None:
    """Messages held for the person's next WhatsApp message, 24 hours on without one: by their
    other channel now."""
    for message_id, member_id in await turn.uow.outbox.held_before(turn.now - HOLD):
        member = await turn.uow.members.member(member_id)
        found = reach(member, [c for c in turn.channels_on if c != "whatsapp"]) if member else None
        await turn.uow.outbox.reroute(message_id, *(found or (None, None)), turn.now)
    await turn.uow.timers.add_timer(HOLD_TIMER, "pool", next_hour(turn.now), {}, turn.now)


async def note_inbound(turn: Turn) -> bool:
    """A member wrote on WhatsApp: note it (the window, their number, a first message's opt-in).
    True when it was their plain YES to the confirmation we sent, now answered."""
    member, inbound = turn.member, turn.inbound
    assert member is not None and inbound is not None
    said = replies.parse(inbound.said)
    if isinstance(said, replies.Keyword) and said.name == "STOP":
        return False  # an opt-out: neither an opt-in nor a window for what waited
    before = await turn.uow.whatsapp.note_inbound(member.id, inbound.address, turn.now)
    await turn.uow.outbox.release_held(member.id, turn.now)  # their window is open: what waited goes
    if before.opted_in:
        return False
    asked = before.requested_at is not None
    await turn.audit("whatsapp_opted_in", f"member:{member.id}", source="keyword" if asked else "inbound")
    if asked and isinstance(said, replies.Answer) and said.value == "yes" and not said.codes:
        # "Yes" under the confirmation: an answer to it, never to an offer by another channel.
        await confirmed(turn)
        return True
    return False


async def keyword(turn: Turn, argument: str) -> bool:
    """WHATSAPP: on WhatsApp, their confirmation; elsewhere, ask them to confirm on WhatsApp.
    False when more was said ("whatsapp me the notes"): not the keyword."""
    member, inbound = turn.member, turn.inbound
    assert member is not None and inbound is not None
    if argument.strip().lower() not in KEYWORD_ARGUMENTS:
        return False
    if inbound.channel == "whatsapp":
        await confirmed(turn)  # writing here opted them in already (note_inbound)
        return True
    if "whatsapp" not in turn.channels_on:
        turn.reply(render("whatsapp_off", pool_name=turn.policy.pool_name), kind="whatsapp_off")
        return True
    state = await turn.uow.whatsapp.state(member.id)
    if state is not None and state.reachable and "whatsapp" not in member.opted_out:
        await confirmed(turn)  # they opted in by writing there: WhatsApp becomes their channel
        return True
    number = state.number if state is not None else member.phone
    if not number.startswith("+"):
        turn.reply(render("whatsapp_off", pool_name=turn.policy.pool_name), kind="whatsapp_off")
        return True
    await turn.uow.whatsapp.request(member.id, number, turn.now)
    # Asking for WhatsApp is asking for it back after a WhatsApp STOP.
    await turn.uow.members.opt_in(member.id, "whatsapp")
    await turn.audit("whatsapp_requested", f"member:{member.id}")
    # Outside their window it goes as the approved whatsapp_confirm template (its one value);
    # until that is approved, free-form, which reaches only someone who wrote in 24 hours.
    turn.say(
        Outbound(
            text=render("whatsapp_confirm", pool_name=turn.policy.pool_name),
            member_id=member.id,
            channel="whatsapp",
            address=number,
            choices=(Choice("Yes", CONFIRM),),
            kind="whatsapp_confirm",
            variables=(("pool name", turn.policy.pool_name),),
        )
    )
    turn.reply(render("whatsapp_asked", number=number), kind="whatsapp_asked")
    return True


async def confirmed(turn: Turn) -> None:
    """They confirmed on WhatsApp: their messages come here from now on."""
    member = turn.member
    assert member is not None
    await turn.uow.members.opt_in(member.id, "whatsapp")
    changed = member.preferred_channel != "whatsapp"
    if changed:
        await turn.uow.members.update_member(member.id, preferred_channel="whatsapp")
        await turn.audit("setting_changed", f"member:{member.id}", setting="channel")
    state = await turn.uow.whatsapp.state(member.id)
    number = state.number if state is not None else member.phone
    turn.reply(render("whatsapp_on", changed=changed, number=number), kind="whatsapp_on")


# -- what coordinators see and do (the console, the API, the CLI) -----------------------------------


async def view(turn: Turn, member: Member) -> WhatsAppView:
    state = await turn.uow.whatsapp.state(member.id) or WhatsAppState(member.id, member.phone)
    opt_outs = await turn.uow.members.opt_outs_of(member.id)
    opted_out_at = next((at for channel, at, _ in opt_outs if channel == "whatsapp"), None)
    return WhatsAppView(
        phone=member.phone,
        name=member.name,
        state=state,
        status="opted out" if opted_out_at is not None else state.window_state(turn.now),
        opted_out_at=opted_out_at,
        preferred=member.preferred_channel == "whatsapp",
        enabled="whatsapp" in turn.channels_on,
    )


async def whatsapp_status(turn: Turn, command: WhatsAppStatus) -> WhatsAppView:
    by = await roles.actor(turn, command.by)
    member = await actions.member_by_phone(turn, command.phone)
    if not (roles.is_coordinator(by) or (by is not None and by.id == member.id)):
        raise Refused("Sorry, only the person or a coordinator can see that.", field="role")
    return await view(turn, member)


async def set_whatsapp(turn: Turn, command: SetWhatsApp) -> WhatsAppView:
    """Coordinators only. An opt-in here is the member's yes given to the coordinator (by phone,
    in person): it is kept with the time and the source 'console', as Meta asks."""
    turn.by = command.by
    roles.require_coordinator(await roles.actor(turn, command.by))
    member = await actions.member_by_phone(turn, command.phone)
    if member.phone.startswith(ERASED):
        raise Refused(f"{member.name} was erased.", field="member")
    if command.number is None and command.opt_in is None:
        raise Refused("Say what to change: opt them in or out, or their WhatsApp number.", field="opt_in")
    subject = f"member:{member.id}"
    if command.number is not None:
        number = await _number(turn, member, command.number)
        state = await turn.uow.whatsapp.state(member.id)
        if state is None or state.number != number:
            await turn.uow.whatsapp.set_number(member.id, number)
            await turn.audit("whatsapp_number_set", subject, "whatsapp", via=command.via)
    if command.opt_in is True:
        reached_before = reach(member, turn.channels_on) is not None
        state = await turn.uow.whatsapp.state(member.id)
        number = state.number if state is not None else member.phone
        if not number.startswith("+"):
            raise Refused("Give their WhatsApp number first: their phone is not one.", field="number")
        if await turn.uow.whatsapp.opt_in(member.id, number, "console", turn.now):
            await turn.audit("whatsapp_opted_in", subject, "whatsapp", source="console", via=command.via)
        if await turn.uow.members.opt_in(member.id, "whatsapp"):  # lifts an earlier WhatsApp STOP
            await turn.audit("opted_in", subject, "whatsapp", via=command.via)
        if member.preferred_channel != "whatsapp":
            member = await turn.uow.members.update_member(member.id, preferred_channel="whatsapp")
            await turn.audit("setting_changed", subject, "whatsapp", setting="channel", via=command.via)
        if not reached_before:  # nothing reached them: the open sessions they can take now
            await offers.offer_open_sessions_to(turn, await _fresh(turn, member.id))
    elif command.opt_in is False:
        # As their STOP on WhatsApp: WhatsApp only, their other channels carry on.
        await turn.uow.members.opt_out(member.id, "whatsapp", turn.now)
        await turn.audit("opted_out", subject, "whatsapp", via=command.via)
        if reach(await _fresh(turn, member.id), turn.channels_on) is None:
            withdrawn = await turn.uow.offers.withdraw_member_offers(member.id, turn.now)
            await offers.after_offers_closed(turn, (o.session_id for o in withdrawn))
    return await view(turn, await _fresh(turn, member.id))


async def _number(turn: Turn, member: Member, typed: str) -> str:
    """Their WhatsApp number as typed, in E.164, and nobody else's."""
    try:
        number = to_e164(typed.strip())
    except ValueError as error:
        raise Refused(f"{typed.strip() or 'That'} is {error}.", field="number") from None
    other = await turn.uow.members.member_by_address("whatsapp", number)
    if other is not None and other.id != member.id:
        raise Refused(f"{number} is {other.name}'s number.", field="number")
    return number


async def _fresh(turn: Turn, member_id: int) -> Member:
    found = await turn.uow.members.member(member_id)
    assert found is not None
    return found
