"""What every engine's store does the same way on top of its units of work.

An engine (storage/sqlite, storage/postgres) says how a unit of work is opened, how a short
transaction is opened (the dispatcher's claims and records: on PostgreSQL these run READ
COMMITTED, where ``FOR UPDATE SKIP LOCKED`` lets workers take disjoint rows), how a whole
unit is retried, and how workers share locks and wake-ups. The dispatcher's transactions
themselves are the same on both and live here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, TypeVar

from bot.domain import DeliveryChange, Member
from bot.ports import DispatchOutcome, OutboxMessage, TimerRow

T = TypeVar("T")
log = logging.getLogger(__name__)


class StoreBase:
    def unit_of_work(self) -> AbstractAsyncContextManager[Any]:
        raise NotImplementedError

    def _short_unit(self) -> AbstractAsyncContextManager[Any]:
        """A short transaction of the dispatcher's or the timer loop's (claims, records)."""
        return self.unit_of_work()

    def reader(self) -> Any:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def transact(self, work: Callable[[Any], Awaitable[T]]) -> T:
        """Run ``work`` in one unit of work. An engine whose transactions can fail to serialise
        (PostgreSQL) runs the whole of it again; ``work`` must therefore keep its effects to the
        unit it is given (and whatever it returns)."""
        async with self.unit_of_work() as uow:
            return await work(uow)

    # -- shared between workers: one process has nothing to share ------------------------------

    async def try_lock(self, name: str) -> bool:
        """Hold the lock ``name`` for as long as this store is open (one dispatcher per
        channel, one runner of a job); False: another worker holds it."""
        return True

    async def unlock(self, name: str) -> None:
        return None

    async def listen(self, on_notice: Callable[[str], None]) -> None:
        """Call ``on_notice("outbox")`` / ``("timers")`` when another worker commits work for us."""
        return None

    # -- the dispatcher's short transactions -----------------------------------------------------

    async def claim_outbox(
        self, now: datetime, limit: int, lease_until: datetime, channel: str | None = None
    ) -> list[OutboxMessage]:
        async with self._short_unit() as uow:
            taken_over = await uow.outbox.take_over(now, channel)
            if taken_over:
                log.warning(
                    "%d messages were being sent by a worker that stopped; sending them again", taken_over
                )
            return await uow.outbox.claim(now, limit, channel, lease_until)

    async def record_dispatch(self, outcomes: Sequence[DispatchOutcome], now: datetime) -> None:
        if outcomes:
            async with self._short_unit() as uow:
                await uow.outbox.record_dispatch(outcomes, now)

    async def release_claims(self, claims: dict[int, datetime]) -> int:
        async with self._short_unit() as uow:
            return await uow.outbox.release(claims)

    async def release_timers(self, claims: dict[int, datetime]) -> int:
        async with self._short_unit() as uow:
            return await uow.timers.release(claims)

    async def record_delivery_report(
        self, channel: str, provider_id: str, status: str, rank: int, error_code: str | None, now: datetime,
        reason: str | None = None,
    ) -> tuple[bool, DeliveryChange | None]:  # fmt: skip
        return await self.transact(
            lambda uow: uow.messages.record_delivery_report(
                channel, provider_id, status, rank, error_code, now, reason
            )
        )

    async def undelivered(self, since: datetime) -> list[tuple[DeliveryChange, Member | None, datetime]]:
        return await self.reader().outbox.undelivered(since)

    async def fail_channels_off(self, channels_on: Collection[str]) -> list[int]:
        async with self._short_unit() as uow:
            return await uow.outbox.fail_channels_off(channels_on)

    async def next_outbox_due(self, channel: str | None = None) -> datetime | None:
        return await self.reader().outbox.next_due(channel)

    async def pause_channel(self, channel: str, until: datetime) -> None:
        async with self._short_unit() as uow:
            await uow.outbox.pause_channel(channel, until)

    async def channel_paused_until(self, channel: str) -> datetime | None:
        return await self.reader().outbox.paused_until(channel)

    async def claim_due_timers(self, now: datetime, limit: int, lease_until: datetime) -> list[TimerRow]:
        async with self._short_unit() as uow:
            return await uow.timers.claim_due(now, limit, lease_until)

    async def retry_timer_later(self, timer_id: int, error: str, due_at: datetime, give_up: bool) -> None:
        async with self._short_unit() as uow:
            await uow.timers.retry_later(timer_id, error, due_at, give_up)

    async def purge_message_bodies(self, before: datetime) -> int:
        async with self._short_unit() as uow:
            return await uow.outbox.purge_bodies(before)
