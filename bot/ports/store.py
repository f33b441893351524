"""The store as the core sees it: a unit of work (one transaction) carrying every area's
repository, a read-only view with the same repositories, and the dispatcher's own short
transactions. A storage engine implements the small per-area protocols beside this module."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol, TypeVar

from bot.domain import DeliveryChange, Member
from bot.ports.channels import OutboxMessage
from bot.ports.desk import Audit, Inbox
from bot.ports.evidence import Evidence
from bot.ports.invoices import Invoices
from bot.ports.messaging import Digests, Messages, Outbox, Prompts
from bot.ports.money import Money
from bot.ports.pay import Pay
from bot.ports.peer import Groups, Mentoring
from bot.ports.people import Eligibility, Members, Practices
from bot.ports.records import DispatchOutcome, TimerRow
from bot.ports.shifts import Bookings, Offers, Sessions
from bot.ports.signin import SignIns
from bot.ports.timers import Timers
from bot.ports.wellbeing import Wellbeing
from bot.ports.whatsapp import WhatsApp

T = TypeVar("T")


class UnitOfWork(Protocol):
    """Every area's repository over one transaction: all of a turn's changes commit together
    or not at all (``uow.sessions.add_session(...)``, ``uow.outbox.enqueue(...)``)."""

    members: Members
    eligibility: Eligibility
    practices: Practices
    sessions: Sessions
    offers: Offers
    bookings: Bookings
    messages: Messages
    prompts: Prompts
    digests: Digests
    outbox: Outbox
    timers: Timers
    inbox: Inbox
    audit: Audit
    groups: Groups
    mentoring: Mentoring
    wellbeing: Wellbeing
    money: Money
    pay: Pay
    invoices: Invoices
    signins: SignIns
    evidence: Evidence
    whatsapp: WhatsApp

    def notify(self, topic: str) -> None:
        """Once this commits, tell the other workers there is new work ("outbox", "timers")."""

    async def lock(self, name: str) -> None:
        """Hold ``name`` until this unit ends: units doing the same thing take turns."""


class Reader(UnitOfWork, Protocol):
    """The same repositories outside a transaction, for reads that need none (the API, the
    timer loop's polling); a write through a reader is refused."""


class Store(Protocol):
    def unit_of_work(self) -> AbstractAsyncContextManager[UnitOfWork]: ...
    def reader(self) -> Reader: ...

    async def transact(self, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """Run ``work`` in one unit of work; on PostgreSQL the whole of it runs again when it
        could not be serialised with another worker's (SQLSTATE 40001), so ``work`` keeps its
        effects to its unit."""

    # Shared between workers on one database (storage/postgres); one process holds them all.
    async def try_lock(self, name: str) -> bool:
        """Hold ``name`` while this store is open: one dispatcher per channel, one runner of a
        job. False: another worker holds it (it is freed when that worker stops or dies)."""

    async def unlock(self, name: str) -> None: ...

    async def listen(self, on_notice: Callable[[str], None]) -> None:
        """Be told ("outbox", "timers") when another worker commits work for us."""

    # The dispatcher's and the timer loop's own short transactions.
    async def claim_outbox(
        self, now: datetime, limit: int, lease_until: datetime, channel: str | None = None
    ) -> list[OutboxMessage]: ...
    async def record_dispatch(self, outcomes: Sequence[DispatchOutcome], now: datetime) -> None: ...
    async def release_claims(self, claims: dict[int, datetime]) -> int: ...
    async def release_timers(self, claims: dict[int, datetime]) -> int: ...
    async def pause_channel(self, channel: str, until: datetime) -> None: ...
    async def channel_paused_until(self, channel: str) -> datetime | None: ...
    async def claim_due_timers(self, now: datetime, limit: int, lease_until: datetime) -> list[TimerRow]: ...
    async def next_outbox_due(self, channel: str | None = None) -> datetime | None: ...
    async def record_delivery_report(
        self, channel: str, provider_id: str, status: str, rank: int, error_code: str | None, now: datetime,
        reason: str | None = None,
    ) -> tuple[bool, DeliveryChange | None]:  # fmt: skip
        """Keep the report (False when it was seen before) and move the message on if it is
        known and the report is newer news than what it has. ``reason``: the code in words."""

    async def fail_channels_off(self, channels_on: Collection[str]) -> list[int]:
        """Queued messages on a channel no longer on fail (their ids), so fallbacks can run."""

    async def undelivered(self, since: datetime) -> list[tuple[DeliveryChange, Member | None, datetime]]: ...
    async def retry_timer_later(self, timer_id: int, error: str, due_at: datetime, give_up: bool) -> None: ...
    async def purge_message_bodies(self, before: datetime) -> int: ...
    async def close(self) -> None: ...
