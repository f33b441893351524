"""The outbox dispatcher: sends committed messages, within each provider's limits.

Messages are claimed (queued → sending), handed to their channel, and the outcome recorded.
Transient failures (429 with Retry-After, 5xx, timeouts) go back to the queue with a later
``next_attempt_at``; after the last try a message is failed with its reason. A crash between
claiming and recording leaves rows in ``sending``; start-up puts them back in the queue, so
delivery is at least once and nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.log_limit import LogLimit
from bot.pacing import AddressGaps, Pacer
from bot.ports import (
    Channel,
    DispatchOutcome,
    OptedOut,
    OutboxMessage,
    RetryLater,
    SendResult,
    Sent,
    Store,
    Unreachable,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5
    first_delay: float = 2.0  # seconds; doubles each try
    max_delay: float = 300.0

    def delay(self, attempt: int) -> float:
        return min(self.max_delay, self.first_delay * 2 ** (attempt - 1))


class Dispatcher:
    def __init__(
        self,
        store: Store,
        channels: Mapping[str, Channel],
        clock: Clock,
        retry: RetryPolicy | None = None,
        poll_seconds: float = 5.0,
    ) -> None:
        self.store = store
        self.channels = dict(channels)
        self.clock = clock
        self.retry = retry or RetryPolicy()
        self.poll_seconds = poll_seconds
        self._pacers = {name: Pacer(clock, ch.limits.per_second) for name, ch in self.channels.items()}
        self._gaps = {
            name: AddressGaps(clock, ch.limits.per_address_interval) for name, ch in self.channels.items()
        }
        self._wake = asyncio.Event()
        self._pending: list[DispatchOutcome] = []
        self.log_limit = LogLimit()  # a provider down for a broadcast is one line a minute

    def wake(self) -> None:
        self._wake.set()

    def _batch_size(self) -> int:
        # Claim about two seconds' worth for the slowest channel, so a crash resends little.
        rates = [ch.limits.per_second for ch in self.channels.values() if ch.limits.per_second]
        return max(50, int(2 * min(rates))) if rates else 200

    async def run_once(self) -> int:
        """Send one batch of due messages; the number handled (0: nothing was due)."""
        if self._pending:  # outcomes a failed write left behind go first
            await self._flush()
        batch = await self.store.claim_outbox(self.clock.now(), self._batch_size())
        if not batch:
            return 0
        by_channel: dict[str, list[OutboxMessage]] = {}
        for message in batch:
            by_channel.setdefault(message.channel, []).append(message)
        await asyncio.gather(*(self._send_all(name, msgs) for name, msgs in by_channel.items()))
        await self._flush()
        return len(batch)

    async def drain(self) -> int:
        """Send until nothing is due now. Returns how many messages were handled."""
        total = 0
        while handled := await self.run_once():
            total += handled
        return total

    async def run_forever(self, stop: asyncio.Event, gather_seconds: float = 0.02) -> None:
        """Send as messages are committed. Woken from idle, it waits ``gather_seconds`` so that
        a burst of replies is claimed and recorded in a few transactions, not one each."""
        while not stop.is_set():
            try:
                if await self.run_once():
                    continue
                due = await self.store.next_outbox_due()
            except Exception as error:  # keep sending whatever one bad batch did
                self.log_limit.log(
                    log, logging.ERROR, "batch", "dispatcher batch failed: %s", type(error).__name__,
                    exc_info=error,
                )  # fmt: skip
                due = None
            timeout = self.poll_seconds
            if due is not None:
                timeout = min(timeout, max(0.0, (due - self.clock.now()).total_seconds()))
            self._wake.clear()
            waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
            await asyncio.sleep(gather_seconds)

    async def _send_all(self, channel_name: str, messages: list[OutboxMessage]) -> None:
        channel = self.channels.get(channel_name)
        if channel is None:
            for message in messages:
                self._pending.append(
                    DispatchOutcome(message.id, "failed", error=f"the {channel_name} channel is off")
                )
            return
        # One person's messages go in order, one at a time; different people in parallel.
        per_address: OrderedDict[str, list[OutboxMessage]] = OrderedDict()
        for message in messages:
            per_address.setdefault(message.address, []).append(message)
        in_flight = asyncio.Semaphore(channel.limits.max_in_flight)

        async def send_in_order(queue: list[OutboxMessage]) -> None:
            for index, message in enumerate(queue):
                async with in_flight:
                    outcome = await self._send_one(channel_name, channel, message)
                self._pending.append(outcome)
                if outcome.status == "queued":
                    # This person's later messages wait for the earlier one, to keep order.
                    self._pending.extend(
                        DispatchOutcome(
                            later.id,
                            "queued",
                            next_attempt_at=outcome.next_attempt_at,
                            attempted=False,
                        )
                        for later in queue[index + 1 :]
                    )
                    return
                # A paced provider (SMS) reports delivery within seconds, often before a batch
                # would be written: record each send at once so its reports find it.
                if channel.limits.per_second or len(self._pending) >= 200:
                    await self._flush()

        await asyncio.gather(*(send_in_order(queue) for queue in per_address.values()))

    async def _send_one(self, name: str, channel: Channel, message: OutboxMessage) -> DispatchOutcome:
        await self._gaps[name].wait_for(message.address)
        await self._pacers[name].wait_turn()
        try:
            result: SendResult = await channel.send(message)
        except Exception as error:  # an adapter bug must not lose the message
            self.log_limit.log(
                log, logging.ERROR, f"{name}:{type(error).__name__}", "%s send raised %s", name,
                type(error).__name__, exc_info=error,
            )  # fmt: skip
            result = RetryLater(f"{type(error).__name__}")
        attempt = message.attempts + 1
        match result:
            case Sent(provider_id, segments):
                return DispatchOutcome(message.id, "sent", provider_id=provider_id, segments=segments)
            case RetryLater(reason, after):
                if after is not None:
                    self._pacers[name].pause(after)
                if attempt >= self.retry.max_attempts:
                    return DispatchOutcome(
                        message.id, "failed", error=f"gave up after {attempt} tries: {reason}"
                    )
                delay = after if after is not None else self.retry.delay(attempt)
                return DispatchOutcome(
                    message.id,
                    "queued",
                    error=reason,
                    next_attempt_at=self.clock.now() + timedelta(seconds=delay),
                )
            case Unreachable(reason):
                return DispatchOutcome(message.id, "failed", error=reason)
            case OptedOut(reason):
                return DispatchOutcome(
                    message.id,
                    "failed",
                    error=f"opted out: {reason}",
                    opted_out_member=message.member_id,
                )
        raise AssertionError(f"unknown send result {result!r}")

    async def _flush(self) -> None:
        outcomes, self._pending = self._pending, []
        try:
            await self.store.record_dispatch(outcomes, self.clock.now())
        except BaseException:
            # Not written (another process held the lock, say): keep them for the next flush,
            # or the messages would stay "sending" with their provider ids lost.
            self._pending[:0] = outcomes
            raise
