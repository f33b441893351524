"""The audit trail: append-only, every change and who made it."""

from __future__ import annotations

import json
from datetime import datetime

from bot.domain import (
    AuditEntry,
)
from storage.sqlite.repository import Repository
from storage.sqlite.timefmt import to_db


class SqliteAudit(Repository):
    async def record(self, entry: AuditEntry, now: datetime) -> None:
        await self._run(
            "INSERT INTO audit (at, actor, action, subject, channel, detail) VALUES (?, ?, ?, ?, ?, ?)",
            (
                to_db(now),
                entry.actor,
                entry.action,
                entry.subject,
                entry.channel,
                json.dumps(entry.detail, sort_keys=True),
            ),
        )
