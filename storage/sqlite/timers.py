"""Timers: work due at a time (an offer lapsing, a wave moving on, a reminder)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from bot.ports import (
    TimerRow,
)
from storage.sqlite.repository import Repository
from storage.sqlite.timefmt import from_db, opt_from_db, to_db

# A timer due within this is announced to the other workers when written (LISTEN/NOTIFY).
SOON = timedelta(minutes=1)


class SqliteTimers(Repository):
    async def due_timers(self, now: datetime, limit: int = 100) -> list[TimerRow]:
        rows = await self._all(
            "SELECT id, kind, subject, due_at, payload, attempts FROM timers "
            "WHERE state = 'pending' AND due_at <= ? ORDER BY due_at, id LIMIT ?",
            (to_db(now), limit),
        )
        return [_timer(r) for r in rows]

    async def claim_due(self, now: datetime, limit: int, lease_until: datetime) -> list[TimerRow]:
        """Take up to ``limit`` due timers no worker holds, oldest first, until ``lease_until``:
        a worker that stops before running them leaves them to the next once the lease runs out
        (each still runs once: finish_timer is a compare-and-set in the timer's own unit)."""
        stamp = to_db(now)
        rows = await self._all(
            "UPDATE timers SET claimed_until = ? WHERE id IN (SELECT id FROM timers WHERE state = 'pending' "
            "AND due_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?) ORDER BY due_at, id "
            f"LIMIT ?{self.unit.skip_locked}) RETURNING id, kind, subject, due_at, payload, attempts",
            (to_db(lease_until), stamp, stamp, limit),
        )
        timers = [_timer(r) for r in rows]
        return sorted(timers, key=lambda timer: (timer.due_at, timer.id))

    async def release(self, claims: dict[int, datetime]) -> int:
        """Timers this worker claimed and will not run after all (it is stopping): due again at
        once for another worker, if their claim is still this one; how many."""
        released = 0
        for timer_id, claimed_until in claims.items():
            cursor = await self._run(
                "UPDATE timers SET claimed_until = NULL "
                "WHERE id = ? AND state = 'pending' AND claimed_until = ?",
                (timer_id, to_db(claimed_until)),
            )
            released += cursor.rowcount
        return released

    async def next_timer_due(self) -> datetime | None:
        # A timer another worker is running comes due again only if its lease runs out.
        row = await self._one(
            "SELECT min(CASE WHEN claimed_until > due_at THEN claimed_until ELSE due_at END) FROM timers "
            "WHERE state = 'pending'"
        )
        return opt_from_db(row[0])

    async def pending_timer(self, kind: str, subject: str, due_by: datetime | None = None) -> bool:
        # CAST: PostgreSQL cannot type a parameter met only by IS NULL (SQLite does not mind).
        row = await self._one(
            "SELECT 1 FROM timers WHERE kind = ? AND subject = ? AND state = 'pending' "
            "AND (CAST(? AS TEXT) IS NULL OR due_at <= ?) LIMIT 1",
            (kind, subject, to_db(due_by) if due_by else None, to_db(due_by) if due_by else None),
        )
        return row is not None

    async def has_pending_timer(self, kind: str) -> bool:
        row = await self._one("SELECT 1 FROM timers WHERE kind = ? AND state = 'pending' LIMIT 1", (kind,))
        return row is not None

    async def add_timer(
        self, kind: str, subject: str, due_at: datetime, payload: dict[str, Any], now: datetime
    ) -> int:
        if due_at <= now + SOON:  # later ones are found by the other workers' polling
            self.unit.notify("timers")
        (timer_id,) = await self._one(
            "INSERT INTO timers (kind, subject, due_at, payload, created_at) VALUES (?, ?, ?, ?, ?) "
            "RETURNING id",
            (kind, subject, to_db(due_at), json.dumps(payload, sort_keys=True), to_db(now)),
        )
        return int(timer_id)

    async def cancel_timers(self, kind: str, subject: str) -> int:
        cursor = await self._run(
            "UPDATE timers SET state = 'cancelled' WHERE kind = ? AND subject = ? AND state = 'pending'",
            (kind, subject),
        )
        return cursor.rowcount

    async def finish_timer(self, timer_id: int, now: datetime) -> bool:
        cursor = await self._run(
            "UPDATE timers SET state = 'done', done_at = ? WHERE id = ? AND state = 'pending'",
            (to_db(now), timer_id),
        )
        return cursor.rowcount == 1

    async def retry_later(self, timer_id: int, error: str, due_at: datetime, give_up: bool) -> None:
        await self._run(
            "UPDATE timers SET attempts = attempts + 1, error = ?, due_at = ?, claimed_until = NULL, "
            "state = CASE WHEN ? = 1 THEN 'failed' ELSE state END WHERE id = ? AND state = 'pending'",
            (error, to_db(due_at), int(give_up), timer_id),
        )


def _timer(r: Any) -> TimerRow:
    """A row of (id, kind, subject, due_at, payload, attempts)."""
    return TimerRow(
        id=r[0], kind=r[1], subject=r[2], due_at=from_db(r[3]), payload=json.loads(r[4]), attempts=r[5]
    )
