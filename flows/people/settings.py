"""Settings a GP changes by message, each confirmed back: CAP (sessions a week), DAYS, AREAS,
NIGHTS (urgent offers at night) and CHANNEL. SETTINGS shows them all."""

from __future__ import annotations

import re

from bot.calendar import quiet_window
from bot.dates import day_name
from bot.engine import Turn
from bot.reach import reach
from flows.conversation.messages import render

NO_LIMIT_WORDS = frozenset({"none", "no limit", "off", "clear", "any"})
ANY_WORDS = frozenset({"any", "anywhere", "all", "clear"})  # not "none": DAYS NONE is not "any day"
CHANNEL_WORDS = {
    "sms": "sms",
    "text": "sms",
    "texts": "sms",
    "slack": "slack",
    "telegram": "telegram",
    "whatsapp": "whatsapp",
}
MAX_CAP = 14


async def cap(turn: Turn, argument: str) -> None:
    member = turn.member
    assert member is not None
    value = argument.strip().lower()
    if value in NO_LIMIT_WORDS:
        limit = None
    elif value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_CAP:
        limit = int(value)
    else:
        turn.reply(render("setting_how", setting="cap"), kind="setting_how")
        return
    await turn.uow.members.update_member(member.id, max_sessions_per_week=limit)
    await _confirm(turn, "cap", limit=limit)


async def days(turn: Turn, argument: str) -> None:
    member = turn.member
    assert member is not None
    entries = [e for e in re.split(r"[\s,;]+", argument.strip().lower()) if e]
    shortened = [_short(e) for e in entries]
    if entries and " ".join(entries) in ANY_WORDS:
        chosen: list[str] = []
    elif entries and all(shortened):
        chosen = list(dict.fromkeys(s for s in shortened if s))
    else:
        turn.reply(render("setting_how", setting="days"), kind="setting_how")
        return
    await turn.uow.members.update_member(member.id, days=chosen)
    await _confirm(turn, "days", days=chosen)


async def areas(turn: Turn, argument: str) -> None:
    member = turn.member
    assert member is not None
    known = sorted({p.locality for p in await turn.uow.practices.all() if p.locality})
    wanted = [a.strip() for a in re.split(r"[,;]+", argument) if a.strip()]
    if wanted and " ".join(wanted).lower() in ANY_WORDS:
        chosen: list[str] = []
    else:
        by_lower = {k.lower(): k for k in known}
        chosen = [by_lower[w.lower()] for w in wanted if w.lower() in by_lower]
        if not wanted or len(chosen) != len(wanted):
            turn.reply(render("setting_how", setting="areas", known=known), kind="setting_how")
            return
    await turn.uow.members.update_member(member.id, localities=chosen)
    await _confirm(turn, "areas", areas=chosen)


async def nights(turn: Turn, argument: str) -> None:
    member = turn.member
    assert member is not None
    value = argument.strip().lower()
    if value not in ("on", "off", "yes", "no"):
        turn.reply(render("setting_how", setting="nights"), kind="setting_how")
        return
    on = value in ("on", "yes")
    await turn.uow.members.update_member(member.id, urgent_at_night=on)
    await _confirm(turn, "nights", on=on)


async def quiet(turn: Turn, argument: str) -> None:
    """QUIET 22:00-07:00, QUIET OFF, or QUIET POOL for the pool's own hours."""
    member = turn.member
    assert member is not None
    value = argument.strip().lower().replace(" to ", "-").replace(" ", "")
    if value in ("pool", "default", "normal"):
        hours = None
    elif value in ("off", "none", "no"):
        hours = "off"
    else:
        try:
            start, end = quiet_window(value)
        except ValueError:
            turn.reply(render("setting_how", setting="quiet"), kind="setting_how")
            return
        hours = f"{start:%H:%M}-{end:%H:%M}"
    await turn.uow.members.update_member(member.id, quiet_hours=hours)
    await _confirm(turn, "quiet", hours=hours, pool=turn.policy)


async def channel(turn: Turn, argument: str) -> None:
    member = turn.member
    assert member is not None
    wanted = CHANNEL_WORDS.get(argument.strip().lower())
    if wanted is None:
        turn.reply(render("setting_how", setting="channel"), kind="setting_how")
        return
    updated = await turn.uow.members.update_member(member.id, preferred_channel=wanted)
    found = reach(updated, turn.channels_on)
    if found is None or (found[0] != wanted and not (wanted == "sms" and found[0] == "sandbox")):
        # Not linked or not running: keep what they had, and say why.
        await turn.uow.members.update_member(member.id, preferred_channel=member.preferred_channel)
        turn.reply(render("setting_how", setting="channel_unavailable", wanted=wanted), kind="setting_how")
        return
    await _confirm(turn, "channel", wanted=wanted)


def _short(entry: str) -> str | None:
    """'tuesday-am' → 'tue-am'; None unless it names a day (and perhaps am or pm)."""
    name, _, half = entry.partition("-")
    day = day_name(name)
    if day is None or half not in ("", "am", "pm"):
        return None
    return day + (f"-{half}" if half else "")


async def _confirm(turn: Turn, setting: str, **values: object) -> None:
    assert turn.member is not None
    await turn.audit("setting_changed", f"member:{turn.member.id}", setting=setting)
    turn.reply(render("setting_changed", setting=setting, **values), kind="setting_changed")
