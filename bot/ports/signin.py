"""Signing in to the console: one-time links, sessions, and the requests for links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain import Member


@dataclass(frozen=True, slots=True)
class ConsoleLink:
    id: int
    member_id: int
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    id: int
    member_id: int | None  # None: signed in with the admin token
    csrf: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who a console session belongs to, with the cookie's value (only its hash is stored)."""

    token: str
    session: ConsoleSession
    member: Member | None  # None: the admin


class SignIns(Protocol):
    """Sign-in links and console sessions, kept by the hash of their token only."""

    async def add_link(
        self, token_hash: str, member_id: int, now: datetime, expires_at: datetime
    ) -> None: ...

    async def link(self, token_hash: str) -> ConsoleLink | None: ...

    async def use_link(self, link_id: int, now: datetime) -> bool:
        """Mark the link used (compare-and-set: False when it was used already)."""

    async def add_session(
        self, token_hash: str, member_id: int | None, csrf: str, now: datetime, expires_at: datetime
    ) -> None: ...

    async def session(self, token_hash: str, now: datetime) -> ConsoleSession | None:
        """The live session with this token: not ended, not expired."""

    async def end_session(self, token_hash: str, now: datetime) -> bool: ...

    async def end_sessions_of(self, member_id: int, now: datetime) -> int:
        """End every live session of the member (they left, or were erased)."""

    async def count_link_requests(self, key: str, since: datetime) -> int: ...

    async def record_link_request(self, key: str, now: datetime) -> None: ...

    async def forget_link_requests(self, before: datetime) -> int:
        """Requests older than any window that counts them: they are not kept."""
