"""Keeping inside a provider's limits: a steady rate per channel, a gap per person.

Times come from the injected clock, so tests see the pacing without waiting for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.clock import Clock


class Pacer:
    """Spaces sends evenly at ``per_second``; a 429 pauses the whole channel."""

    def __init__(self, clock: Clock, per_second: float | None) -> None:
        self._clock = clock
        self._gap = timedelta(seconds=1 / per_second) if per_second else timedelta(0)
        self._next_slot: datetime | None = None
        self._paused_until: datetime | None = None
        # Waiters take their turns in order, one sleeping at a time, so a test's fake clock
        # steps through the slots as real time would.
        self._queue = asyncio.Lock()

    async def wait_turn(self) -> None:
        async with self._queue:
            now = self._clock.now()
            slot = max(now, self._next_slot or now, self._paused_until or now)
            if slot > now:
                await self._clock.sleep_until(slot)
            self._next_slot = max(slot, self._clock.now()) + self._gap

    def pause(self, seconds: float) -> None:
        until = self._clock.now() + timedelta(seconds=seconds)
        if self._paused_until is None or until > self._paused_until:
            self._paused_until = until
        if self._next_slot is None or self._next_slot < until:
            self._next_slot = until


class AddressGaps:
    """The earliest time each address may be sent to again (e.g. Telegram: 1 a second a chat)."""

    def __init__(self, clock: Clock, interval: float) -> None:
        self._clock = clock
        self._interval = timedelta(seconds=interval)
        self._next: dict[str, datetime] = {}

    def ready(self, address: str) -> bool:
        ready = self._next.get(address)
        return ready is None or ready <= self._clock.now()

    def soonest(self, addresses: Iterable[str]) -> datetime | None:
        """When the first of these addresses may be sent to (None: no gap holds any back)."""
        times = [self._next[a] for a in addresses if a in self._next and self._next[a] > self._clock.now()]
        return min(times) if times else None

    def sent(self, address: str) -> None:
        if not self._interval:
            return
        self._next[address] = self._clock.now() + self._interval
        if len(self._next) > 10_000:
            cutoff = self._clock.now()
            self._next = {a: t for a, t in self._next.items() if t > cutoff}
