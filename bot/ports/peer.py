"""Peer support: groups and their sessions, coffee pairings, mentoring."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from bot.domain import GroupSession, PeerGroup


class Groups(Protocol):
    """Peer groups, their sessions, RSVPs, attendance, nudges and coffee pairings."""

    async def peer_group(self, key: str | int) -> PeerGroup | None:
        """A group by its number or its name (any case)."""

    async def peer_groups(self) -> list[PeerGroup]: ...

    async def group_member_ids(self, group_id: int) -> list[int]: ...

    async def groups_of(self, member_id: int) -> list[PeerGroup]: ...

    async def group_sizes(self) -> dict[int, int]:
        """How many members each group has (groups with none are left out)."""

    async def group_session(self, session_id: int) -> GroupSession | None: ...

    async def group_session_by_token(self, token: str) -> GroupSession | None: ...

    async def group_sessions(
        self, group_id: int | None, after: datetime | None = None, before: datetime | None = None
    ) -> list[GroupSession]:
        """Scheduled sessions (of one group, or all), in time order, starting in [after, before)."""

    async def rsvps(self, session_id: int) -> list[dict[str, Any]]:
        """Everyone's answer, in the order given (the waitlist's order)."""

    async def rsvp(self, session_id: int, member_id: int) -> str | None: ...

    async def last_attended(self, member_ids: Iterable[int]) -> dict[int, datetime]: ...

    async def last_nudged(self, member_ids: Iterable[int]) -> dict[int, datetime]: ...

    async def nudges_muted(self) -> set[int]: ...

    async def group_joined(self) -> dict[int, datetime]:
        """When each member first joined any peer group."""

    async def last_pairing_round(self, group_id: int) -> datetime | None: ...

    async def recent_pods(self, group_id: int, rounds: int) -> list[list[set[int]]]:
        """The pods of the group's last ``rounds`` coffee rounds, newest first."""

    async def peer_figures(self, start: datetime, end: datetime) -> dict[str, int]:
        """Sessions held, answers and attendance for peer-group sessions starting in [start, end)."""

    async def add_peer_group(
        self, name: str, kind: str, closed: bool, lead_id: int | None, now: datetime
    ) -> PeerGroup: ...

    async def add_group_members(self, group_id: int, member_ids: Iterable[int], now: datetime) -> list[int]:
        """The ones who were not members yet."""

    async def set_coffee(self, group_id: int, on: bool) -> None: ...

    async def add_group_session(
        self,
        group_id: int,
        starts_at: datetime,
        ends_at: datetime,
        place: str,
        link: str,
        capacity: int | None,
        token: str,
        series_id: int | None,
        now: datetime,
    ) -> GroupSession: ...

    async def cancel_group_session(self, session_id: int) -> bool: ...

    async def set_rsvp(self, session_id: int, member_id: int, answer: str, now: datetime) -> None:
        """A new answer; the time (the waitlist's order) changes only when the answer does."""

    async def going_count(self, session_id: int) -> int: ...

    async def set_attended(self, session_id: int, member_id: int, attended: bool) -> None: ...

    async def record_nudge(self, member_id: int, now: datetime) -> None: ...

    async def mute_nudges(self, member_id: int, muted: bool, now: datetime) -> None: ...

    async def add_pairing_round(self, group_id: int, pods: Sequence[Sequence[int]], now: datetime) -> int: ...


class Mentoring(Protocol):
    """Mentors, mentees, proposed and approved pairings, meetings."""

    async def set_mentor(
        self,
        member_id: int,
        capacity: int,
        hours: float,
        interests: Iterable[str],
        localities: Iterable[str],
        trained: bool,
        now: datetime,
    ) -> None: ...

    async def mentors(self) -> list[dict[str, Any]]: ...

    async def add_mentee_request(self, member_id: int, wants: str, now: datetime) -> bool:
        """False when they are already waiting or mentored."""

    async def waiting_mentees(self) -> list[tuple[int, str]]: ...

    async def mentorships(self, states: Iterable[str]) -> list[dict[str, Any]]: ...

    async def replace_proposals(self, pairs: Iterable[tuple[int, int, int, str]], now: datetime) -> None:
        """The lead's list of proposals, as of this run: (mentee, mentor, fit, why)."""

    async def mentor_leaves(self, member_id: int, now: datetime) -> list[int]:
        """Take a mentor off the register; their mentees (whose pairs end) wait for a new one."""

    async def previous_mentor(self, mentee_id: int) -> int | None:
        """The mentor of the mentee's last pairing, if it ended because that mentor left (not
        a REMATCH)."""

    async def mentorship(self, mentorship_id: int) -> dict[str, Any] | None: ...

    async def active_mentorships_of(self, member_id: int) -> list[dict[str, Any]]: ...

    async def log_meeting(self, mentorship_id: int, by: int | None, now: datetime) -> None: ...

    async def meetings_since(self, mentorship_id: int, since: datetime) -> int: ...

    async def end_mentorship(self, mentorship_id: int, now: datetime) -> bool: ...

    async def requeue_mentee(self, member_id: int, now: datetime) -> None: ...

    async def approve_mentorship(self, mentorship_id: int, now: datetime) -> dict[str, Any] | None: ...

    async def mentoring_figures(self, start: datetime, end: datetime) -> dict[str, Any]:
        """Mentees matched and waiting now; meetings logged in [start, end) and the four-week
        cycles that active pairs completed in it."""
