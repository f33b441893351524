"""The clock is a dependency: production reads the system time, tests and the demo move it.

Everything that waits (the dispatcher's rate limits, backoff, the timer loop) asks the clock,
so a test advances a ``FakeClock`` instead of sleeping.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""

    async def sleep_until(self, moment: datetime) -> None:
        """Wait until this clock reads ``moment`` (at once if it already has)."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    async def sleep_until(self, moment: datetime) -> None:
        await asyncio.sleep(max(0.0, (moment - self.now()).total_seconds()))


class FakeClock:
    """A clock that only moves when told to; ``sleep`` moves it instead of waiting."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        if not isinstance(delta, timedelta):
            delta = timedelta(seconds=delta)
        self._now += delta
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(UTC)

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.advance(seconds)
        await asyncio.sleep(0)

    async def sleep_until(self, moment: datetime) -> None:
        # Several tasks may wait at once: the clock jumps to the latest moment asked for,
        # never backwards.
        if moment > self._now:
            self._now = moment.astimezone(UTC)
        await asyncio.sleep(0)


def london(moment: datetime) -> datetime:
    return moment.astimezone(LONDON)


def london_date(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def parse_when(text: str) -> datetime:
    """An ISO 8601 date-time; without an offset it is read as London wall-clock time."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LONDON)
    return moment.astimezone(UTC)
