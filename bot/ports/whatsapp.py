"""WhatsApp per member: the opt-in (recorded, never assumed) and the 24-hour window."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

# Twilio's WhatsApp error codes the core acts on, by meaning (adapters/whatsapp.py maps them).
OUTSIDE_WINDOW = "63016"  # free-form outside the 24-hour window: the template, or another channel
NOT_ON_WHATSAPP = frozenset({"63003", "63024"})  # the number is not on WhatsApp: SMS may still reach them
MISCONFIGURED = frozenset({"63007", "63027"})  # the pool's sender or template: tell the coordinators
WINDOW = timedelta(hours=24)  # WhatsApp's customer service window after their last message
OPT_IN_SOURCES = ("keyword", "inbound", "console")


@dataclass(frozen=True, slots=True)
class WhatsAppState:
    """One member's WhatsApp facts. ``number`` is E.164 (their phone unless set otherwise)."""

    member_id: int
    number: str
    requested_at: datetime | None = None  # asked by WHATSAPP elsewhere, not yet confirmed
    opted_in_at: datetime | None = None
    opt_in_source: str | None = None  # one of OPT_IN_SOURCES
    last_inbound_at: datetime | None = None
    unreachable_at: datetime | None = None  # WhatsApp said the number is not on WhatsApp

    @property
    def opted_in(self) -> bool:
        return self.opted_in_at is not None

    @property
    def reachable(self) -> bool:
        """Opted in and not known to be off WhatsApp: the pool may message them there."""
        return self.opted_in and self.unreachable_at is None

    def window_closes_at(self) -> datetime | None:
        return self.last_inbound_at + WINDOW if self.last_inbound_at else None

    def in_window(self, now: datetime) -> bool:
        """Within 24 hours of their last message on WhatsApp: free-form messages may go."""
        closes = self.window_closes_at()
        return closes is not None and now < closes

    def window_state(self, now: datetime) -> str:
        """What a coordinator sees: 'not opted in', 'asked' (not confirmed yet), 'unreachable',
        'open' (free-form messages may go until window_closes_at) or 'closed' (templates only)."""
        if not self.opted_in:
            return "asked" if self.requested_at else "not opted in"
        if self.unreachable_at is not None:
            return "unreachable"
        return "open" if self.in_window(now) else "closed"


class WhatsApp(Protocol):
    """Each member's WhatsApp opt-in and window."""

    async def state(self, member_id: int) -> WhatsAppState | None: ...

    async def states(self, member_ids: Iterable[int]) -> dict[int, WhatsAppState]: ...

    async def note_inbound(self, member_id: int, number: str, now: datetime) -> WhatsAppState:
        """They wrote on WhatsApp from ``number``: their window opens for 24 hours, the number
        is theirs and reachable; the first message opts them in ('keyword' when they had asked
        by keyword, else 'inbound'). Returns the state before this message."""

    async def request(self, member_id: int, number: str, now: datetime) -> None:
        """They asked for WhatsApp on another channel: pending until they confirm there."""

    async def opt_in(self, member_id: int, number: str, source: str, now: datetime) -> bool:
        """Opted in from ``source`` (kept with the time); False when they already were."""

    async def set_number(self, member_id: int, number: str) -> None: ...

    async def mark_unreachable(self, member_id: int, now: datetime) -> bool:
        """WhatsApp says the number is not on WhatsApp; False when already marked."""


@dataclass(frozen=True, slots=True)
class WhatsAppView:
    """A member's WhatsApp as the console, the API and the CLI show it (WhatsAppStatus)."""

    phone: str  # their phone, which names them in commands
    name: str
    state: WhatsAppState  # a blank one (their phone as the number) when nothing is recorded
    status: str  # state.window_state(now), or 'opted out' after a WhatsApp STOP
    opted_out_at: datetime | None  # their WhatsApp STOP (or a coordinator's opt-out)
    preferred: bool  # WhatsApp is their preferred channel
    enabled: bool  # the pool has a WhatsApp sender (TWILIO_WHATSAPP_FROM)

    @property
    def window_closes_at(self) -> datetime | None:
        return self.state.window_closes_at()
