"""What an undelivered message needs: an offer that could not be delivered (a provider's
report, or a send that failed for good: a blocked bot, an opt-out, a bad number) goes at once
to the member's next reachable channel, and the offer records the channel it went by;
otherwise the coordinators see that the GP could not be reached, and why (``main.py
unreachable``, ``GET /api/unreachable``)."""

from __future__ import annotations

from bot.domain import DeliveryChange, OfferState, Outbound
from bot.engine import Engine, Turn
from bot.reach import reach


def register(engine: Engine) -> None:
    engine.on_undelivered = on_undelivered


async def on_undelivered(turn: Turn, change: DeliveryChange) -> None:
    if change.member_id is None or change.kind != "offer" or not (change.topic or "").startswith("offer:"):
        return
    offer = await turn.uow.offers.offer(int(str(change.topic).split(":", 1)[1]))
    if offer is None or offer.state != OfferState.OPEN:
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
    await turn.uow.offers.set_offer_channel(offer.id, channel)
    turn.say(
        Outbound(
            text=change.text or "",
            member_id=member.id,
            choices=change.choices,
            channel=channel,
            address=address,
            kind="offer",
            topic=change.topic,
        )
    )
    await turn.audit(
        "offer_fallback", f"member:{member.id}", channel, failed=change.channel, code=change.error_code or ""
    )
