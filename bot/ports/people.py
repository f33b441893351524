"""Who is in the pool: members (their checks, availability, links and opt-outs), what the
eligibility rules need to know about them, and practices."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Protocol

from bot.domain import GpFacts, Member, Practice, Session


class Members(Protocol):
    """Members: who they are, how to reach them, their checks, availability and opt-outs."""

    async def member(self, member_id: int) -> Member | None: ...

    async def by_ids(self, member_ids: Iterable[int]) -> dict[int, Member]: ...

    async def member_by_phone(self, phone: str) -> Member | None: ...

    async def quiet_preferences(
        self, member_ids: Iterable[int], only_own: bool = False
    ) -> dict[int, tuple[str | None, bool]]:
        """{member: (their own quiet hours or None, NIGHTS ON)}; ``only_own``: just those who
        set their own quiet hours."""

    async def member_by_email(self, email: str) -> Member | None:
        """The one member with this email (case aside), or None when none or several have it."""

    async def member_by_address(self, channel: str, address: str) -> Member | None: ...

    async def members_with_role(self, role: str) -> list[Member]: ...

    async def members_to_look_up_in_slack(self, looked_before: datetime, limit: int) -> list[Member]:
        """Members with an email and no Slack link, not looked up since ``looked_before``."""

    async def claim_slack_user_lookup(self, user_id: str, now: datetime, looked_before: datetime) -> bool:
        """Whether to look this Slack user up now: not looked up since ``looked_before`` (by
        any worker); noted as looked up at ``now`` when so."""

    async def all_members(self) -> list[Member]: ...

    async def members_registered_before(self, moment: datetime) -> list[Member]: ...

    async def available_members(self, day: date, half: str) -> list[Member]: ...

    async def record_slack_lookup(self, member_id: int, user_id: str | None, now: datetime) -> bool:
        """Remember a users.lookupByEmail answer; link the member when the Slack user is not
        linked to someone else already. True when linked."""

    async def update_member(self, member_id: int, **fields: Any) -> Member:
        """Change some of a member's fields (lists as sequences, roles as a set)."""

    async def set_availability(
        self, member_id: int, day: date, halves: Iterable[str], now: datetime
    ) -> None: ...

    async def add_member(self, member: Member, now: datetime) -> Member: ...

    async def set_paused_until(self, member_id: int, until: date | None) -> None: ...

    async def link_telegram(self, member_id: int, chat_id: str | None) -> None:
        """Link (or, with None, unlink) a member's Telegram chat; a chat belongs to one member."""

    async def opt_out(
        self, member_id: int, channel: str, now: datetime, by_provider: bool = False
    ) -> None: ...

    async def lift_provider_opt_out(self, member_id: int, channel: str) -> bool:
        """Undo an opt-out the provider recorded (not one the person asked for)."""

    async def opt_in(self, member_id: int, channel: str) -> bool: ...

    async def opted_out(self, member_ids: Iterable[int]) -> set[tuple[int, str]]:
        """(member, channel) pairs of opt-outs among these members."""

    async def checks_of(self, member_id: int) -> dict[str, date | None]: ...

    async def members_with_checks(self) -> list[tuple[Member, dict[str, date | None]]]:
        """Every member with the checks on record (kind -> expiry), by name."""

    async def erase_member(self, member_id: int, left_on: date, now: datetime) -> None:
        """Remove everything that identifies the member (name, phone, email, registration,
        chat links, roles, message texts); the row stays, so bookings and the audit still add up."""

    async def opt_outs_of(self, member_id: int) -> list[tuple[str, datetime, bool]]:
        """(channel, when, by the provider rather than the person) for each opt-out."""

    async def clinicians_checks(self) -> list[tuple[Member, dict[str, date | None]]]:
        """Every clinician with the checks on record (kind -> expiry), by name."""

    async def checks_expiring(self, last_day: date) -> list[tuple[Member, str, date]]:
        """GPs' checks that expire on or before ``last_day`` (lapsed ones included)."""

    async def note_check_reminder(
        self, member_id: int, kind: str, expires: date, days: int, now: datetime
    ) -> bool:
        """Remember a check reminder; False when that one was sent before."""

    async def set_check(self, member_id: int, kind: str, expires: date | None) -> None: ...

    async def add_link_code(
        self, member_id: int, channel: str, code_hash: str, now: datetime, expires_at: datetime
    ) -> None: ...

    async def link_code(self, code_hash: str, channel: str, now: datetime) -> tuple[int | None, str | None]:
        """(the member a code links, why it cannot be used now: None, 'used' or 'expired');
        (None, 'unknown') for a code never issued."""

    async def use_link_code(self, code_hash: str, channel: str, now: datetime) -> bool:
        """Mark a code used; False when it already was (single use, under the writer's lock)."""


class Eligibility(Protocol):
    """What the eligibility rules need to know about GPs for one session, in one query."""

    async def gp_facts(
        self,
        session: Session,
        now: datetime,
        member_ids: Iterable[int] | None = None,
        after: int | None = None,
        limit: int | None = None,
    ) -> list[GpFacts]:
        """Everything eligibility and ranking need, in a handful of set-wise queries, for the
        clinicians of the session's professions (``member_ids``: only those; ``after`` and
        ``limit``: the next ``limit`` of them by id after ``after``, a broadcast's chunk)."""


class Practices(Protocol):
    """Practices and the GPs each prefers or blocks."""

    async def practice(self, ods_code: str) -> Practice | None: ...

    async def all(self) -> list[Practice]: ...

    async def practice_preferences(self, ods_code: str) -> dict[int, str]: ...

    async def set_practice_preference(self, practice: str, member_id: int, kind: str | None) -> None: ...

    async def add_practice(self, practice: Practice) -> None: ...
