"""The work: sessions, the offers that put them to clinicians, and the bookings that fill them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from bot.domain import (
    Booking,
    Member,
    Offer,
    Practice,
    Session,
    SessionStatus,
)
from bot.ports.records import BoardRow, OfferTally, SessionView


class Sessions(Protocol):
    """Sessions: posted, found, changed, delivered."""

    async def session(self, session_id: int) -> Session | None: ...

    async def session_by_code(self, code: str) -> Session | None: ...

    async def sessions_between(self, start: datetime, end: datetime) -> list[Session]: ...

    async def session_view(self, session_id: int) -> SessionView | None: ...

    async def fill_board(self, start: datetime, end: datetime) -> list[BoardRow]:
        """Sessions starting in [start, end), soonest first, as the fill board shows them."""

    async def open_sessions(self, now: datetime) -> list[Session]:
        """Sessions still open and not yet started, soonest first."""

    async def session_by_slot(
        self, practice: str, starts_at: datetime, ends_at: datetime
    ) -> Session | None: ...

    async def first_session_posted(self) -> datetime | None: ...

    async def add_session(
        self,
        *,
        code: str,
        practice: str,
        starts_at: datetime,
        ends_at: datetime,
        rate_pence: int,
        urgent: bool,
        notes: str,
        posted_by: int | None,
        posted_via: str,
        now: datetime,
        professions: Sequence[str] = ("gp",),
    ) -> Session: ...

    async def session_code_taken(self, code: str) -> bool: ...

    async def set_session_status(
        self, session_id: int, status: SessionStatus, *, expect: SessionStatus, now: datetime
    ) -> bool: ...

    async def start_new_round(self, session_id: int) -> int: ...

    async def make_urgent(self, session_id: int) -> None: ...

    async def record_delivery(self, session_id: int, hours: float, now: datetime) -> bool:
        """A filled session went ahead: delivered, with the hours worked."""


class Offers(Protocol):
    """Offers: a session put to a GP, answered, lapsed or withdrawn."""

    async def offer(self, offer_id: int) -> Offer | None: ...

    async def offers_for_session(self, session_id: int) -> list[Offer]: ...

    async def offer_by_code(self, member_id: int, code: str) -> Offer | None: ...

    async def latest_answered_offer(self, member_id: int, since: datetime) -> Offer | None: ...

    async def open_offers(self, member_id: int) -> list[tuple[Offer, Session, Practice]]:
        """The member's open offers they have been told of, soonest session first."""

    async def offers_to_tell(self, member_id: int) -> list[tuple[Offer, Session, Practice]]:
        """Open offers waiting for their batch message, soonest session first."""

    async def offers_in_batch(self, batch: str) -> list[tuple[Offer, Session, Practice]]: ...

    async def offer_tally(self, session: Session, named: int) -> OfferTally:
        """This round's offers of a session counted, with the first ``named`` still waiting."""

    async def add_offers(
        self,
        session: Session,
        wave: int,
        rows: Sequence[tuple[int, str, str | None]],
        now: datetime,
        source: str = "wave",
        told: bool = True,
    ) -> list[Offer]:
        """``rows``: (member id, code, channel). One statement for the whole wave."""

    async def set_offer_channel(self, offer_id: int, channel: str) -> None: ...

    async def answer_offer(self, offer_id: int, state: str, answer: str | None, now: datetime) -> bool: ...

    async def mark_offers_told(self, offer_ids: Sequence[int], now: datetime, batch: str | None) -> None: ...

    async def reopen_declined_offer(self, offer_id: int) -> bool: ...

    async def reopen_offer(self, offer_id: int, state: str) -> bool:
        """Open again an offer that was declined or that lapsed (compare-and-set on ``state``)."""

    async def record_late_answer(self, offer_id: int, answer: str, now: datetime) -> None:
        """A reply to an offer already closed: kept for the figures, state unchanged."""

    async def withdraw_member_offers(self, member_id: int, now: datetime) -> list[Offer]: ...

    async def offers_of_member(self, member_id: int, limit: int) -> list[tuple[Offer, Session, Practice]]:
        """The member's offers, newest first."""

    async def expire_offers(
        self, session_id: int, round_: int, wave: int | None, made_by: datetime, now: datetime
    ) -> int:
        """Close a wave's (or, with None, a round's) open offers made by ``made_by`` as
        expired; how many."""

    async def withdraw_open_offers(self, session_id: int, now: datetime) -> list[tuple[Offer, str | None]]:
        """Close a session's open offers; each with the address its holder has on its channel."""

    async def codes_in_use(self, member_ids: Iterable[int], since: datetime) -> dict[int, set[str]]:
        """Codes a member could still send us: open offers, offers sent since ``since``, and
        live bookings."""


class Bookings(Protocol):
    """Bookings: a GP holding a session, until they drop it or it is cancelled."""

    async def live_booking(self, session_id: int) -> Booking | None: ...

    async def bookings_of_member(self, member_id: int, limit: int) -> list[tuple[Booking, Session, Practice]]:
        """The member's bookings (live, dropped or cancelled), latest session first."""

    async def upcoming_bookings(
        self, member_id: int, now: datetime
    ) -> list[tuple[Booking, Session, Practice]]: ...

    async def booking_by_code(self, member_id: int, code: str) -> Booking | None: ...

    async def bookings_between(self, start: datetime, end: datetime) -> list[tuple[Booking, Session, Member]]:
        """Live bookings of sessions starting in [start, end), with the session and the GP."""

    async def add_booking(
        self, *, session_id: int, member_id: int, offer_id: int | None, code: str, via: str, now: datetime
    ) -> Booking: ...

    async def end_booking(self, booking_id: int, state: str, now: datetime) -> bool: ...

    async def worked_at_before(self, member_id: int, practice: str, before: datetime) -> bool:
        """Whether the member had a session at the practice that started before ``before``."""
