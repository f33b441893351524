"""Invoices and credit notes, the billing details they print, and links to documents."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Protocol

from bot.domain import Billing, Invoice
from bot.ports.records import InvoiceRow


class Invoices(Protocol):
    async def billing(self, member_id: int) -> Billing | None: ...

    async def save_billing(self, billing: Billing, now: datetime) -> None: ...

    async def add_invoice(
        self,
        *,
        member_id: int,
        practice: str,
        kind: str,
        period: str,
        issued_on: date,
        due_on: date | None,
        state: str,
        fee_pence: int,
        expenses_pence: int,
        pensionable_pence: int,
        employer_pence: int,
        total_pence: int,
        pensions: bool,
        document: str,
        credits: int | None,
        lines: Sequence[tuple[int, int | None, int]],
        now: datetime,
        form_a: str | None = None,
    ) -> Invoice:
        """The person's next number (gapless), the invoice and its lines (session id, expense
        id or None, amount; an expense's line says its session), and its Form A as issued, in
        one go."""

    async def next_number(self, member_id: int) -> tuple[int, str]:
        """The sequence number and printed number the person's next invoice will have."""

    async def invoice(self, invoice_id: int) -> Invoice | None: ...

    async def invoice_by_number(self, number: str) -> Invoice | None: ...

    async def form_a(self, invoice_id: int) -> str | None:
        """Its Form A as issued (JSON), when the work is pensioned."""

    async def window_warned(self, invoice_id: int) -> bool:
        """Whether the practice was told of its 10-week window (``window_warned_at``)."""

    async def document(self, invoice_id: int) -> str:
        """The invoice as issued (JSON)."""

    async def invoice_rows(
        self,
        *,
        states: Sequence[str] = (),
        practices: Sequence[str] | None = None,
        member_id: int | None = None,
        issued_from: date | None = None,
        issued_before: date | None = None,
    ) -> list[InvoiceRow]:
        """Invoices and credit notes, newest first, with who and where."""

    async def invoiced_sessions(self, session_ids: Iterable[int]) -> set[int]:
        """Which of these sessions are on a live (not cancelled) invoice."""

    async def invoiced_expenses(self, expense_ids: Iterable[int]) -> set[int]: ...

    async def sessions_of(self, invoice_id: int) -> list[int]: ...

    async def change_state(
        self, invoice_id: int, state: str, *, expect: Sequence[str], now: datetime, field: str | None = None
    ) -> bool:
        """Compare-and-set the state; ``field`` (sent_at, cancelled_at, reminded_at,
        escalated_at, window_warned_at) noted at ``now``."""

    async def mark_paid(self, invoice_id: int, paid_on: date, by: int | None, now: datetime) -> bool:
        """Sent or overdue → paid, on that day; False when it was not payable."""

    async def release_lines(self, invoice_id: int) -> None:
        """A cancelled invoice's sessions and expenses may be invoiced again."""

    async def paid_between(self, member_id: int, first: date, last: date) -> list[Invoice]:
        """The person's invoices paid on a day in [first, last], by the day paid."""

    async def add_link(
        self, token_hash: str, kind: str, ref: str, expires_at: datetime, now: datetime
    ) -> None: ...

    async def link(self, token_hash: str) -> tuple[str, str, datetime] | None:
        """A document link's kind, what it opens, and until when."""
