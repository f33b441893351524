"""Linking a member to a chat account.

Slack: the adapter asks Slack (users.lookupByEmail) and hands the answers here; a user is
linked once, never to two members, and everyone looked up is not asked about again for a
day (or until their email changes).

Telegram does not say who a chat belongs to, so a member links by a one-time deep link
(https://t.me/<bot>?start=<code>) sent to them on another channel or passed on by a
coordinator. Codes are unguessable (128 bits), single-use and expire; only their hash is
stored. A member can unlink (/stop).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from bot.commands import IssueLinkCode, RecordSlackLookups
from bot.domain import Outbound
from bot.engine import Engine, Turn
from bot.reach import reach
from flows.conversation.messages import render
from flows.desk import actions
from flows.people import keywords, roles
from flows.shifts import offers

LINK_LIFETIME = timedelta(days=7)


def register(engine: Engine) -> None:
    engine.on_command(RecordSlackLookups, record_slack_lookups)
    engine.on_command(IssueLinkCode, issue_link_code)


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


async def issue_link_code(turn: Turn, command: IssueLinkCode) -> str:
    """A new one-time Telegram link for a member; sent to them when asked."""
    turn.by = command.by
    roles.require_coordinator(await roles.actor(turn, command.by))
    member = await actions.member_by_phone(turn, command.phone)
    code = secrets.token_urlsafe(16)  # 22 characters of [A-Za-z0-9_-], as Telegram's start takes
    await turn.uow.members.add_link_code(
        member.id, "telegram", code_hash(code), turn.now, turn.now + LINK_LIFETIME
    )
    link = f"https://t.me/{command.bot_username}?start={code}"
    await turn.audit("link_issued", f"member:{member.id}", "telegram")
    if command.send:
        turn.say(
            Outbound(
                text=render(
                    "telegram_link", link=link, days=LINK_LIFETIME.days, pool_name=turn.policy.pool_name
                ),
                member_id=member.id,
                kind="telegram_link",
            )
        )
    return link


async def link_chat(turn: Turn, code: str) -> None:
    """``/start <code>`` in a private chat: link this chat to the code's member."""
    inbound = turn.inbound
    assert inbound is not None
    hashed = code_hash(code.strip())
    member_id, problem = await turn.uow.members.link_code(hashed, inbound.channel, turn.now)
    owner = turn.member  # whoever this chat is linked to already
    if owner is not None and owner.id == member_id:
        turn.reply(render("already_linked", member=owner), kind="linked")  # the link, opened again
        return
    if owner is not None:
        # Not silently taken from someone else; a good code stays usable.
        reason = "chat_taken" if problem is None else problem
        turn.reply(render("link_refused", reason=reason), kind="link_refused")
        return
    if (
        problem is not None
        or member_id is None
        or not await turn.uow.members.use_link_code(hashed, inbound.channel, turn.now)
    ):
        turn.reply(render("link_refused", reason=problem or "used"), kind="link_refused")
        return
    await turn.uow.members.link_telegram(member_id, inbound.address)
    await turn.uow.members.opt_in(member_id, inbound.channel)  # linking again undoes a block or an unlink
    member = await turn.uow.members.member(member_id)
    assert member is not None
    turn.member = member
    await turn.audit("linked", f"member:{member.id}", inbound.channel, by="code")
    turn.reply(render("linked", member=member, pool_name=turn.policy.pool_name), kind="linked")
    if member.is_clinician:  # open sessions they fit reach them now (eligibility skips those they hold)
        await offers.offer_open_sessions_to(turn, member)


async def unlink_chat(turn: Turn) -> None:
    """/stop: this chat no longer reaches the member; what they hold goes elsewhere or back."""
    member, inbound = turn.member, turn.inbound
    assert member is not None and inbound is not None
    await turn.uow.members.link_telegram(member.id, None)
    await turn.audit("unlinked", f"member:{member.id}", inbound.channel)
    turn.reply(render("unlinked", pool_name=turn.policy.pool_name), kind="opted_out")
    if reach(await keywords.fresh(turn, member.id), turn.channels_on) is None:
        withdrawn = await turn.uow.offers.withdraw_member_offers(member.id, turn.now)
        await offers.after_offers_closed(turn, (o.session_id for o in withdrawn))


async def record_slack_lookups(turn: Turn, command: RecordSlackLookups) -> int:
    linked = 0
    for member_id, user_id in command.found:
        if await turn.uow.members.record_slack_lookup(member_id, user_id, turn.now):
            linked += 1
            await turn.audit("linked", f"member:{member_id}", "slack", by="email")
    return linked
