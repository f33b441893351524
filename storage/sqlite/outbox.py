"""The outbox: messages queued, claimed by the dispatcher, sent, retried."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from bot.domain import (
    AuditEntry,
    DeliveryChange,
    Member,
)
from bot.ports import (
    DispatchOutcome,
    OutboxMessage,
    QueuedMessage,
)
from storage.sqlite.repository import Repository
from storage.sqlite.rows import (
    CHANGE_COLUMNS,
    REPORT_RANK,
    choices_from_db,
    choices_to_db,
    template_send,
    template_to_db,
    to_change,
)
from storage.sqlite.timefmt import from_db, opt_from_db, to_db


class SqliteOutbox(Repository):
    async def enqueue(self, messages: Sequence[QueuedMessage], now: datetime) -> None:
        if any(m.status == "queued" for m in messages):
            self.unit.notify("outbox")
        created = to_db(now)
        await self._many(
            "INSERT INTO messages (direction, member_id, channel, address, body, choices, "
            "topic, kind, status, not_before, next_attempt_at, error, created_at, details, supersedes, "
            "priority, template) VALUES ('out', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    m.member_id,
                    m.channel,
                    m.address,
                    m.body,
                    choices_to_db(m.choices),
                    m.topic,
                    m.kind,
                    m.status,
                    to_db(m.not_before) if m.not_before else None,
                    to_db(m.not_before) if m.not_before else created,
                    m.error,
                    created,
                    json.dumps(m.details) if m.details else None,
                    int(m.supersedes),
                    m.priority,
                    template_to_db(m.variables, m.template),
                )
                for m in messages
            ],
        )

    async def release_held(self, member_id: int, now: datetime) -> int:
        cursor = await self._run(
            "UPDATE messages SET status = 'queued', next_attempt_at = ? "
            "WHERE member_id = ? AND channel = 'whatsapp' AND status = 'held'",
            (to_db(now), member_id),
        )
        if cursor.rowcount:
            self.unit.notify("outbox")
        return cursor.rowcount

    async def held_before(self, cutoff: datetime) -> list[tuple[int, int]]:
        rows = await self._all(
            "SELECT id, member_id FROM messages WHERE status = 'held' AND created_at <= ? ORDER BY id",
            (to_db(cutoff),),
        )
        return [(r[0], r[1]) for r in rows]

    async def reroute(self, message_id: int, channel: str | None, address: str | None, now: datetime) -> None:
        if channel is None:
            await self._run(
                "UPDATE messages SET status = 'failed', error = ? WHERE id = ? AND status = 'held'",
                ("held for WhatsApp 24 hours and no other channel reaches them", message_id),
            )
            return
        await self._run(
            "UPDATE messages SET status = 'queued', channel = ?, address = ?, next_attempt_at = ?, "
            "template = NULL WHERE id = ? AND status = 'held'",
            (channel, address, to_db(now), message_id),
        )
        self.unit.notify("outbox")

    async def take_over(self, now: datetime, channel: str | None = None) -> int:
        """Messages a worker claimed and never recorded (it stopped mid-send) go back to the
        queue once their lease has run out; how many. Rows claimed before leases existed have
        none, which reads as run out. Delivery is at least once: these may go twice."""
        cursor = await self._run(
            "UPDATE messages SET status = 'queued', claimed_until = NULL WHERE status = 'sending' "
            "AND (claimed_until IS NULL OR claimed_until <= ?)" + (" AND channel = ?" if channel else ""),
            (to_db(now), channel) if channel else (to_db(now),),
        )
        return cursor.rowcount

    async def claim(
        self, now: datetime, limit: int, channel: str | None, lease_until: datetime
    ) -> list[OutboxMessage]:
        """Mark up to ``limit`` due messages (of ``channel``, or any) as in flight until
        ``lease_until``, the most pressing first (bot/priority.py). A person's earlier due
        messages come along, so they are still sent in order: people appear in priority order,
        each one's in theirs. Rows another worker is claiming at this moment are skipped."""
        stamp = to_db(now)
        where = "status = 'queued' AND next_attempt_at <= ?" + (" AND channel = ?" if channel else "")
        args: tuple[Any, ...] = (stamp, channel) if channel else (stamp,)
        skip_locked = self.unit.skip_locked
        picked = await self._all(
            f"SELECT id, channel, address FROM messages WHERE {where} "
            f"ORDER BY priority, next_attempt_at, id LIMIT ?{skip_locked}",
            (*args, limit),
        )
        if not picked:
            return []
        order: dict[tuple[str, str], int] = {}
        last: dict[tuple[str, str], int] = {}
        for message_id, on, address in picked:
            order.setdefault((on, address), len(order))
            last[(on, address)] = max(last.get((on, address), 0), message_id)
        ids = {r[0] for r in picked}
        addresses = sorted({address for _, address in order})
        for start in range(0, len(addresses), 400):
            chunk = addresses[start : start + 400]
            earlier = await self._all(
                f"SELECT id, channel, address FROM messages WHERE {where} "
                f"AND address IN ({','.join('?' * len(chunk))}) AND id < ?{skip_locked}",
                (*args, *chunk, max(last.values())),
            )
            ids.update(i for i, on, address in earlier if i < last.get((on, address), 0))
        rows = await self._all_in(
            "UPDATE messages SET status = 'sending', updated_at = ?, claimed_until = ? WHERE id IN ({ids}) "
            "RETURNING id, channel, address, body, choices, member_id, topic, kind, attempts, "
            "details, supersedes, template",
            ids,
            before=(stamp, to_db(lease_until)),
        )
        replaces = {}
        for r in rows:
            if r[10] and r[6]:
                first = await self._one(
                    "SELECT provider_id FROM messages WHERE channel = ? AND address = ? AND topic = ? "
                    "AND direction = 'out' AND choices IS NOT NULL AND provider_id IS NOT NULL "
                    "ORDER BY id LIMIT 1",
                    (r[1], r[2], r[6]),
                )
                replaces[r[0]] = first[0] if first else None
        return sorted(
            (
                OutboxMessage(
                    id=r[0],
                    channel=r[1],
                    address=r[2],
                    text=r[3] or "",
                    choices=choices_from_db(r[4]),
                    member_id=r[5],
                    topic=r[6],
                    kind=r[7],
                    attempts=r[8],
                    details=tuple(tuple(pair) for pair in json.loads(r[9])) if r[9] else (),
                    replaces=replaces.get(r[0]),
                    template=template_send(r[11]),
                )
                for r in rows
            ),
            key=lambda message: (order[(message.channel, message.address)], message.id),
        )

    async def record_dispatch(self, outcomes: Sequence[DispatchOutcome], now: datetime) -> None:
        if not outcomes:
            return
        stamp = to_db(now)
        await self._many(
            "UPDATE messages SET status = ?, provider_id = coalesce(?, provider_id), "
            "error = ?, attempts = attempts + ?, updated_at = ?, segments = coalesce(?, segments), "
            "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, "
            "next_attempt_at = coalesce(?, next_attempt_at), error_code = coalesce(?, error_code), "
            "claimed_until = NULL WHERE id = ? AND status = 'sending' AND claimed_until = ?",
            [
                (o.status, o.provider_id, o.error, int(o.attempted), stamp, o.segments, o.status, stamp,
                 to_db(o.next_attempt_at) if o.next_attempt_at else None, o.error_code, o.message_id,
                 to_db(o.claimed_until) if o.claimed_until else None)
                for o in outcomes
            ],
        )  # fmt: skip
        for outcome in outcomes:
            if outcome.opted_out_member is not None:
                channel = await self._one("SELECT channel FROM messages WHERE id = ?", (outcome.message_id,))
                await self.unit.members.opt_out(outcome.opted_out_member, channel[0], now, by_provider=True)
                await self.unit.audit.record(
                    AuditEntry("provider", "opted_out", f"member:{outcome.opted_out_member}",
                               channel[0], {"reason": outcome.error or ""}),
                    now,
                )  # fmt: skip
        # Delivery reports that came before the send was written apply now.
        sent_ids = [o.provider_id for o in outcomes if o.provider_id]
        if sent_ids:
            early = await self._all_in(
                "SELECT r.channel, r.provider_id, r.status, r.error_code, r.reason "
                "FROM delivery_reports r WHERE r.provider_id IN ({ids})",
                sent_ids,  # type: ignore[arg-type]
            )
            for channel, provider_id, status, error_code, reason in early:
                await self.unit.messages._advance(
                    channel, provider_id, status, REPORT_RANK.get(status, 0), error_code, now, reason
                )

    async def undelivered(self, since: datetime) -> list[tuple[DeliveryChange, Member | None, datetime]]:
        rows = await self._all(
            f"SELECT {CHANGE_COLUMNS}, coalesce(updated_at, created_at) FROM messages "
            "WHERE direction = 'out' AND status IN ('failed', 'undelivered') AND created_at >= ? ORDER BY id",
            (to_db(since),),
        )
        people = await self.unit.members.by_ids(r[1] for r in rows if r[1] is not None)
        return [(to_change(r), people.get(r[1]), from_db(r[-1])) for r in rows]

    async def fail_channels_off(self, channels_on: Collection[str]) -> list[int]:
        # With no channel on, every queued message fails (PostgreSQL refuses an empty NOT IN ()).
        on = f" AND channel NOT IN ({','.join('?' * len(channels_on))})" if channels_on else ""
        rows = await self._all(
            "UPDATE messages SET status = 'failed', error = 'the ' || channel || ' channel is off' "
            f"WHERE status = 'queued'{on} RETURNING id",
            tuple(channels_on),
        )
        return sorted(r[0] for r in rows)  # RETURNING has no order

    async def next_due(self, channel: str | None = None) -> datetime | None:
        if channel is None:
            row = await self._one("SELECT min(next_attempt_at) FROM messages WHERE status = 'queued'")
        else:
            row = await self._one(
                "SELECT min(next_attempt_at) FROM messages WHERE status = 'queued' AND channel = ?",
                (channel,),
            )
        return opt_from_db(row[0])

    async def purge_bodies(self, before: datetime) -> int:
        cursor = await self._run(
            "UPDATE messages SET body = NULL, choices = NULL, details = NULL, template = NULL "
            "WHERE body IS NOT NULL AND created_at < ? AND status != 'queued'",
            (to_db(before),),
        )
        return cursor.rowcount

    async def release(self, claims: dict[int, datetime]) -> int:
        """Claimed messages this worker will not send after all (it is stopping) go back to the
        queue at once, if their claim is still this one; how many."""
        released = 0
        for message_id, claimed_until in claims.items():
            cursor = await self._run(
                "UPDATE messages SET status = 'queued', claimed_until = NULL "
                "WHERE id = ? AND status = 'sending' AND claimed_until = ?",
                (message_id, to_db(claimed_until)),
            )
            released += cursor.rowcount
        return released

    async def pause_channel(self, channel: str, until: datetime) -> None:
        await self._run(
            "INSERT INTO channel_pauses (channel, paused_until) VALUES (?, ?) ON CONFLICT (channel) "
            "DO UPDATE SET paused_until = excluded.paused_until WHERE excluded.paused_until > "
            "channel_pauses.paused_until",
            (channel, to_db(until)),
        )

    async def paused_until(self, channel: str) -> datetime | None:
        row = await self._one("SELECT paused_until FROM channel_pauses WHERE channel = ?", (channel,))
        return None if row is None else from_db(row[0])
