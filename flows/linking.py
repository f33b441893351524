"""Linking a member to a chat account: Slack users found by the email the pool holds.

The Slack adapter asks Slack (users.lookupByEmail) and hands the answers here; a user is
linked once, never to two members, and everyone looked up is not asked about again for a
day (or until their email changes).
"""

from __future__ import annotations

from bot.commands import RecordSlackLookups
from bot.engine import Engine, Turn


def register(engine: Engine) -> None:
    engine.on_command(RecordSlackLookups, record_slack_lookups)


async def record_slack_lookups(turn: Turn, command: RecordSlackLookups) -> int:
    linked = 0
    for member_id, user_id in command.found:
        if await turn.uow.record_slack_lookup(member_id, user_id, turn.now):
            linked += 1
            await turn.audit("linked", f"member:{member_id}", "slack", by="email")
    return linked
