"""The keywords every channel understands: HELP, OFFERS, BOOKINGS, DROP, PAUSE, RESUME,
SETTINGS, STOP and START (START only as the carrier's own opt-in word)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.clock import LONDON, london_date
from bot.commands import BroadcastUrgent
from bot.dates import parse_day
from bot.domain import Choice, Member
from bot.engine import Engine, Turn
from bot.errors import Refused
from bot.ports import TimerRow
from bot.reach import reach
from bot.replies import Keyword
from flows.conversation import lists, messages
from flows.conversation.messages import render
from flows.desk import actions, alerts
from flows.money import expenses, invoices, signoff
from flows.peer import groups, mentoring, nudges
from flows.people import settings, whatsapp
from flows.shifts import availability, booking, lookup, offers, open_sessions
from flows.wellbeing import checkins

PAUSE_END_TIMER = "pause_end"
PAUSE_ENDS_AT = time(8, 0)  # London time, the morning after the last day away


def register(engine: Engine) -> None:
    engine.on_timer(PAUSE_END_TIMER, on_pause_end)


# SETTINGS says when it is the sandbox standing in for texts.
SETTINGS_CHANNEL_NAMES = {**messages.CHANNEL_NAMES, "sandbox": "text (sandbox)"}


async def handle(turn: Turn, keyword: Keyword) -> bool:
    """Act on a keyword; False when it is one this pool does not offer yet."""
    match keyword.name:
        case "HELP":
            # On a chat app, a tap lists what is open (by text the help names OPEN).
            on_chat = turn.inbound is not None and turn.inbound.channel in lists.CHAT_CHANNELS
            choices = (Choice("Open sessions you can take", "OPEN"),) if on_chat else ()
            turn.reply(render("help"), choices=choices, kind="help")
        case "OFFERS":
            await booking.list_offers(turn)
        case "BOOKINGS":
            await booking.list_bookings(turn)
        case "OPEN":
            await open_sessions.show(turn)
        case "MORE":
            await lists.more(turn)
        case "DROP":
            await booking.drop(turn, keyword.code)
        case "PAUSE":
            await pause(turn, keyword.argument)
        case "RESUME":
            await resume(turn)
        case "SETTINGS":
            await show_settings(turn)
        case "STOP":
            await opt_out(turn)
        case "START":
            await opt_in(turn)
        case "AVAILABLE":
            await availability.available(turn, keyword.argument)
        case "CAP":
            await settings.cap(turn, keyword.argument)
        case "DAYS":
            await settings.days(turn, keyword.argument)
        case "AREAS":
            await settings.areas(turn, keyword.argument)
        case "NIGHTS":
            await settings.nights(turn, keyword.argument)
        case "CHANNEL":
            await settings.channel(turn, keyword.argument)
        case "QUIET":
            await settings.quiet(turn, keyword.argument)
        case "ALERTS":
            await alerts.by_text(turn, keyword.argument)
        case "QUERY":
            return await signoff.query_by_text(turn, keyword.argument)
        case "MILES":
            await expenses.miles_by_text(turn, keyword.argument)
        case "PAID":
            return await invoices.paid_by_text(turn, keyword.argument.lstrip("#"))
        case "URGENT":
            await urgent(turn, keyword.argument)
        case "REMATCH":
            await mentoring.rematch(turn)
        case "NUDGES":
            await nudges.set_muted(turn, keyword.argument)
        case "GROUPS":
            await groups.list_sessions(turn)
        case "MENTOR":
            await mentoring.request_mentor(turn, keyword.argument)
        case "CHECKIN":
            await checkins.set_cadence(turn, keyword.argument)
        case "CHECKINS":
            await checkins.show_trend(turn)
        case "WHATSAPP":
            return await whatsapp.keyword(turn, keyword.argument)
        case "FORGET":
            if not await checkins.forget(turn, keyword.argument):
                return False
        case _:
            return False
    return True


async def urgent(turn: Turn, code: str) -> None:
    """A coordinator (or the practice's manager) re-broadcasts an open session as urgent."""
    assert turn.member is not None
    try:
        sent = await actions.broadcast_urgent(turn, BroadcastUrgent(code, by=turn.member.id))
    except Refused as refusal:
        turn.reply(render("refused", message=refusal.message), kind="refused")
        return
    session, _ = await lookup.session_and_practice(turn, code)
    turn.reply(
        render("urgent_sent", code=code, sent=sent, **messages.who(turn.policy.professions, session)),
        kind="urgent_sent",
    )


async def pause(turn: Turn, argument: str) -> None:
    member = turn.member
    assert member is not None
    today = london_date(turn.now)
    until = parse_day(argument, today) if argument else None
    if until is None or until < today:
        turn.reply(render("pause_which_day", past=until is not None), kind="pause_which_day")
        return
    await turn.uow.members.set_paused_until(member.id, until)
    # Offers they hold could not be booked while paused: close them so others get a turn.
    withdrawn = await turn.uow.offers.withdraw_member_offers(member.id, turn.now)
    await offers.after_offers_closed(turn, (o.session_id for o in withdrawn))
    await turn.uow.timers.cancel_timers(PAUSE_END_TIMER, str(member.id))
    back = until + timedelta(days=1)
    await turn.uow.timers.add_timer(
        PAUSE_END_TIMER, str(member.id), datetime.combine(back, PAUSE_ENDS_AT, tzinfo=LONDON), {}, turn.now
    )
    await turn.audit("member_paused", f"member:{member.id}", until=until.isoformat())
    turn.reply(render("paused", until=until), kind="paused")


async def resume(turn: Turn) -> None:
    member = turn.member
    assert member is not None
    was_paused = member.paused_until is not None and member.paused_until >= london_date(turn.now)
    await turn.uow.members.set_paused_until(member.id, None)
    await turn.uow.timers.cancel_timers(PAUSE_END_TIMER, str(member.id))
    await turn.audit("member_resumed", f"member:{member.id}")
    turn.reply(render("resumed", was_paused=was_paused), kind="resumed")
    await offers.offer_open_sessions_to(turn, await fresh(turn, member.id))


async def on_pause_end(turn: Turn, timer: TimerRow) -> None:
    """The morning after a pause: open sessions they fit reach them."""
    member = await turn.uow.members.member(int(timer.subject))
    if member is not None and (member.paused_until is None or member.paused_until < london_date(turn.now)):
        await offers.offer_open_sessions_to(turn, member)


async def fresh(turn: Turn, member_id: int) -> Member:
    member = await turn.uow.members.member(member_id)
    assert member is not None
    return member


async def show_settings(turn: Turn) -> None:
    member = turn.member
    assert member is not None
    found = reach(member, turn.channels_on)
    channel = SETTINGS_CHANNEL_NAMES.get(found[0], found[0]) if found else "no channel (ask your coordinator)"
    turn.reply(render("settings", member=member, channel=channel), kind="settings")


async def opt_out(turn: Turn, confirm: bool = True) -> None:
    member, inbound = turn.member, turn.inbound
    assert member is not None and inbound is not None
    await turn.uow.members.opt_out(member.id, inbound.channel, turn.now)
    await turn.audit("opted_out", f"member:{member.id}")
    if confirm:
        turn.reply(render("opted_out", pool_name=turn.policy.pool_name), kind="opted_out")
    if reach(await fresh(turn, member.id), turn.channels_on) is None:
        # No channel reaches them now: the offers they hold go to others.
        withdrawn = await turn.uow.offers.withdraw_member_offers(member.id, turn.now)
        await offers.after_offers_closed(turn, (o.session_id for o in withdrawn))


async def opt_in(turn: Turn, confirm: bool = True) -> None:
    member, inbound = turn.member, turn.inbound
    assert member is not None and inbound is not None
    changed = await turn.uow.members.opt_in(member.id, inbound.channel)
    if confirm:
        turn.reply(render("opted_in", changed=changed, pool_name=turn.policy.pool_name), kind="opted_in")
    if changed:
        await turn.audit("opted_in", f"member:{member.id}")
        await offers.offer_open_sessions_to(turn, await fresh(turn, member.id))
