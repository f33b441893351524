"""The running pool: store, engine, dispatcher and timer loop, started and stopped together.

APScheduler wakes the timer loop every few seconds (and at the next due time), but the store
is the source of truth: a timer that fell due while the process was down is simply due now.
Its jobs never misfire away (``misfire_grace_time=None``): late work is still done.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.clock import Clock
from bot.engine import Engine
from bot.outbox import Dispatcher
from bot.policy import PoolPolicy
from bot.ports import Channel, Store
from bot.timers import TimerLoop

log = logging.getLogger(__name__)

KNOWN_CHANNELS = ("sms", "whatsapp", "slack", "telegram", "sandbox")


@dataclass
class Pool:
    store: Store
    engine: Engine
    dispatcher: Dispatcher
    timers: TimerLoop
    clock: Clock
    channels: Mapping[str, Channel]
    policy: PoolPolicy
    poll_seconds: float = 5.0

    def __post_init__(self) -> None:
        self._jobs: list[tuple[float, str, Callable[[], Awaitable[object]]]] = []
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._scheduler: AsyncIOScheduler | None = None
        self._noticed = False
        self._notice_tasks: set[asyncio.Task[None]] = set()

    async def recover(self) -> None:
        """At start. Messages a stopped worker was sending need nothing here: their lease runs
        out and the next claim sends them again (another worker may be sending its own now)."""
        stranded = await self.store.fail_channels_off(await self._channels_on_somewhere())
        if stranded:  # a channel turned off since they were queued: offers find another way
            log.warning("%d queued messages were for channels now off", len(stranded))
            await self.engine.messages_failed(stranded)
        await self.engine.ensure_standing()

    async def _channels_on_somewhere(self) -> tuple[str, ...]:
        """This worker's channels, and any another worker is sending on now: one started without
        a channel's credentials must not fail everyone's queued messages for it."""
        on = list(self.channels)
        for name in KNOWN_CHANNELS:
            if name in self.channels:
                continue
            if await self.store.try_lock(f"dispatch:{name}"):
                await self.store.unlock(f"dispatch:{name}")
            else:
                on.append(name)
        return tuple(on)

    @staticmethod
    def freeze_startup_objects() -> None:
        """Move everything alive once the pool is wired (modules, templates, settings, the
        SDKs) out of the garbage collector's way: a full collection walked it all and held the
        event loop for 60 to 90 ms during a 50,000-GP broadcast (bench/broadcast.py); frozen,
        the longest stall is under 30 ms."""
        gc.collect()
        gc.freeze()

    async def settle(self) -> None:
        """Run due timers and send due messages until nothing more is due now (tests, demo)."""
        while (await self.timers.run_due()) + (await self.dispatcher.drain()):
            pass

    async def tick(self) -> None:
        await self.timers.run_due()
        self.dispatcher.wake()
        await self._schedule_next_timer()

    def every(self, seconds: float, job: Callable[[], Awaitable[object]], name: str) -> None:
        """Run ``job`` every ``seconds`` while the pool is started (an adapter's upkeep), in one
        worker at a time: whichever holds the job's lock (``name``)."""
        self._jobs.append((seconds, name, job))

    def _in_one_worker(
        self, name: str, job: Callable[[], Awaitable[object]]
    ) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            if await self.store.try_lock(f"job:{name}"):
                await job()

        return run

    def on_notice(self, topic: str) -> None:
        """Another worker committed work: messages to send, or a timer due soon. Notices that
        come while one is being acted on are one look (a broadcast writes a timer a chunk)."""
        if topic == "outbox":
            self.dispatcher.wake()
        elif topic == "timers" and self._scheduler is not None and not self._noticed:
            self._noticed = True
            task = asyncio.ensure_future(self._tick_on_notice())
            self._notice_tasks.add(task)
            task.add_done_callback(self._notice_tasks.discard)

    async def _tick_on_notice(self) -> None:
        await asyncio.sleep(0.02)  # a burst of notices: one look
        self._noticed = False
        try:
            await self.tick()
        except Exception as error:  # the next poll looks again
            log.warning("looking for due timers on a notice failed: %s", error)

    async def housekeeping(self) -> None:
        purged = await self.store.purge_message_bodies(self.clock.now() - self.policy.message_retention)
        if purged:
            log.info("deleted the bodies of %d messages past their retention", purged)

    async def start(self) -> None:
        """Start the background work of ``serve``: the dispatcher and the timer loop."""
        await self.recover()
        self.freeze_startup_objects()
        self._stop.clear()
        self._tasks.append(asyncio.create_task(self.dispatcher.run_forever(self._stop)))
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=self.poll_seconds),
            id="timers",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
            next_run_time=self.clock.now(),
        )
        scheduler.add_job(
            self._in_one_worker("housekeeping", self.housekeeping),
            IntervalTrigger(hours=1),
            id="housekeeping",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
            next_run_time=self.clock.now(),
        )
        for n, (seconds, name, job) in enumerate(self._jobs):
            scheduler.add_job(
                self._in_one_worker(name, job),
                IntervalTrigger(seconds=seconds),
                id=f"job-{n}",
                coalesce=True,
                max_instances=1,
                next_run_time=self.clock.now(),
            )
        scheduler.start()
        self._scheduler = scheduler
        await self.store.listen(self.on_notice)  # wake-ups from other workers; polling stays

    async def _schedule_next_timer(self) -> None:
        """Wake exactly at the next due timer when it comes before the next poll."""
        if self._scheduler is None:
            return
        due = await self.store.reader().timers.next_timer_due()
        if due is not None and due - self.clock.now() < timedelta(seconds=self.poll_seconds):
            self._scheduler.add_job(
                self.tick,
                DateTrigger(run_date=max(due, self.clock.now())),
                id="timers-next",
                replace_existing=True,
                misfire_grace_time=None,
            )

    async def stop(self, drain_seconds: float = 5.0) -> None:
        """Stop the background work; what is due is sent first, for at most ``drain_seconds``
        (anything left goes at the next start: delivery is at least once)."""
        self._stop.set()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.dispatcher.drain(), drain_seconds)
        # What this worker claimed and did not get to goes to the others now, not after the lease.
        for release in (self.timers.release, self.dispatcher.release):
            try:
                await release()
            except Exception as error:  # the lease still hands it over, later
                log.warning("could not give back claims at stop: %s", error)
        await self.close()

    async def close(self) -> None:
        """Close the store and the channels' HTTP clients."""
        for channel in self.channels.values():
            close = getattr(channel, "aclose", None)
            if close is not None:
                await close()
        await self.store.close()
