"""Which channel reaches a member: their preferred one if it can, else another they linked.

An opt-out is honoured on the channel it came from. With Twilio off, the sandbox stands in
for SMS (the address is the phone number), so a new pool can be tried with no credentials.
"""

from __future__ import annotations

from collections.abc import Collection

from bot.domain import Member

FALLBACK_ORDER = ("sms", "telegram", "slack")


def reach(member: Member, channels_on: Collection[str]) -> tuple[str, str] | None:
    """(channel, address) for ``member``, or None when no enabled channel reaches them."""
    order = [
        member.preferred_channel,
        *(c for c in FALLBACK_ORDER if c != member.preferred_channel),
    ]
    for wanted in order:
        channel = wanted
        if channel == "sms" and "sms" not in channels_on:
            channel = "sandbox"
        if channel not in channels_on or channel in member.opted_out:
            continue
        address = member.address_on(channel)
        if address:
            return channel, address
    return None
