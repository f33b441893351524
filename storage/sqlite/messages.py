"""Messages in and out as people see them, delivery reports, floods and lists."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.domain import (
    DeliveryChange,
    Inbound,
)
from bot.ports import (
    SentMessage,
)
from storage.sqlite.repository import Repository
from storage.sqlite.rows import (
    CHANGE_COLUMNS,
    REPORT_RANK,
    choices_from_db,
    to_change,
)
from storage.sqlite.timefmt import from_db, opt_from_db, to_db


class SqliteMessages(Repository):
    async def record_inbound(self, inbound: Inbound, member_id: int | None) -> int | None:
        # A message seen before inserts nothing, so returns no row.
        row = await self._one(
            "INSERT INTO messages (direction, member_id, channel, address, external_id, body, "
            "status, created_at) VALUES ('in', ?, ?, ?, ?, ?, 'received', ?) "
            "ON CONFLICT (channel, external_id) WHERE direction = 'in' DO NOTHING RETURNING id",
            (
                member_id,
                inbound.channel,
                inbound.address,
                inbound.external_id,
                inbound.said,
                to_db(inbound.received_at),
            ),
        )
        return row[0] if row else None

    async def messages_to(
        self, channel: str, address: str, after_id: int, now: datetime
    ) -> list[SentMessage]:
        """Messages committed for this address and due by ``now``, sent or about to be."""
        rows = await self._all(
            "SELECT id, channel, address, body, choices, kind, status, created_at, sent_at, "
            "coalesce(not_before, created_at) "
            "FROM messages WHERE direction = 'out' AND channel = ? AND address = ? AND id > ? "
            "AND status IN ('queued', 'sending', 'sent', 'delivered', 'read') "
            "AND coalesce(not_before, created_at) <= ? ORDER BY id",
            (channel, address, after_id, to_db(now)),
        )
        return [
            SentMessage(
                id=r[0],
                channel=r[1],
                address=r[2],
                body=r[3],
                choices=choices_from_db(r[4]),
                kind=r[5],
                status=r[6],
                created_at=from_db(r[7]),
                sent_at=opt_from_db(r[8]),
                due_at=from_db(r[9]),
            )
            for r in rows
        ]

    async def outbound_after(self, after_id: int, now: datetime) -> list[SentMessage]:
        """Every outbound message after ``after_id`` that is due by ``now``, on any channel."""
        rows = await self._all(
            "SELECT id, channel, address, body, choices, kind, status, created_at, sent_at, member_id, "
            "coalesce(not_before, created_at) FROM messages WHERE direction = 'out' AND id > ? "
            "AND coalesce(not_before, created_at) <= ? ORDER BY id",
            (after_id, to_db(now)),
        )
        return [
            SentMessage(
                id=r[0],
                channel=r[1],
                address=r[2],
                body=r[3],
                choices=choices_from_db(r[4]),
                kind=r[5],
                status=r[6],
                created_at=from_db(r[7]),
                sent_at=opt_from_db(r[8]),
                member_id=r[9],
                due_at=from_db(r[10]),
            )
            for r in rows
        ]

    async def recent_outbound_to(self, channel: str, address: str, kind: str, since: datetime) -> int:
        row = await self._one(
            "SELECT count(*) FROM messages WHERE direction = 'out' AND channel = ? AND address = ? "
            "AND kind = ? AND created_at >= ?",
            (channel, address, kind, to_db(since)),
        )
        return row[0]

    async def last_sent(self, channel: str, address: str) -> tuple[str | None, str | None] | None:
        """The topic and text of the last message sent to this address (not one still queued)."""
        return await self._one(
            "SELECT topic, body FROM messages WHERE channel = ? AND address = ? AND direction = 'out' "
            "AND sent_at IS NOT NULL ORDER BY id DESC LIMIT 1",
            (channel, address),
        )

    async def forget_message_body(self, message_id: int) -> None:
        """What a GP said in a check-in lives in the check-ins table only (and goes with it)."""
        await self._run("UPDATE messages SET body = NULL WHERE id = ?", (message_id,))

    async def failed_messages(self, message_ids: Iterable[int]) -> list[DeliveryChange]:
        rows = await self._all_in(
            f"SELECT {CHANGE_COLUMNS} FROM messages WHERE id IN ({{ids}}) AND status = 'failed' ORDER BY id",
            message_ids,
        )
        return [to_change(r) for r in rows]

    async def record_delivery_report(
        self, channel: str, provider_id: str, status: str, rank: int, error_code: str | None, now: datetime,
        reason: str | None = None,
    ) -> tuple[bool, DeliveryChange | None]:  # fmt: skip
        cursor = await self._run(
            "INSERT INTO delivery_reports (channel, provider_id, status, error_code, received_at, reason) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (channel, provider_id, status, error_code, to_db(now), reason),
        )
        if cursor.rowcount != 1:
            return False, None
        return True, await self._advance(channel, provider_id, status, rank, error_code, now, reason)

    async def _advance(
        self, channel: str, provider_id: str, status: str, rank: int, error_code: str | None, now: datetime,
        reason: str | None = None,
    ) -> DeliveryChange | None:  # fmt: skip
        """Move a message on to a later status; reports arriving out of order never move it back."""
        row = await self._one(
            "SELECT id, status FROM messages WHERE channel = ? AND provider_id = ? AND direction = 'out'",
            (channel, provider_id),
        )
        if row is None or REPORT_RANK.get(row[1], 0) >= rank:
            return None
        await self._run(
            "UPDATE messages SET status = ?, error_code = coalesce(?, error_code), "
            "error = coalesce(?, error), updated_at = ? WHERE id = ?",
            (status, error_code, reason, to_db(now), row[0]),
        )
        changed = await self._one(f"SELECT {CHANGE_COLUMNS} FROM messages WHERE id = ?", (row[0],))
        return to_change(changed)

    async def flood_alerted_since(self, since: datetime) -> bool:
        """Whether the coordinators were told of a flood of strangers since then."""
        # The kind is spelled out so SQLite can use the partial index made for it.
        row = await self._one(
            "SELECT 1 FROM messages WHERE kind = 'stranger_flood' AND created_at >= ? LIMIT 1",
            (to_db(since),),
        )
        return row is not None

    async def alerted_since(self, kind: str, topic: str, since: datetime) -> bool:
        """Whether an alert of ``kind`` about ``topic`` went to anyone since then."""
        row = await self._one(
            "SELECT 1 FROM messages WHERE direction = 'out' AND kind = ? AND topic = ? AND created_at >= ? "
            "LIMIT 1",
            (kind, topic, to_db(since)),
        )
        return row is not None

    async def strangers_writing(self, since: datetime) -> int:
        """How many numbers the pool does not know wrote since then."""
        row = await self._one(
            "SELECT count(DISTINCT channel || address) FROM messages "
            "WHERE member_id IS NULL AND direction = 'in' AND created_at >= ?",
            (to_db(since),),
        )
        return row[0]

    async def replies_to_strangers(self, since: datetime) -> int:
        """How many answers went to numbers the pool does not know since then."""
        row = await self._one(
            "SELECT count(*) FROM messages WHERE member_id IS NULL AND direction = 'out' AND created_at >= ?",
            (to_db(since),),
        )
        return row[0]

    async def sms_segments_between(self, start: datetime, end: datetime) -> int:
        """SMS segments the provider billed for texts sent in [start, end)."""
        row = await self._one(
            # CAST: on PostgreSQL the sum of bigints is numeric.
            "SELECT CAST(coalesce(sum(segments), 0) AS INTEGER) FROM messages "
            "WHERE direction = 'out' AND channel = 'sms' AND provider_id IS NOT NULL "
            "AND created_at >= ? AND created_at < ?",
            (to_db(start), to_db(end)),
        )
        return row[0]

    async def last_list(self, member_id: int) -> tuple[str, int, datetime] | None:
        """The last list the member asked for, how far they have read it, and when."""
        row = await self._one("SELECT kind, position, at FROM member_lists WHERE member_id = ?", (member_id,))
        return (row[0], row[1], from_db(row[2])) if row else None

    async def remember_list(self, member_id: int, kind: str, position: int, now: datetime) -> None:
        await self._run(
            "INSERT INTO member_lists (member_id, kind, position, at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (member_id) DO UPDATE SET kind = excluded.kind, position = excluded.position, "
            "at = excluded.at",
            (member_id, kind, position, to_db(now)),
        )
