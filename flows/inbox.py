"""Messages the bot did not understand go to the coordinators' inbox, with a short help text
back, never silence. Unknown senders get one polite reply a day (and, by text, the inbox)."""

from __future__ import annotations

from datetime import timedelta

from bot.engine import Turn
from flows.messages import render

UNKNOWN_SENDER_QUIET = timedelta(hours=24)


async def not_understood(turn: Turn) -> None:
    assert turn.message_id is not None
    await turn.uow.add_to_inbox(turn.message_id, turn.member.id if turn.member else None, turn.now)
    turn.reply(render("not_understood"), kind="not_understood")


async def unknown_sender(turn: Turn) -> None:
    inbound = turn.inbound
    assert inbound is not None and turn.message_id is not None
    if inbound.channel in ("sms", "sandbox"):
        # Often a GP with a new phone: the coordinators see it. On a chat app anyone who finds
        # the bot could write, so there they get the polite answer and nothing else.
        await turn.uow.add_to_inbox(turn.message_id, None, turn.now)
    replied = await turn.uow.recent_outbound_to(
        inbound.channel, inbound.address, "unknown_sender", turn.now - UNKNOWN_SENDER_QUIET
    )
    if not replied:
        turn.reply(
            render("unknown_sender", pool_name=turn.policy.pool_name, channel=inbound.channel),
            kind="unknown_sender",
        )
