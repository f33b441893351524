"""The coordinators' inbox: messages the bot could not act on."""

from __future__ import annotations

from datetime import datetime

from bot.ports import (
    InboxItem,
)
from storage.sqlite.repository import Repository
from storage.sqlite.timefmt import from_db, to_db


class SqliteInbox(Repository):
    async def items(self, state: str = "open") -> list[InboxItem]:
        rows = await self._all(
            "SELECT i.id, i.message_id, msg.channel, msg.address, msg.body, msg.created_at, "
            "i.state, i.member_id, i.count FROM inbox i JOIN messages msg ON msg.id = i.message_id "
            "WHERE i.state = ? ORDER BY i.id",
            (state,),
        )
        people = await self.unit.members.by_ids(r[7] for r in rows if r[7] is not None)
        return [
            InboxItem(
                id=r[0],
                message_id=r[1],
                member=people.get(r[7]) if r[7] else None,
                channel=r[2],
                address=r[3],
                body=r[4],
                received_at=from_db(r[5]),
                state=r[6],
                count=r[8],
            )
            for r in rows
        ]

    async def inbox_item(self, item_id: int) -> InboxItem | None:
        items = [item for item in await self.items("open") + await self.items("done") if item.id == item_id]
        return items[0] if items else None

    async def add_to_inbox(self, message_id: int, member_id: int | None, now: datetime) -> None:
        """A new item, or, when the same number has one open, that item counts one more and
        shows the newest message."""
        open_item = await self._one(
            "SELECT i.id FROM inbox i JOIN messages old ON old.id = i.message_id "
            "JOIN messages new ON new.id = ? WHERE i.state = 'open' "
            "AND old.channel = new.channel AND old.address = new.address",
            (message_id,),
        )
        if open_item is not None:
            await self._run(
                "UPDATE inbox SET message_id = ?, count = count + 1 WHERE id = ?", (message_id, open_item[0])
            )
            return
        await self._run(
            "INSERT INTO inbox (message_id, member_id, created_at) VALUES (?, ?, ?)",
            (message_id, member_id, to_db(now)),
        )

    async def close_inbox_item(self, item_id: int, by: int | None, now: datetime) -> bool:
        cursor = await self._run(
            "UPDATE inbox SET state = 'done', done_by = ?, done_at = ? WHERE id = ? AND state = 'open'",
            (by, to_db(now), item_id),
        )
        return cursor.rowcount == 1
