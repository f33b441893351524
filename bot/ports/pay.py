"""Pay for the work: delivered sessions' hours signed off by the practice, and expenses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from bot.domain import Expense, SignOff
from bot.ports.records import SignOffRow


class Pay(Protocol):
    """Sign-offs (one per delivered session) and expense lines."""

    async def signoff(self, session_id: int) -> SignOff | None: ...

    async def add_signoff(
        self, session_id: int, member_id: int, practice: str, hours: float, reported_by: str, now: datetime
    ) -> SignOff: ...

    async def sign_off(
        self, session_id: int, *, pay_pence: int, pay_rule: str, by: int | None, now: datetime
    ) -> bool:
        """Awaiting → signed off with its pay, kept from now on; False when it was signed off
        or queried meanwhile (compare-and-set: two people confirming at once count once)."""

    async def query_signoff(self, session_id: int, text: str, by: int | None, now: datetime) -> bool:
        """Awaiting → queried, with the practice's words; False when it was not awaiting."""

    async def settle_signoff(
        self,
        session_id: int,
        *,
        hours: float,
        pay_pence: int,
        pay_rule: str,
        note: str,
        by: int | None,
        now: datetime,
    ) -> bool:
        """Awaiting or queried → signed off at the hours and pay a coordinator agreed."""

    async def mark_signoff(self, session_id: int, field: str, now: datetime) -> None:
        """Note when the practice was reminded (``reminded_at``) or the coordinators told
        (``escalated_at``)."""

    async def signoff_rows(
        self,
        *,
        start: datetime,
        end: datetime,
        states: Sequence[str] = (),
        practices: Sequence[str] | None = None,
        member_id: int | None = None,
    ) -> list[SignOffRow]:
        """Sign-offs of sessions starting in [start, end), soonest first, with the session,
        names and expenses; only these states, practices or member when given."""

    async def add_expense(
        self,
        *,
        session_id: int,
        member_id: int,
        kind: str,
        amount_pence: int,
        note: str,
        miles: float | None,
        by: int | None,
        now: datetime,
    ) -> Expense: ...

    async def expenses_for(self, session_ids: Iterable[int]) -> dict[int, list[Expense]]: ...
