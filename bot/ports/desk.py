"""The coordinators' desk: the inbox and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.domain import AuditEntry
from bot.ports.records import InboxItem


class Inbox(Protocol):
    """The coordinators' inbox: messages the bot could not act on."""

    async def items(self, state: str = "open") -> list[InboxItem]: ...

    async def inbox_item(self, item_id: int) -> InboxItem | None: ...

    async def add_to_inbox(self, message_id: int, member_id: int | None, now: datetime) -> None:
        """A new item, or, when the same number has one open, that item counts one more and
        shows the newest message."""

    async def close_inbox_item(self, item_id: int, by: int | None, now: datetime) -> bool: ...


class Audit(Protocol):
    """The audit trail: append-only, every change and who made it."""

    async def record(self, entry: AuditEntry, now: datetime) -> None: ...


class Figures(Protocol):
    """The pool's figures for a financial year, as BuildReport returns them (flows/desk/report.py):
    what a driving adapter shows or hands on without knowing how they were counted."""

    financial_year: str  # "2026/27"

    def as_dict(self) -> dict[str, object]:
        """Every figure, as the JSON API gives them."""

    def as_csv(self) -> str:
        """The NHS return, as ``report --csv`` prints it, every cell safe in a spreadsheet."""
