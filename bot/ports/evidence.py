"""Checks with evidence: each recording of a check, and the documents seen."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from bot.domain import CheckRecord, Document


class Evidence(Protocol):
    async def record_check(
        self, member_id: int, kind: str, expires: date | None, verified_on: date | None,
        verified_by: int | None, source: str, document: tuple[str, bytes] | None, now: datetime,
    ) -> CheckRecord:  # fmt: skip
        """Keep one recording of a check (``document``: its content type and bytes); the
        current expiry (``checks``) is set by the caller."""

    async def check_history(self, member_id: int) -> list[CheckRecord]:
        """Every recording of the member's checks, newest first."""

    async def document(self, document_id: int) -> Document | None: ...

    async def leavers_with_documents(self, left_before: date) -> list[int]:
        """Members who left before that day and still have documents kept."""

    async def delete_documents(self, member_id: int) -> int:
        """Delete the member's documents (their history rows keep that one was seen); how many."""

    async def forget_checks(self, member_id: int) -> None:
        """Delete the member's checks, their history and documents (an erasure)."""
