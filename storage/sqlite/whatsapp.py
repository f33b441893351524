"""WhatsApp per member: opt-in, number and the time of their last WhatsApp message."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bot.ports.whatsapp import OPT_IN_SOURCES, WhatsAppState
from storage.sqlite.repository import Repository
from storage.sqlite.timefmt import opt_from_db, to_db

COLUMNS = "member_id, number, requested_at, opted_in_at, opt_in_source, last_inbound_at, unreachable_at"


def to_state(row: Sequence[Any]) -> WhatsAppState:
    return WhatsAppState(
        member_id=row[0],
        number=row[1],
        requested_at=opt_from_db(row[2]),
        opted_in_at=opt_from_db(row[3]),
        opt_in_source=row[4],
        last_inbound_at=opt_from_db(row[5]),
        unreachable_at=opt_from_db(row[6]),
    )


class SqliteWhatsApp(Repository):
    async def state(self, member_id: int) -> WhatsAppState | None:
        row = await self._one(f"SELECT {COLUMNS} FROM whatsapp WHERE member_id = ?", (member_id,))
        return to_state(row) if row else None

    async def states(self, member_ids: Iterable[int]) -> dict[int, WhatsAppState]:
        rows = await self._all_in(f"SELECT {COLUMNS} FROM whatsapp WHERE member_id IN ({{ids}})", member_ids)
        return {row[0]: to_state(row) for row in rows}

    async def note_inbound(self, member_id: int, number: str, now: datetime) -> WhatsAppState:
        before = await self.state(member_id) or WhatsAppState(member_id, number)
        at = to_db(now)
        await self._run(
            "INSERT INTO whatsapp (member_id, number, opted_in_at, opt_in_source, last_inbound_at) "
            "VALUES (?, ?, ?, 'inbound', ?) "
            "ON CONFLICT (member_id) DO UPDATE SET number = excluded.number, "
            # The later of the two (neither is NULL here): SQLite's scalar max(a, b) is not PostgreSQL's.
            # The row's own columns are named with the table's: PostgreSQL finds a bare name ambiguous.
            "last_inbound_at = CASE WHEN coalesce(whatsapp.last_inbound_at, '') > excluded.last_inbound_at "
            "THEN whatsapp.last_inbound_at ELSE excluded.last_inbound_at END, "
            "unreachable_at = NULL, "
            "opt_in_source = coalesce(whatsapp.opt_in_source, "
            "CASE WHEN whatsapp.requested_at IS NULL THEN 'inbound' ELSE 'keyword' END), "
            "opted_in_at = coalesce(whatsapp.opted_in_at, excluded.opted_in_at)",
            (member_id, number, at, at),
        )
        return before

    async def request(self, member_id: int, number: str, now: datetime) -> None:
        await self._run(
            "INSERT INTO whatsapp (member_id, number, requested_at) VALUES (?, ?, ?) "
            "ON CONFLICT (member_id) DO UPDATE SET requested_at = excluded.requested_at",
            (member_id, number, to_db(now)),
        )

    async def opt_in(self, member_id: int, number: str, source: str, now: datetime) -> bool:
        if source not in OPT_IN_SOURCES:
            raise ValueError(f"unknown opt-in source {source!r}")
        before = await self.state(member_id)
        if before is not None and before.opted_in:
            return False
        await self._run(
            "INSERT INTO whatsapp (member_id, number, opted_in_at, opt_in_source) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (member_id) DO UPDATE SET opted_in_at = excluded.opted_in_at, "
            "opt_in_source = excluded.opt_in_source",
            (member_id, number, to_db(now), source),
        )
        return True

    async def set_number(self, member_id: int, number: str) -> None:
        await self._run(
            "INSERT INTO whatsapp (member_id, number) VALUES (?, ?) "
            "ON CONFLICT (member_id) DO UPDATE SET number = excluded.number, unreachable_at = NULL",
            (member_id, number),
        )

    async def mark_unreachable(self, member_id: int, now: datetime) -> bool:
        cursor = await self._run(
            "UPDATE whatsapp SET unreachable_at = ? WHERE member_id = ? AND unreachable_at IS NULL",
            (to_db(now), member_id),
        )
        return cursor.rowcount == 1
