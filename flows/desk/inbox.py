"""Messages the bot did not understand go to the coordinators' inbox, with a short help text
back, never silence. Repeats from one number fold into one item with a count.

Strangers (numbers the pool does not know) are where floods and SMS pumping come from, so what
they can cost is bounded: each number gets at most one reply a day, by text only a UK mobile
(a premium or foreign number is where a pumping fraud wants the pool's texts to go), and all
strangers together at most ``unknown_replies_per_hour``. More than ``unknown_alert_numbers``
of them within ``unknown_alert_window`` is a flood: the coordinators get one alert, and no
more inbox items until it passes.
"""

from __future__ import annotations

from datetime import timedelta

from bot.domain import Inbound, Outbound
from bot.engine import Turn
from flows.conversation.messages import render

UNKNOWN_SENDER_QUIET = timedelta(hours=24)
FLOOD_ALERT_QUIET = timedelta(hours=24)  # one alert a day, however long a flood lasts
PHONE_CHANNELS = ("sms", "sandbox")
UK_MOBILE = "+447"


async def not_understood(turn: Turn) -> None:
    assert turn.message_id is not None
    await turn.uow.inbox.add_to_inbox(turn.message_id, turn.member.id if turn.member else None, turn.now)
    turn.reply(render("not_understood"), kind="not_understood")


async def unknown_sender(turn: Turn, asked_for_help: bool = False) -> None:
    inbound = turn.inbound
    assert inbound is not None and turn.message_id is not None
    by_phone = inbound.channel in PHONE_CHANNELS
    flood = await _flood(turn)
    if by_phone and not flood:
        # Often a GP with a new phone: the coordinators see it. On a chat app anyone who finds
        # the bot could write, so there they get the polite answer and nothing else.
        await turn.uow.inbox.add_to_inbox(turn.message_id, None, turn.now)
    if not await may_answer_stranger(turn):
        return
    # HELP from an unlinked Telegram chat: how to link it (the text speaks of t.me links).
    template = "help_unlinked" if asked_for_help and inbound.channel == "telegram" else "unknown_sender"
    turn.reply(
        render(template, pool_name=turn.policy.pool_name, channel=inbound.channel), kind="unknown_sender"
    )


async def may_answer_stranger(turn: Turn) -> bool:
    """Whether this stranger may have an answer now: one a day, a UK mobile by text, and the
    pool's hourly allowance for strangers not spent."""
    inbound = turn.inbound
    assert inbound is not None
    if not textable_stranger(inbound):
        return False
    if await turn.uow.messages.recent_outbound_to(
        inbound.channel, inbound.address, "unknown_sender", turn.now - UNKNOWN_SENDER_QUIET
    ):
        return False
    answered = await turn.uow.messages.replies_to_strangers(turn.now - timedelta(hours=1))
    return answered < turn.policy.unknown_replies_per_hour


def textable_stranger(inbound: Inbound) -> bool:
    """A stranger we may answer at all: anyone on a chat app, by text a UK mobile only."""
    return inbound.channel not in PHONE_CHANNELS or inbound.address.startswith(UK_MOBILE)


async def _flood(turn: Turn) -> bool:
    """More strangers than usual lately: tell the coordinators once, and say so."""
    policy = turn.policy
    writing = await turn.uow.messages.strangers_writing(turn.now - policy.unknown_alert_window)
    if writing <= policy.unknown_alert_numbers:
        return False
    coordinators = await turn.uow.members.members_with_role("coordinator")
    if coordinators and not await turn.uow.messages.flood_alerted_since(turn.now - FLOOD_ALERT_QUIET):
        minutes = int(policy.unknown_alert_window.total_seconds() // 60)
        text = render(
            "stranger_flood", numbers=writing, minutes=minutes, per_hour=policy.unknown_replies_per_hour
        )
        for coordinator in coordinators:
            turn.say(Outbound(text=text, member_id=coordinator.id, kind="stranger_flood"))
        await turn.audit("stranger_flood", "pool", numbers=writing)
    return True
