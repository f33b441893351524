"""What an undelivered message needs: an offer that could not be delivered (a provider's
report, or a send that failed for good: a blocked bot, an opt-out, a bad number) goes at once
to the member's next reachable channel, and the offer records the channel it went by;
otherwise the coordinators see that the GP could not be reached, and why (``main.py
unreachable``, ``GET /api/unreachable``).

WhatsApp's refusals are handled by meaning (issue 27), for any message, not only offers:
outside the 24-hour window (63016) it goes again as its template, or by the member's other
channel when it has none; not on WhatsApp (63003, 63024) marks their WhatsApp unreachable and
it goes by their other channel; the pool's sender or template misconfigured (63007, 63027)
tells the coordinators once a day for each code, and it goes by the other channel."""

from __future__ import annotations

from datetime import timedelta

from bot.domain import DeliveryChange, OfferState, Outbound
from bot.engine import Engine, Turn
from bot.ports.whatsapp import MISCONFIGURED, NOT_ON_WHATSAPP, OUTSIDE_WINDOW
from bot.reach import reach
from bot.whatsapp_window import WHATSAPP_ONLY
from flows.conversation.messages import render

MISCONFIGURED_ALERT = "whatsapp_misconfigured"  # kind of the coordinators' alert; topic names the code
ALERT_QUIET = timedelta(hours=24)  # one alert a code a day, however many messages fail


def register(engine: Engine) -> None:
    engine.on_undelivered = on_undelivered


async def on_undelivered(turn: Turn, change: DeliveryChange) -> None:
    code = change.error_code or ""
    if change.channel == "whatsapp" and change.member_id is not None:
        if code == OUTSIDE_WINDOW and not change.templated:
            await _as_template(turn, change)
            return
        if code in NOT_ON_WHATSAPP or code in MISCONFIGURED or code == OUTSIDE_WINDOW:
            await _whatsapp_refused(turn, change, code)
            return
    if change.member_id is None or change.kind != "offer" or not (change.topic or "").startswith("offer:"):
        return
    if not await _still_wanted(turn, change):
        return  # answered, filled or withdrawn meanwhile: nothing to chase
    member = await turn.uow.members.member(change.member_id)
    assert member is not None
    # Another real channel: not the one that failed, and not the sandbox (nobody reads it).
    others = [c for c in turn.channels_on if c not in (change.channel, "sandbox")]
    found = reach(member, others)
    if found is None:
        await turn.audit(
            "offer_unreachable", f"member:{member.id}", change.channel, code=change.error_code or ""
        )
        return
    channel, address = found
    await _resend(turn, change, channel, address)
    await turn.audit(
        "offer_fallback", f"member:{member.id}", channel, failed=change.channel, code=change.error_code or ""
    )


async def _still_wanted(turn: Turn, change: DeliveryChange) -> bool:
    """An offer only while it is open; anything else always."""
    if change.kind != "offer" or not (change.topic or "").startswith("offer:"):
        return True
    offer = await turn.uow.offers.offer(int(str(change.topic).split(":", 1)[1]))
    return offer is not None and offer.state == OfferState.OPEN


async def _as_template(turn: Turn, change: DeliveryChange) -> None:
    """WhatsApp says the window is closed (63016), whatever our record said: again on WhatsApp,
    where the engine sends it as its template, or by the member's other channel without one."""
    if not await _still_wanted(turn, change):
        return
    turn.say(
        Outbound(
            text=change.text or "", member_id=change.member_id, choices=change.choices, channel="whatsapp",
            address=change.address, kind=change.kind, topic=change.topic, variables=change.variables,
            window_closed=True,
        )
    )  # fmt: skip
    await turn.audit("whatsapp_outside_window", f"member:{change.member_id}", "whatsapp", kind=change.kind)


async def _whatsapp_refused(turn: Turn, change: DeliveryChange, code: str) -> None:
    """Not on WhatsApp, the pool's set-up, or a template refused outside the window: by the
    member's other channel."""
    assert change.member_id is not None
    if code in NOT_ON_WHATSAPP and await turn.uow.whatsapp.mark_unreachable(change.member_id, turn.now):
        await turn.audit("whatsapp_unreachable", f"member:{change.member_id}", "whatsapp", code=code)
    if code in MISCONFIGURED:
        await _alert_misconfigured(turn, code, change.error)
    if change.kind in WHATSAPP_ONLY or not await _still_wanted(turn, change):
        return
    member = await turn.uow.members.member(change.member_id)
    if member is None:
        return
    found = reach(member, [c for c in turn.channels_on if c not in ("whatsapp", "sandbox")])
    if found is None:
        await turn.audit("whatsapp_fallback_failed", f"member:{member.id}", "whatsapp", code=code)
        return
    channel, address = found
    await _resend(turn, change, channel, address)
    await turn.audit("whatsapp_fallback", f"member:{member.id}", channel, code=code, kind=change.kind)


async def _resend(turn: Turn, change: DeliveryChange, channel: str, address: str) -> None:
    if change.kind == "offer" and (change.topic or "").startswith("offer:"):
        await turn.uow.offers.set_offer_channel(int(str(change.topic).split(":", 1)[1]), channel)
    turn.say(
        Outbound(
            text=change.text or "", member_id=change.member_id, choices=change.choices, channel=channel,
            address=address, kind=change.kind, topic=change.topic,
        )
    )  # fmt: skip


async def _alert_misconfigured(turn: Turn, code: str, meaning: str | None) -> None:
    """The pool's WhatsApp sender or a template is not set up (63007, 63027): the coordinators
    hear once a day for each code (the stranger-flood alert's way: its messages are the record)."""
    topic = f"whatsapp_error:{code}"
    if await turn.uow.messages.alerted_since(MISCONFIGURED_ALERT, topic, turn.now - ALERT_QUIET):
        return
    coordinators = await turn.uow.members.members_with_role("coordinator")
    text = render(MISCONFIGURED_ALERT, code=code, meaning=meaning or "")
    for coordinator in coordinators:
        turn.say(Outbound(text=text, member_id=coordinator.id, kind=MISCONFIGURED_ALERT, topic=topic))
    await turn.audit(MISCONFIGURED_ALERT, "pool", "whatsapp", code=code)
