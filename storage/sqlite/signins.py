"""Signing in to the console: one-time links, sessions, and the requests for links."""

from __future__ import annotations

from datetime import datetime

from bot.ports.signin import ConsoleLink, ConsoleSession
from storage.sqlite.repository import Repository
from storage.sqlite.timefmt import from_db, opt_from_db, to_db


class SqliteSignIns(Repository):
    async def add_link(self, token_hash: str, member_id: int, now: datetime, expires_at: datetime) -> None:
        await self._run(
            "INSERT INTO console_links (token_hash, member_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            (token_hash, member_id, to_db(now), to_db(expires_at)),
        )

    async def link(self, token_hash: str) -> ConsoleLink | None:
        row = await self._one(
            "SELECT id, member_id, expires_at, used_at FROM console_links WHERE token_hash = ?", (token_hash,)
        )
        return ConsoleLink(row[0], row[1], from_db(row[2]), opt_from_db(row[3])) if row else None

    async def use_link(self, link_id: int, now: datetime) -> bool:
        cursor = await self._run(
            "UPDATE console_links SET used_at = ? WHERE id = ? AND used_at IS NULL", (to_db(now), link_id)
        )
        return cursor.rowcount == 1

    async def add_session(
        self, token_hash: str, member_id: int | None, csrf: str, now: datetime, expires_at: datetime
    ) -> None:
        await self._run(
            "INSERT INTO console_sessions (token_hash, member_id, csrf, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (token_hash, member_id, csrf, to_db(now), to_db(expires_at)),
        )

    async def session(self, token_hash: str, now: datetime) -> ConsoleSession | None:
        row = await self._one(
            "SELECT id, member_id, csrf, expires_at FROM console_sessions "
            "WHERE token_hash = ? AND ended_at IS NULL AND expires_at > ?",
            (token_hash, to_db(now)),
        )
        return ConsoleSession(row[0], row[1], row[2], from_db(row[3])) if row else None

    async def end_session(self, token_hash: str, now: datetime) -> bool:
        cursor = await self._run(
            "UPDATE console_sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL",
            (to_db(now), token_hash),
        )
        return cursor.rowcount == 1

    async def end_sessions_of(self, member_id: int, now: datetime) -> int:
        cursor = await self._run(
            "UPDATE console_sessions SET ended_at = ? WHERE member_id = ? AND ended_at IS NULL",
            (to_db(now), member_id),
        )
        return int(cursor.rowcount)

    async def count_link_requests(self, key: str, since: datetime) -> int:
        row = await self._one(
            "SELECT count(*) FROM console_link_requests WHERE key = ? AND at > ?", (key, to_db(since))
        )
        return int(row[0])

    async def record_link_request(self, key: str, now: datetime) -> None:
        await self._run("INSERT INTO console_link_requests (key, at) VALUES (?, ?)", (key, to_db(now)))

    async def forget_link_requests(self, before: datetime) -> int:
        cursor = await self._run("DELETE FROM console_link_requests WHERE at < ?", (to_db(before),))
        return cursor.rowcount
