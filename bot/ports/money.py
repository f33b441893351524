"""Money the pool spends beyond sessions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from bot.domain import Cost


class Money(Protocol):
    """Money the pool spends beyond sessions (costs for the NHS return)."""

    async def costs_between(self, first: date, last: date) -> list[Cost]: ...

    async def add_cost(self, day: date, amount_pence: int, what: str, now: datetime) -> Cost: ...
