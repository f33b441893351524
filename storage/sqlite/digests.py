"""Alerts held for a coordinator's or manager's daily digest."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage.sqlite.repository import Repository
from storage.sqlite.timefmt import to_db


class SqliteDigests(Repository):
    async def digest_waiting(self, member_id: int) -> list[tuple[int, str, str]]:
        """Events held for the member's next digest, oldest first: (id, event, line)."""
        return [
            (r[0], r[1], r[2])
            for r in await self._all(
                "SELECT id, event, line FROM digest_items WHERE member_id = ? AND sent_at IS NULL "
                "ORDER BY id",
                (member_id,),
            )
        ]

    async def last_digest(self, member_id: int) -> list[tuple[int, str, str]]:
        """The events of the member's last digest sent, in order: (id, event, line)."""
        return [
            (r[0], r[1], r[2])
            for r in await self._all(
                "SELECT id, event, line FROM digest_items WHERE member_id = ? AND sent_at = "
                "(SELECT max(sent_at) FROM digest_items WHERE member_id = ?) ORDER BY id",
                (member_id, member_id),
            )
        ]

    async def hold_for_digest(
        self, member_id: int, session_id: int | None, event: str, line: str, now: datetime
    ) -> None:
        await self._run(
            "INSERT INTO digest_items (member_id, session_id, event, line, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (member_id, session_id, event, line, to_db(now)),
        )

    async def mark_digest_sent(self, item_ids: Sequence[int], now: datetime) -> int:
        """Mark these items sent (compare-and-set: an item sent already is left alone); how many."""
        changed = 0
        for item_id in item_ids:
            cursor = await self._run(
                "UPDATE digest_items SET sent_at = ? WHERE id = ? AND sent_at IS NULL", (to_db(now), item_id)
            )
            changed += cursor.rowcount
        return changed
