"""WhatsApp opt-in (issue 27): recorded, never assumed.

A member opts in by writing to the pool's WhatsApp number (source 'inbound'), by sending
WHATSAPP on another channel and confirming on WhatsApp (source 'keyword'), or by a coordinator
at the console (source 'console'); never by an import. Every WhatsApp message they send is noted:
it opens their 24-hour window, in which free-form messages may go (bot/ports/whatsapp.py).
"""

from __future__ import annotations

from bot import replies
from bot.domain import Choice, Outbound
from bot.engine import Turn
from flows.conversation.messages import render

CONFIRM = "WHATSAPP YES"  # the confirmation's button id, and what a reply by text may say
KEYWORD_ARGUMENTS = frozenset({"", "yes", "on", "please", "yes please"})


async def note_inbound(turn: Turn) -> bool:
    """A member wrote on WhatsApp: note it (the window, their number, a first message's opt-in).
    True when it was their plain YES to the confirmation we sent, now answered."""
    member, inbound = turn.member, turn.inbound
    assert member is not None and inbound is not None
    before = await turn.uow.whatsapp.note_inbound(member.id, inbound.address, turn.now)
    if before.opted_in:
        return False
    asked = before.requested_at is not None
    await turn.audit("whatsapp_opted_in", f"member:{member.id}", source="keyword" if asked else "inbound")
    said = replies.parse(inbound.said)
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
    # TODO(issue 27): outside their window only the approved whatsapp_confirm template can go
    # (config/whatsapp_templates.toml); free-form reaches only someone who wrote in 24 hours.
    turn.say(
        Outbound(
            text=render("whatsapp_confirm", pool_name=turn.policy.pool_name),
            member_id=member.id,
            channel="whatsapp",
            address=number,
            choices=(Choice("Yes", CONFIRM),),
            kind="whatsapp_confirm",
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
