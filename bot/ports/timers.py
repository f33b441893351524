"""Work due at a time."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from bot.ports.records import TimerRow


class Timers(Protocol):
    """Timers: work due at a time (an offer lapsing, a wave moving on, a reminder)."""

    async def due_timers(self, now: datetime, limit: int = 100) -> list[TimerRow]: ...

    async def claim_due(self, now: datetime, limit: int, lease_until: datetime) -> list[TimerRow]:
        """Take due timers no other worker holds, until ``lease_until``, oldest first."""

    async def release(self, claims: dict[int, datetime]) -> int:
        """Give back claimed timers not run (id -> the claim's lease), if still claimed so."""

    async def next_timer_due(self) -> datetime | None: ...

    async def pending_timer(self, kind: str, subject: str, due_by: datetime | None = None) -> bool: ...

    async def has_pending_timer(self, kind: str) -> bool: ...

    async def add_timer(
        self, kind: str, subject: str, due_at: datetime, payload: dict[str, Any], now: datetime
    ) -> int: ...

    async def cancel_timers(self, kind: str, subject: str) -> int: ...

    async def finish_timer(self, timer_id: int, now: datetime) -> bool: ...

    async def retry_later(self, timer_id: int, error: str, due_at: datetime, give_up: bool) -> None: ...
