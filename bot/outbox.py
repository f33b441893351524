"""The outbox dispatcher: sends committed messages, within each provider's limits.

Messages are claimed (queued → sending, for a lease), handed to their channel, and the outcome
recorded. Transient failures (429 with Retry-After, 5xx, timeouts) go back to the queue with a
later ``next_attempt_at``; after the last try a message is failed with its reason. A crash
between claiming and recording leaves rows in ``sending``; when their lease runs out the next
claim puts them back in the queue, so delivery is at least once and nothing is lost.

Several workers may share one store (PostgreSQL): each channel is sent by one of them at a time,
the holder of the channel's lock, so the channel's rate limit holds; the others stand by and
take over when it stops. A provider's "slow down" is kept in the store for whoever sends next.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

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
        lease: timedelta = timedelta(minutes=2),
    ) -> None:
        self.store = store
        self.channels = dict(channels)
        self.clock = clock
        self.retry = retry or RetryPolicy()
        self.poll_seconds = poll_seconds
        self.lease = lease
        self._holding: set[str] = set()  # channels this worker sends on now (their lock held)
        self._claimed: dict[int, datetime] = {}  # messages claimed and not yet written down: their lease
        self._pacers = {name: Pacer(clock, ch.limits.per_second) for name, ch in self.channels.items()}
        self._gaps = {
            name: AddressGaps(clock, ch.limits.per_address_interval) for name, ch in self.channels.items()
        }
        self._wakes = {name: asyncio.Event() for name in self.channels}
        self._batches = {name: asyncio.Lock() for name in self.channels}
        self._pending: list[DispatchOutcome] = []
        # Told the ids of messages given up on, once that is written (an offer's fallback).
        self.on_failed: Callable[[list[int]], Awaitable[None]] | None = None
        self.log_limit = LogLimit()  # a provider down for a broadcast is one line a minute

    def wake(self) -> None:
        for event in self._wakes.values():
            event.set()

    def batch_size(self, channel_name: str) -> int:
        """Half a second's worth of a paced channel (so a message committed now waits at most
        that long behind what is already in flight, whatever its priority); 100 otherwise, which
        keeps one batch's claim and record well under 50 ms of the loop."""
        rate = self.channels[channel_name].limits.per_second
        return max(1, round(rate / 2)) if rate else 100

    async def run_once(self, channel_name: str | None = None) -> int:
        """Send one batch of due messages of one channel (or one of each, at once); the number
        handled (0: nothing was due)."""
        if self._pending:  # outcomes a failed write left behind go first
            await self._flush()
        names = [channel_name] if channel_name else list(self.channels)
        counts = await asyncio.gather(*(self._one_batch(name) for name in names))
        return sum(counts)

    async def _one_batch(self, name: str) -> int:
        # One batch of a channel at a time, even when several callers drain at once: a
        # person's later message must not overtake an earlier one in a batch still going.
        async with self._batches[name]:
            if not await self._hold(name):
                return 0
            now = self.clock.now()
            batch = await self.store.claim_outbox(
                now, self.batch_size(name), channel=name, lease_until=now + self.lease
            )
            if not batch:
                return 0
            self._claimed.update((message.id, now + self.lease) for message in batch)
            await self._send_all(name, batch)
            await self._flush()
            return len(batch)

    async def _hold(self, name: str) -> bool:
        """Whether this worker sends on ``name`` now: it holds the channel's lock. Taking it
        over from another worker, it first honours the pause that worker was told to keep, and
        waits one per-person gap (a person's last message may have just gone from there)."""
        if not await self.store.try_lock(f"dispatch:{name}"):
            self._holding.discard(name)
            return False
        if name not in self._holding:
            self._holding.add(name)
            paused = await self.store.channel_paused_until(name)
            wait = self.channels[name].limits.per_address_interval
            if paused is not None:
                wait = max(wait, (paused - self.clock.now()).total_seconds())
            if wait > 0:
                self._pacers[name].pause(wait)
        return True

    async def drain(self) -> int:
        """Send until nothing is due now. Returns how many messages were handled."""
        total = 0
        while handled := await self.run_once():
            total += handled
        return total

    async def run_forever(self, stop: asyncio.Event, gather_seconds: float = 0.02) -> None:
        """Send as messages are committed, each channel on its own: a slow channel's backlog
        never holds back another's messages."""
        await asyncio.gather(*(self._run_channel(name, stop, gather_seconds) for name in self.channels))

    async def _run_channel(self, name: str, stop: asyncio.Event, gather_seconds: float) -> None:
        """Woken from idle, it waits ``gather_seconds`` so that a burst of replies is claimed
        and recorded in a few transactions, not one each."""
        wake = self._wakes[name]
        while not stop.is_set():
            try:
                if await self.run_once(name):
                    continue
                # Standing by (another worker sends on this channel): look again at the next poll.
                due = await self.store.next_outbox_due(name) if name in self._holding else None
            except Exception as error:  # keep sending whatever one bad batch did
                self.log_limit.log(
                    log, logging.ERROR, f"batch:{name}", "%s dispatcher batch failed: %s", name,
                    type(error).__name__, exc_info=error,
                )  # fmt: skip
                due = None
            timeout = self.poll_seconds
            if due is not None:
                timeout = min(timeout, max(0.0, (due - self.clock.now()).total_seconds()))
            wake.clear()
            waiters = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
            await asyncio.sleep(gather_seconds)

    async def _send_all(self, channel_name: str, messages: list[OutboxMessage]) -> None:
        """Send a claimed batch. Each turn the pacer gives goes to the first message, in claim
        order (the most pressing person first), that can go now: its person has nothing
        earlier still waiting or in flight, and their own gap (Telegram: a second a chat) has
        passed. Different people's messages are in flight at once, up to the channel's limit."""
        channel = self.channels[channel_name]
        gaps, pacer = self._gaps[channel_name], self._pacers[channel_name]
        waiting = list(messages)
        busy: set[str] = set()  # people with a message in flight
        running: set[asyncio.Task[None]] = set()
        started: list[asyncio.Task[None]] = []
        in_flight = asyncio.Semaphore(channel.limits.max_in_flight)

        def next_ready() -> OutboxMessage | None:
            taken: set[str] = set()
            for message in waiting:
                if (
                    message.address not in busy
                    and message.address not in taken
                    and gaps.ready(message.address)
                ):
                    return message
                taken.add(message.address)  # a person's later messages wait for this one
            return None

        async def send(message: OutboxMessage) -> None:
            try:
                outcome = await self._send_one(channel_name, channel, message)
                self._pending.append(outcome)
                if outcome.status == "queued":
                    # This person's later messages wait for the earlier one, to keep order.
                    later = [m for m in waiting if m.address == message.address]
                    for m in later:
                        waiting.remove(m)
                    self._pending.extend(
                        DispatchOutcome(
                            m.id, "queued", next_attempt_at=outcome.next_attempt_at, attempted=False
                        )
                        for m in later
                    )
                # Handed over: the person's next message may go while this one is written down
                # (on PostgreSQL the write is a network round trip; a crisis reply must not wait
                # behind other people's offers for it).
                busy.discard(message.address)
                # A paced provider (SMS) reports delivery within seconds, often before a batch
                # would be written: record each send at once so its reports find it.
                if channel.limits.per_second or len(self._pending) >= 200:
                    await self._flush()
            finally:
                busy.discard(message.address)
                in_flight.release()

        while waiting or running:
            message = next_ready()
            if message is None:
                # Nothing can go yet: wait for a send to finish or a person's gap to pass.
                soonest = gaps.soonest(m.address for m in waiting if m.address not in busy)
                if running:
                    timeout = (
                        None if soonest is None else max(0.0, (soonest - self.clock.now()).total_seconds())
                    )
                    await asyncio.wait(running, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                elif soonest is not None:
                    await self.clock.sleep_until(soonest)
                continue
            await in_flight.acquire()
            await pacer.wait_turn()
            message = next_ready() or message  # a more pressing one may have become ready meanwhile
            waiting.remove(message)
            busy.add(message.address)
            gaps.sent(message.address)
            task = asyncio.ensure_future(send(message))
            running.add(task)
            started.append(task)
            task.add_done_callback(running.discard)
            await asyncio.sleep(0)  # the send starts in its turn, before the next turn is taken
        await asyncio.gather(*started)  # a failed write surfaces here, as before

    async def _send_one(self, name: str, channel: Channel, message: OutboxMessage) -> DispatchOutcome:
        try:
            result: SendResult = await self._hand_over(name, channel, message)
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
                    await self._keep_pause(name, after)
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
            case Unreachable(reason, code):
                return DispatchOutcome(message.id, "failed", error=reason, error_code=code)
            case OptedOut(reason, code):
                return DispatchOutcome(
                    message.id, "failed", error=reason, error_code=code, opted_out_member=message.member_id
                )
        raise AssertionError(f"unknown send result {result!r}")

    async def _keep_pause(self, name: str, seconds: float) -> None:
        try:
            await self.store.pause_channel(name, self.clock.now() + timedelta(seconds=seconds))
        except Exception as error:  # the pause still holds here; only a next worker would miss it
            self.log_limit.log(
                log, logging.WARNING, f"pause:{name}", "could not keep %s's pause: %s", name, error
            )

    @staticmethod
    async def _hand_over(name: str, channel: Channel, message: OutboxMessage) -> SendResult:
        """The message to its channel: its text, or (WhatsApp outside the window) its template."""
        if message.template is None:
            return await channel.send(message)
        send_template = getattr(channel, "send_template", None)
        if send_template is None:
            return Unreachable(f"the {name} channel cannot send a template")
        return await send_template(message, message.template.sid, dict(message.template.variables))

    async def release(self) -> None:
        """Stopping: write down what was sent, and give back what was claimed and not sent, so
        another worker (or the next start) sends it now, not when the lease runs out."""
        if self._pending:
            try:
                await self._flush()
            except Exception as error:
                log.warning("could not write down %d sends at stop: %s", len(self._pending), error)
        if self._claimed:
            claims, self._claimed = self._claimed, {}
            released = await self.store.release_claims(claims)
            if released:
                log.info("gave back %d claimed messages not yet sent", released)

    async def _flush(self) -> None:
        outcomes = [replace(o, claimed_until=self._claimed.get(o.message_id)) for o in self._pending]
        self._pending = []
        try:
            await self.store.record_dispatch(outcomes, self.clock.now())
        except BaseException:
            # Not written (another process held the lock, say): keep them for the next flush,
            # or the messages would stay "sending" with their provider ids lost.
            self._pending[:0] = outcomes
            raise
        for outcome in outcomes:
            self._claimed.pop(outcome.message_id, None)
        failed = [o.message_id for o in outcomes if o.status == "failed"]
        if failed and self.on_failed is not None:
            await self.on_failed(failed)
