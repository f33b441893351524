"""The timer loop: scheduled work is rows in the store, run once each when due.

A timer is marked done in the same transaction as the work it does, so it runs exactly once,
also when it fell due while the process was stopped, and when several workers share the store:
each takes due timers no other holds, for a lease, and a worker that stops before running its
timers leaves them to another once the lease runs out. A timer whose work fails is tried again
later and, after a few tries, marked failed with its error rather than retried for ever.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.engine import Engine
from bot.ports import Store, TimerRow

log = logging.getLogger(__name__)


class TimerLoop:
    def __init__(
        self,
        engine: Engine,
        store: Store,
        clock: Clock,
        retry_after: timedelta = timedelta(minutes=1),
        max_attempts: int = 5,
        lease: timedelta = timedelta(minutes=2),
    ) -> None:
        self.engine = engine
        self.store = store
        self.clock = clock
        self.retry_after = retry_after
        self.max_attempts = max_attempts
        self.lease = lease
        self._claimed: dict[int, datetime] = {}  # timers claimed and not yet run: their lease

    async def run_due(self) -> int:
        """Run every timer due by now, oldest first; the number that ran."""
        ran = 0
        # The clock is read again each round: a timer may add another due at once (the next
        # chunk of a broadcast), which runs in the same pass rather than at the next poll.
        while due := await self._claim():
            for timer in due:
                # Each timer is its own unit of work; a pass through many gives the loop a
                # turn between them, so webhooks are answered during a long broadcast.
                await asyncio.sleep(0)
                self._claimed.pop(timer.id, None)
                try:
                    if await self.engine.run_timer(timer):
                        ran += 1
                except Exception as error:
                    log.exception("timer %s (%s) failed", timer.id, timer.kind)
                    await self.store.retry_timer_later(
                        timer.id,
                        type(error).__name__,
                        self.clock.now() + self.retry_after,
                        give_up=timer.attempts + 1 >= self.max_attempts,
                    )
        return ran

    async def _claim(self) -> list[TimerRow]:
        now = self.clock.now()
        due = await self.store.claim_due_timers(now, limit=100, lease_until=now + self.lease)
        self._claimed.update((timer.id, now + self.lease) for timer in due)
        return due

    async def release(self) -> None:
        """Stopping: timers claimed and not run are due again at once for another worker (or the
        next start), not when the lease runs out."""
        if self._claimed:
            claims, self._claimed = self._claimed, {}
            released = await self.store.release_timers(claims)
            if released:
                log.info("gave back %d claimed timers not yet run", released)
