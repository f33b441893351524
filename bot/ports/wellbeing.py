"""Wellbeing check-ins and plans."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol


class Wellbeing(Protocol):
    """Wellbeing check-ins and plans (answers belong to the GP: nothing here is for a
    coordinator's screen)."""

    async def wellbeing_plan(self, member_id: int) -> dict[str, Any] | None: ...

    async def set_wellbeing_plan(
        self, member_id: int, cadence: str, weekday: int, at_time: str, now: datetime
    ) -> None: ...

    async def stop_wellbeing_plan(self, member_id: int, now: datetime) -> bool: ...

    async def add_checkin(self, member_id: int, now: datetime) -> int: ...

    async def answer_checkin(self, checkin_id: int, score: int, now: datetime) -> None: ...

    async def comment_on_checkin(self, checkin_id: int, comment: str) -> None: ...

    async def set_lead_consent(self, checkin_id: int, consent: str) -> None: ...

    async def checkin(self, checkin_id: int) -> dict[str, Any] | None: ...

    async def checkin_history(self, member_id: int, limit: int) -> list[tuple[datetime, int]]:
        """The member's own answers, newest first: (when, score)."""

    async def latest_answered_checkin(self, member_id: int, since: datetime) -> int | None: ...

    async def recent_checkin_scores(self, member_id: int, limit: int) -> list[int | None]:
        """The member's last check-ins, newest first: their score, or None if unanswered."""

    async def last_checkin_asked(self, member_id: int) -> datetime | None: ...

    async def forget_checkins(self, member_id: int) -> int: ...

    async def checkin_answers_between(
        self, start: datetime, end: datetime
    ) -> list[tuple[datetime, int, int, str | None, bool]]:
        """For aggregates only: (answered, member, score, lead consent, follow-up offered)."""

    async def checkins_asked_between(self, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
        """For aggregates only: (asked, member) of every check-in asked."""
