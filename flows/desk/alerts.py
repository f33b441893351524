"""How coordinators and practice managers hear about their sessions: each event as it happens
(``ALERTS NOW``, the default) or one digest a day at a time of their choosing (``ALERTS DAILY
17:00``), so a coordinator of a hundred sessions a week gets one text a day, not hundreds.

Urgent events never wait for a digest: a session left unfilled as its start passes, and within
48 hours of the start a drop, nobody left to offer it to, or everyone declining; and, sent by
their own flows, escalations and a crisis for the wellbeing lead.

A held event is one line in ``digest_items``; a timer per person at their time sends what has
gathered as one message (paged like any list on a text: MORE gives the rest for a day).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, time, timedelta

from bot.calendar import at_london
from bot.clock import london_date
from bot.commands import SetAlerts
from bot.domain import Member, Outbound, Practice, Session
from bot.engine import Engine, Turn
from bot.errors import Refused
from bot.phones import to_e164
from bot.ports import TimerRow
from bot.reach import reach
from flows.conversation import lists
from flows.conversation.messages import render
from flows.people import roles
from flows.shifts import escalation

DIGEST_TIMER = "alerts_digest"  # subject: the member's id
URGENT_WITHIN = timedelta(hours=48)
DEFAULT_AT = time(17, 0)
NOW = "now"
# Events in the order a digest counts them.
EVENTS = ("booked", "dropped", "cancelled", "declined", "nobody", "unfilled", "hours", "no_hours", "not_held")
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$")


def register(engine: Engine) -> None:
    engine.on_timer(DIGEST_TIMER, on_digest)
    engine.on_command(SetAlerts, set_for)
    lists.register("digest", _last_digest_listing)


# -- the setting --------------------------------------------------------------------------------


def parse(text: str) -> str:
    """'now', 'daily', 'daily 17:00', 'daily 5pm', 'daily at 8.30am' → 'now' or 'daily HH:MM';
    ValueError with how to write it otherwise."""
    words = text.strip().lower().split()
    if words in (["now"], ["immediately"], ["each"], ["every"], ["instant"]):
        return NOW
    if words and words[0] in ("daily", "digest"):
        rest = " ".join(w for w in words[1:] if w != "at")
        if not rest:
            return f"daily {DEFAULT_AT:%H:%M}"
        found = _TIME.match(rest.replace(" ", ""))
        if found:
            hour, minute, half = int(found[1]), int(found[2] or 0), found[3]
            if half and 1 <= hour <= 12:
                hour = hour % 12 + (12 if half == "pm" else 0)
            if hour <= 23 and minute <= 59 and not (half and hour > 23):
                return f"daily {hour:02}:{minute:02}"
    raise ValueError("alerts are 'now' or 'daily' with a time, like 'daily 17:00'")


def digest_at(alerts: str) -> time | None:
    """The London time of a member's daily digest, or None when they hear at once."""
    if alerts.startswith("daily "):
        return time.fromisoformat(alerts.removeprefix("daily "))
    return None


def follows_sessions(member: Member) -> bool:
    """Coordinators and practice managers hear about sessions (and so choose how)."""
    return member.is_coordinator or bool(roles.managed_practices(member))


async def change(turn: Turn, member: Member, alerts: str) -> Member:
    """Set how ``member`` hears. Anything held goes now when they switch to NOW, or at their
    new time when they move it."""
    updated = await turn.uow.members.update_member(member.id, alerts=alerts)
    await turn.uow.timers.cancel_timers(DIGEST_TIMER, str(member.id))
    if await turn.uow.digests.digest_waiting(member.id):
        at = digest_at(alerts)
        if at is None:
            await send_digest(turn, updated)
        else:
            await turn.uow.timers.add_timer(DIGEST_TIMER, str(member.id), next_at(turn.now, at), {}, turn.now)
    await turn.audit("alerts_set", f"member:{member.id}", alerts=alerts)
    return updated


async def by_text(turn: Turn, argument: str) -> None:
    """ALERTS (what they have), ALERTS NOW, ALERTS DAILY 17:00."""
    member = turn.member
    assert member is not None
    if not follows_sessions(member):
        turn.reply(render("alerts_how", follows=False), kind="setting_how")
        return
    if not argument.strip():
        turn.reply(render("alerts_how", follows=True, current=digest_at(member.alerts)), kind="setting_how")
        return
    try:
        alerts = parse(argument)
    except ValueError:
        current = digest_at(member.alerts)
        turn.reply(render("alerts_how", follows=True, current=current, unreadable=True), kind="setting_how")
        return
    await change(turn, member, alerts)
    turn.reply(render("setting_changed", setting="alerts", at=digest_at(alerts)), kind="setting_changed")


async def set_for(turn: Turn, command: SetAlerts) -> Member:
    """The CLI and the API: the member themselves or a coordinator."""
    by = await roles.actor(turn, command.by)
    try:
        member = await turn.uow.members.member_by_phone(to_e164(command.phone))
    except ValueError:
        member = None
    if member is None:
        raise Refused(f"No member has the phone number {command.phone}.", field="phone")
    if not (roles.is_coordinator(by) or (by is not None and by.id == member.id)):
        raise Refused("Sorry, only the member or a coordinator can change that.", field="role")
    try:
        alerts = parse(command.alerts)
    except ValueError as error:
        raise Refused(f"{error}.", field="alerts") from None
    return await change(turn, member, alerts)


# -- telling ------------------------------------------------------------------------------------


async def tell_followers(
    turn: Turn,
    session: Session,
    practice: Practice,
    text: str,
    event: str,
    member: Member | None = None,
    at_once: bool = False,
) -> None:
    """The session's practice managers and its poster (or the coordinators) hear ``text`` now,
    or, for those on a daily digest, one line about it then. The member whose own action this
    is hears in their reply instead."""
    assert event in EVENTS, event
    line = render("digest_line", event=event, session=session, practice=practice, member=member)
    for member_id in await escalation.practice_and_poster(turn, session):
        if member_id == turn.acting_member_id:
            continue
        follower = await turn.uow.members.member(member_id)
        at = digest_at(follower.alerts) if follower else None
        if at is None or at_once:
            turn.say(
                Outbound(text=text, member_id=member_id, kind="poster_update", topic=f"session:{session.id}")
            )
            continue
        await turn.uow.digests.hold_for_digest(member_id, session.id, event, line, turn.now)
        if not await turn.uow.timers.pending_timer(DIGEST_TIMER, str(member_id)):
            await turn.uow.timers.add_timer(DIGEST_TIMER, str(member_id), next_at(turn.now, at), {}, turn.now)


def soon(turn: Turn, session: Session) -> bool:
    """Within 48 hours of its start: what goes wrong now cannot wait for a digest."""
    return session.starts_at - turn.now < URGENT_WITHIN


def next_at(now: datetime, at: time) -> datetime:
    """The next moment it is ``at`` in London, after ``now``."""
    today = london_date(now)
    due = at_london(today, at)
    return due if due > now else at_london(today + timedelta(days=1), at)


# -- the digest ---------------------------------------------------------------------------------


async def on_digest(turn: Turn, timer: TimerRow) -> None:
    member = await turn.uow.members.member(int(timer.subject))
    if member is not None:
        await send_digest(turn, member)


async def send_digest(turn: Turn, member: Member) -> None:
    waiting = await turn.uow.digests.digest_waiting(member.id)
    if not waiting or await turn.uow.digests.mark_digest_sent([i for i, _, _ in waiting], turn.now) == 0:
        return
    found = reach(member, turn.channels_on)
    await lists.send(turn, member.id, found[0] if found else None, _listing(waiting), kind="digest")


def _listing(items: list[tuple[int, str, str]]) -> lists.Listing:
    counts = Counter(event for _, event, _ in items)
    return lists.Listing(
        "digest",
        header=render("digest_header", counts=[(e, counts[e]) for e in EVENTS if counts[e]]),
        lines=[line for _, _, line in items],
        chat_page=len(items),  # one message on a chat app, however long the day
        more_for=timedelta(days=1),
    )


async def _last_digest_listing(turn: Turn) -> lists.Listing:
    assert turn.member is not None
    return _listing(await turn.uow.digests.last_digest(turn.member.id))
