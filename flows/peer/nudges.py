"""Nudges back to peer groups: a member who has not come to a session for a while (POOL_NUDGE_WEEKS,
counted from their last session or from joining) hears of the next sessions, at most once a
month. NUDGES OFF mutes them, NUDGES ON brings them back."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.calendar import at_london
from bot.clock import london_date
from bot.domain import Outbound
from bot.engine import Engine, Turn
from bot.ports import TimerRow
from flows.conversation.messages import render

NUDGE_TIMER = "peer_nudges"
NUDGE_AT = time(10, 0)
AT_MOST_EVERY = timedelta(days=30)
LOOK_AHEAD = timedelta(weeks=6)


def register(engine: Engine) -> None:
    engine.on_standing(NUDGE_TIMER, daily_nudges, next_run)


def next_run(now: datetime) -> datetime:
    today = london_date(now)
    due = at_london(today, NUDGE_AT)
    return due if due > now else at_london(today + timedelta(days=1), NUDGE_AT)


async def daily_nudges(turn: Turn, timer: TimerRow) -> None:
    await turn.uow.timers.add_timer(NUDGE_TIMER, "pool", next_run(turn.now), {}, turn.now)
    after = turn.policy.nudge_after
    if after is None:
        return
    joined = await turn.uow.groups.group_joined()
    muted = await turn.uow.groups.nudges_muted()
    attended = await turn.uow.groups.last_attended(joined)
    nudged = await turn.uow.groups.last_nudged(joined)
    upcoming = await turn.uow.groups.group_sessions(None, after=turn.now, before=turn.now + LOOK_AHEAD)
    for member_id, since in joined.items():
        last_seen = attended.get(member_id, since)
        if member_id in muted or turn.now - last_seen < after:
            continue
        if member_id in nudged and turn.now - nudged[member_id] < AT_MOST_EVERY:
            continue
        mine = {g.id: g for g in await turn.uow.groups.groups_of(member_id)}
        next_sessions = []
        for session in upcoming:
            if session.group_id in mine and len(next_sessions) < 2:
                prompt = await turn.uow.prompts.prompt_about("rsvp", member_id, session.id)
                code = prompt.code if prompt and prompt.state == "open" else None
                next_sessions.append((mine[session.group_id], session, code))
        if not next_sessions:
            continue  # nothing to come back to yet: the nudge waits for a session
        await turn.uow.groups.record_nudge(member_id, turn.now)
        turn.say(
            Outbound(
                text=render("peer_nudge", groups=list(mine.values()), sessions=next_sessions),
                member_id=member_id,
                kind="peer_nudge",
            )
        )


async def set_muted(turn: Turn, argument: str) -> None:
    """NUDGES OFF or NUDGES ON."""
    assert turn.member is not None
    word = argument.strip().lower()
    if word not in ("off", "on"):
        turn.reply(render("nudges_how"), kind="setting_how")
        return
    await turn.uow.groups.mute_nudges(turn.member.id, word == "off", turn.now)
    await turn.audit("nudges_muted" if word == "off" else "nudges_on", f"member:{turn.member.id}")
    turn.reply(render("nudges_set", off=word == "off"), kind="setting_changed")
