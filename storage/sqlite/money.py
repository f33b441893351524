"""Money the pool spends beyond sessions (costs for the NHS return)."""

from __future__ import annotations

from datetime import date, datetime

from bot.domain import (
    Cost,
)
from storage.sqlite.repository import Repository
from storage.sqlite.timefmt import to_db


class SqliteMoney(Repository):
    async def costs_between(self, first: date, last: date) -> list[Cost]:
        rows = await self._all(
            "SELECT id, day, amount_pence, what FROM costs WHERE day >= ? AND day <= ? ORDER BY day, id",
            (first.isoformat(), last.isoformat()),
        )
        return [Cost(r[0], date.fromisoformat(r[1]), r[2], r[3]) for r in rows]

    async def add_cost(self, day: date, amount_pence: int, what: str, now: datetime) -> Cost:
        (cost_id,) = await self._one(
            "INSERT INTO costs (day, amount_pence, what, created_at) VALUES (?, ?, ?, ?) RETURNING id",
            (day.isoformat(), amount_pence, what, to_db(now)),
        )
        return Cost(cost_id, day, amount_pence, what)
