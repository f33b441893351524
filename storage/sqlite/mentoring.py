"""Mentors, mentees, proposed and approved pairings, meetings."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from storage.sqlite.repository import Repository
from storage.sqlite.rows import (
    join_list,
    split_list,
)
from storage.sqlite.timefmt import from_db, opt_from_db, to_db


class SqliteMentoring(Repository):
    async def set_mentor(
        self,
        member_id: int,
        capacity: int,
        hours: float,
        interests: Iterable[str],
        localities: Iterable[str],
        trained: bool,
        now: datetime,
    ) -> None:
        await self._run(
            "INSERT INTO mentors (member_id, capacity, hours, interests, localities, trained, joined_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (member_id) DO UPDATE SET capacity = excluded.capacity, "
            "hours = excluded.hours, interests = excluded.interests, localities = excluded.localities, "
            "trained = excluded.trained, left_at = NULL",
            (
                member_id,
                capacity,
                hours,
                join_list(interests),
                join_list(localities),
                int(trained),
                to_db(now),
            ),
        )

    async def mentors(self) -> list[dict[str, Any]]:
        rows = await self._all(
            "SELECT member_id, capacity, hours, interests, localities, trained FROM mentors "
            "WHERE left_at IS NULL ORDER BY member_id"
        )
        return [
            {"member_id": r[0], "capacity": r[1], "hours": r[2], "interests": split_list(r[3]),
             "localities": split_list(r[4]), "trained": bool(r[5])}
            for r in rows
        ]  # fmt: skip

    async def add_mentee_request(self, member_id: int, wants: str, now: datetime) -> bool:
        """False when they are already waiting or mentored."""
        waiting = await self._one(
            "SELECT 1 FROM mentee_requests WHERE member_id = ? AND state = 'waiting' UNION "
            "SELECT 1 FROM mentorships WHERE mentee_id = ? AND state = 'active'",
            (member_id, member_id),
        )
        if waiting:
            return False
        await self._run(
            "INSERT INTO mentee_requests (member_id, wants, created_at) VALUES (?, ?, ?)",
            (member_id, wants, to_db(now)),
        )
        return True

    async def waiting_mentees(self) -> list[tuple[int, str]]:
        rows = await self._all(
            "SELECT member_id, wants FROM mentee_requests WHERE state = 'waiting' ORDER BY id"
        )
        return [(r[0], r[1]) for r in rows]

    async def mentorships(self, states: Iterable[str]) -> list[dict[str, Any]]:
        wanted = list(states)
        if not wanted:
            return []  # PostgreSQL refuses an empty IN ()
        rows = await self._all(
            "SELECT id, mentee_id, mentor_id, state, fit, why FROM mentorships WHERE state IN ("
            + ",".join("?" * len(wanted))
            + ") ORDER BY id",
            wanted,
        )
        return [
            dict(zip(("id", "mentee_id", "mentor_id", "state", "fit", "why"), r, strict=True)) for r in rows
        ]

    async def replace_proposals(self, pairs: Iterable[tuple[int, int, int, str]], now: datetime) -> None:
        """The lead's list of proposals, as of this run: (mentee, mentor, fit, why)."""
        await self._run("DELETE FROM mentorships WHERE state = 'proposed'")
        await self._many(
            "INSERT INTO mentorships (mentee_id, mentor_id, state, fit, why, proposed_at) "
            "VALUES (?, ?, 'proposed', ?, ?, ?)",
            [(mentee, mentor, fit, why, to_db(now)) for mentee, mentor, fit, why in pairs],
        )

    async def mentor_leaves(self, member_id: int, now: datetime) -> list[int]:
        """Take a mentor off the register; their mentees (whose pairs end) wait for a new one."""
        await self._run("UPDATE mentors SET left_at = ? WHERE member_id = ?", (to_db(now), member_id))
        # RETURNING has no order (PostgreSQL's follows the table's storage): oldest pairing first.
        rows = sorted(
            await self._all(
                "UPDATE mentorships SET state = 'ended', ended_at = ? "
                "WHERE mentor_id = ? AND state = 'active' RETURNING mentee_id, id",
                (to_db(now), member_id),
            ),
            key=lambda row: row[1],
        )
        await self._run("DELETE FROM mentorships WHERE mentor_id = ? AND state = 'proposed'", (member_id,))
        for _, mentorship_id in rows:
            await self.unit.prompts.close_prompts_about("met", mentorship_id, now)
        return [r[0] for r in rows]

    async def previous_mentor(self, mentee_id: int) -> int | None:
        """The mentor of the mentee's last pairing, if it ended because that mentor left (not
        a REMATCH)."""
        # An erased member's pairings end with no time: last, as SQLite sorts NULLs (PostgreSQL: first).
        row = await self._one(
            "SELECT p.mentor_id, r.left_at IS NOT NULL FROM mentorships p "
            "JOIN mentors r ON r.member_id = p.mentor_id "
            "WHERE p.mentee_id = ? AND p.state = 'ended' ORDER BY p.ended_at DESC NULLS LAST, p.id DESC "
            "LIMIT 1",
            (mentee_id,),
        )
        return row[0] if row and row[1] else None

    async def mentorship(self, mentorship_id: int) -> dict[str, Any] | None:
        row = await self._one(
            "SELECT id, mentee_id, mentor_id, state, approved_at FROM mentorships WHERE id = ?",
            (mentorship_id,),
        )
        if row is None:
            return None
        return {"id": row[0], "mentee_id": row[1], "mentor_id": row[2], "state": row[3],
                "approved_at": opt_from_db(row[4])}  # fmt: skip

    async def active_mentorships_of(self, member_id: int) -> list[dict[str, Any]]:
        rows = await self._all(
            "SELECT id, mentee_id, mentor_id FROM mentorships WHERE state = 'active' "
            "AND (mentee_id = ? OR mentor_id = ?) ORDER BY id",
            (member_id, member_id),
        )
        return [{"id": r[0], "mentee_id": r[1], "mentor_id": r[2]} for r in rows]

    async def log_meeting(self, mentorship_id: int, by: int | None, now: datetime) -> None:
        await self._run(
            "INSERT INTO mentoring_meetings (mentorship_id, met_on, logged_by) VALUES (?, ?, ?)",
            (mentorship_id, to_db(now), by),
        )

    async def meetings_since(self, mentorship_id: int, since: datetime) -> int:
        row = await self._one(
            "SELECT count(*) FROM mentoring_meetings WHERE mentorship_id = ? AND met_on >= ?",
            (mentorship_id, to_db(since)),
        )
        return row[0]

    async def end_mentorship(self, mentorship_id: int, now: datetime) -> bool:
        cursor = await self._run(
            "UPDATE mentorships SET state = 'ended', ended_at = ? WHERE id = ? AND state = 'active'",
            (to_db(now), mentorship_id),
        )
        await self.unit.prompts.close_prompts_about(
            "met", mentorship_id, now
        )  # "Did you meet?" no longer asks
        return cursor.rowcount == 1

    async def requeue_mentee(self, member_id: int, now: datetime) -> None:
        await self._run(
            "INSERT INTO mentee_requests (member_id, wants, created_at) SELECT ?, coalesce("
            "(SELECT wants FROM mentee_requests WHERE member_id = ? ORDER BY id DESC LIMIT 1), ''), ?",
            (member_id, member_id, to_db(now)),
        )

    async def approve_mentorship(self, mentorship_id: int, now: datetime) -> dict[str, Any] | None:
        cursor = await self._run(
            "UPDATE mentorships SET state = 'active', approved_at = ? WHERE id = ? AND state = 'proposed'",
            (to_db(now), mentorship_id),
        )
        if cursor.rowcount != 1:
            return None
        row = await self._one(
            "SELECT mentee_id, mentor_id, why FROM mentorships WHERE id = ?", (mentorship_id,)
        )
        await self._run(
            "UPDATE mentee_requests SET state = 'matched' WHERE member_id = ? AND state = 'waiting'",
            (row[0],),
        )
        return {"id": mentorship_id, "mentee_id": row[0], "mentor_id": row[1], "why": row[2]}

    async def mentoring_figures(self, start: datetime, end: datetime) -> dict[str, Any]:
        """Mentees matched and waiting now; meetings logged in [start, end) and the four-week
        cycles that active pairs completed in it."""
        matched = await self._one("SELECT count(*) FROM mentorships WHERE state = 'active'")
        waiting = await self._one("SELECT count(*) FROM mentee_requests WHERE state = 'waiting'")
        mentors = await self._one("SELECT count(*) FROM mentors WHERE left_at IS NULL")
        meetings = await self._one(
            "SELECT count(*) FROM mentoring_meetings WHERE met_on >= ? AND met_on < ?",
            (to_db(start), to_db(end)),
        )
        rematched = await self._one(
            "SELECT count(*) FROM audit WHERE action = 'mentorship_ended' AND at >= ? AND at < ?",
            (to_db(start), to_db(end)),
        )
        spans = await self._all(
            "SELECT approved_at, coalesce(ended_at, ?) FROM mentorships "
            "WHERE approved_at IS NOT NULL AND state IN ('active', 'ended')",
            (to_db(end),),
        )
        return {"matched": matched[0], "waiting": waiting[0], "mentors": mentors[0],
                "meetings": meetings[0], "ended": rematched[0],
                "cycles": [(from_db(a), from_db(b)) for a, b in spans]}  # fmt: skip
