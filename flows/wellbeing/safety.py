"""The crisis rule: a message that suggests risk to life gets crisis signposting at once and
goes to the named wellbeing lead only (never the coordinators' inbox), on every channel and in
every flow. The phrases and the signposting live in config/safety.toml."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import timedelta

from bot.domain import Member, Outbound
from bot.engine import Turn
from bot.phones import masked
from bot.policy import PoolPolicy
from bot.ports import Reader
from bot.reach import reach
from bot.replies import normalise
from flows.conversation.messages import render
from flows.desk import inbox

log = logging.getLogger(__name__)

NO_LEAD_WARNING = (
    "no wellbeing lead: POOL_WELLBEING_LEAD is unset or not a member's phone, so a message "
    "suggesting a risk to life gets crisis signposting and no one else hears of it"
)
NO_LEAD_ALERT_QUIET = timedelta(hours=24)  # the coordinators hear of it at most once a day


async def wellbeing_lead(reader: Reader, policy: PoolPolicy) -> Member | None:
    """The named wellbeing lead (POOL_WELLBEING_LEAD), when that phone is a member's."""
    if not policy.wellbeing_lead_phone:
        return None
    return await reader.members.member_by_phone(policy.wellbeing_lead_phone)


class SafetyScreen:
    def __init__(
        self,
        crisis: Sequence[str],
        signposting: Sequence[str],
        distress: Sequence[str] = (),
        distress_reply: Sequence[str] = (),
    ) -> None:
        # One alternation each: every message is screened, so one pass, not one per phrase.
        self._crisis = _either(crisis)
        self._distress = _either(distress)
        self.signposting = tuple(signposting)
        self.distress_reply = tuple(distress_reply)

    def matches(self, text: str) -> bool:
        """A risk to life: crisis signposting, and the wellbeing lead is told."""
        return self._crisis is not None and self._crisis.search(normalise(text)) is not None

    def distressed(self, text: str) -> bool:
        """Personal distress short of crisis: a kind reply, and it goes to nobody."""
        return self._distress is not None and self._distress.search(normalise(text)) is not None

    async def respond_to_distress(self, turn: Turn) -> None:
        turn.reply(render("distress", support=self.distress_reply), kind="distress")
        await turn.audit("distress_signposted", f"member:{turn.member.id}" if turn.member else "unknown")

    async def respond(self, turn: Turn) -> None:
        inbound = turn.inbound
        assert inbound is not None
        if turn.member is None and not inbox.textable_stranger(inbound):
            # A text to a premium or foreign number is what SMS pumping wants; the help we
            # signpost is in the UK, by phone, and a landline cannot read a text.
            await turn.audit("crisis_not_signposted", inbound.channel, reason="not a UK mobile")
            return
        lead = named = await wellbeing_lead(turn.uow, turn.policy)
        if lead is not None and turn.member is not None and lead.id == turn.member.id:
            lead = None  # the lead writing in themselves: signpost, tell nobody else
        turn.reply(
            render("crisis", signposting=self.signposting, lead_name=lead.name if lead else ""),
            kind="crisis",
        )
        sender = turn.member
        if lead is not None:
            turn.say(
                Outbound(
                    text=render(
                        "crisis_lead",
                        name=sender.name if sender else "Someone not registered",
                        contact=sender.phone if sender else inbound.address,
                        text=inbound.said,
                    ),
                    member_id=lead.id,
                    kind="crisis_lead",
                )
            )
        elif named is None:
            log.warning(
                "crisis signposting sent to %s; no wellbeing lead to tell "
                "(POOL_WELLBEING_LEAD unset or not a member)",
                masked(inbound.address),
            )
            await _warn_coordinators(turn)
        await turn.audit(
            "crisis_signposted",
            f"member:{sender.id}" if sender else inbound.channel,
            lead_told=lead is not None,
        )


async def _warn_coordinators(turn: Turn) -> None:
    """No lead is named: the coordinators hear that such a message came and that nobody could
    be told (DESIGN.md: the message itself goes only to the named lead, so not who, nor what),
    at most once a day each, so the pool names one."""
    for coordinator in await turn.uow.members.members_with_role("coordinator"):
        found = reach(coordinator, turn.channels_on)
        since = turn.now - NO_LEAD_ALERT_QUIET
        if found is None or await turn.uow.messages.recent_outbound_to(*found, "crisis_no_lead", since):
            continue
        turn.say(Outbound(text=render("crisis_no_lead"), member_id=coordinator.id, kind="crisis_no_lead"))


def _either(patterns: Sequence[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns)) if patterns else None
