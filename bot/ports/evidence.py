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
