"""Peer groups, their sessions, RSVPs, attendance, nudges and coffee pairings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bot.domain import (
    GroupSession,
    PeerGroup,
)
from storage.sqlite.repository import Repository
from storage.sqlite.rows import (
    GROUP_COLUMNS,
    GROUP_SESSION_COLUMNS,
    to_group,
    to_group_session,
)
from storage.sqlite.timefmt import from_db, opt_from_db, to_db


class SqliteGroups(Repository):
    # Peer groups

    async def peer_group(self, key: str | int) -> PeerGroup | None:
        """A group by its number or its name (any case)."""
        if str(key).isdigit():
            row = await self._one(f"SELECT {GROUP_COLUMNS} FROM peer_groups WHERE id = ?", (int(key),))
            if row:
                return to_group(row)
        # Names compared in Python: SQLite's lower() folds only ASCII, PostgreSQL's all of Unicode.
        wanted = str(key).lower()
        for row in await self._all(f"SELECT {GROUP_COLUMNS} FROM peer_groups ORDER BY id"):
            if row[1].lower() == wanted:
                return to_group(row)
        return None

    async def peer_groups(self) -> list[PeerGroup]:
        return [to_group(r) for r in await self._all(f"SELECT {GROUP_COLUMNS} FROM peer_groups ORDER BY id")]

    async def group_member_ids(self, group_id: int) -> list[int]:
        rows = await self._all(
            "SELECT member_id FROM group_members WHERE group_id = ? ORDER BY joined_at, member_id",
            (group_id,),
        )
        return [r[0] for r in rows]

    async def groups_of(self, member_id: int) -> list[PeerGroup]:
        rows = await self._all(
            f"SELECT {GROUP_COLUMNS} FROM peer_groups WHERE id IN "
            "(SELECT group_id FROM group_members WHERE member_id = ?) ORDER BY id",
            (member_id,),
        )
        return [to_group(r) for r in rows]

    async def group_sizes(self) -> dict[int, int]:
        """How many members each group has (groups with none are left out)."""
        rows = await self._all("SELECT group_id, count(*) FROM group_members GROUP BY group_id")
        return {r[0]: r[1] for r in rows}

    async def group_session(self, session_id: int) -> GroupSession | None:
        row = await self._one(
            f"SELECT {GROUP_SESSION_COLUMNS} FROM group_sessions WHERE id = ?", (session_id,)
        )
        return to_group_session(row) if row else None

    async def group_session_by_token(self, token: str) -> GroupSession | None:
        row = await self._one(
            f"SELECT {GROUP_SESSION_COLUMNS} FROM group_sessions WHERE calendar_token = ?", (token,)
        )
        return to_group_session(row) if row else None

    async def group_sessions(
        self, group_id: int | None, after: datetime | None = None, before: datetime | None = None
    ) -> list[GroupSession]:
        """Scheduled sessions (of one group, or all), in time order, starting in [after, before)."""
        # CAST: PostgreSQL cannot type a parameter met only by IS NULL (SQLite does not mind).
        rows = await self._all(
            f"SELECT {GROUP_SESSION_COLUMNS} FROM group_sessions WHERE state = 'scheduled' "
            "AND (CAST(? AS TEXT) IS NULL OR group_id = ?) AND (CAST(? AS TEXT) IS NULL OR starts_at >= ?) "
            "AND (CAST(? AS TEXT) IS NULL OR starts_at < ?) ORDER BY starts_at, id",
            (group_id, group_id, *([to_db(after)] * 2 if after else [None] * 2),
             *([to_db(before)] * 2 if before else [None] * 2)),
        )  # fmt: skip
        return [to_group_session(r) for r in rows]

    async def rsvps(self, session_id: int) -> list[dict[str, Any]]:
        """Everyone's answer, in the order given (the waitlist's order)."""
        rows = await self._all(
            "SELECT member_id, answer, answered_at, attended FROM rsvps WHERE session_id = ? "
            "ORDER BY answered_at, member_id",
            (session_id,),
        )
        return [
            {"member_id": r[0], "answer": r[1], "answered_at": from_db(r[2]),
             "attended": None if r[3] is None else bool(r[3])}
            for r in rows
        ]  # fmt: skip

    async def rsvp(self, session_id: int, member_id: int) -> str | None:
        row = await self._one(
            "SELECT answer FROM rsvps WHERE session_id = ? AND member_id = ?", (session_id, member_id)
        )
        return row[0] if row else None

    async def last_attended(self, member_ids: Iterable[int]) -> dict[int, datetime]:
        rows = await self._all_in(
            "SELECT r.member_id, max(s.starts_at) FROM rsvps r JOIN group_sessions s ON s.id = r.session_id "
            "WHERE r.attended = 1 AND r.member_id IN ({ids}) GROUP BY r.member_id",
            member_ids,
        )
        return {r[0]: from_db(r[1]) for r in rows}

    async def last_nudged(self, member_ids: Iterable[int]) -> dict[int, datetime]:
        rows = await self._all_in(
            "SELECT member_id, max(sent_at) FROM peer_nudges WHERE member_id IN ({ids}) GROUP BY member_id",
            member_ids,
        )
        return {r[0]: from_db(r[1]) for r in rows}

    async def nudges_muted(self) -> set[int]:
        return {r[0] for r in await self._all("SELECT member_id FROM peer_nudges_muted")}

    async def group_joined(self) -> dict[int, datetime]:
        """When each member first joined any peer group."""
        rows = await self._all("SELECT member_id, min(joined_at) FROM group_members GROUP BY member_id")
        return {r[0]: from_db(r[1]) for r in rows}

    async def last_pairing_round(self, group_id: int) -> datetime | None:
        row = await self._one("SELECT max(held_at) FROM pairing_rounds WHERE group_id = ?", (group_id,))
        return opt_from_db(row[0])

    async def recent_pods(self, group_id: int, rounds: int) -> list[list[set[int]]]:
        """The pods of the group's last ``rounds`` coffee rounds, newest first."""
        held = await self._all(
            "SELECT id FROM pairing_rounds WHERE group_id = ? ORDER BY id DESC LIMIT ?", (group_id, rounds)
        )
        found: list[list[set[int]]] = []
        for (round_id,) in held:
            pods: dict[int, set[int]] = defaultdict(set)
            for pod, member_id in await self._all(
                "SELECT pod, member_id FROM pairing_members WHERE round_id = ? ORDER BY member_id",
                (round_id,),
            ):
                pods[pod].add(member_id)
            found.append(list(pods.values()))
        return found

    async def peer_figures(self, start: datetime, end: datetime) -> dict[str, int]:
        """Sessions held, answers and attendance for peer-group sessions starting in [start, end)."""
        row = await self._one(
            "SELECT count(DISTINCT s.id), "
            "count(*) FILTER (WHERE r.answer = 'going'), count(*) FILTER (WHERE r.answer = 'not_going'), "
            "count(*) FILTER (WHERE r.answer = 'waitlist'), count(*) FILTER (WHERE r.attended = 1), "
            "count(*) FILTER (WHERE r.answer = 'going' AND r.attended = 0), "
            "count(DISTINCT CASE WHEN r.attended = 1 THEN r.member_id END) "
            "FROM group_sessions s LEFT JOIN rsvps r ON r.session_id = s.id "
            "WHERE s.state = 'scheduled' AND s.starts_at >= ? AND s.starts_at < ?",
            (to_db(start), to_db(end)),
        )
        invited = await self._one(
            "SELECT count(*) FROM prompts p JOIN group_sessions s ON s.id = p.ref_id WHERE p.kind = 'rsvp' "
            "AND s.state = 'scheduled' AND s.starts_at >= ? AND s.starts_at < ?",
            (to_db(start), to_db(end)),
        )
        nudged = await self._one(
            "SELECT count(*) FROM peer_nudges WHERE sent_at >= ? AND sent_at < ?", (to_db(start), to_db(end))
        )
        keys = ("sessions", "going", "not_going", "waitlisted", "attended", "missed", "people_attended")
        return {**dict(zip(keys, row, strict=True)), "invited": invited[0], "nudged": nudged[0]}

    # Peer groups

    async def add_peer_group(
        self, name: str, kind: str, closed: bool, lead_id: int | None, now: datetime
    ) -> PeerGroup:
        (group_id,) = await self._one(
            "INSERT INTO peer_groups (name, kind, closed, lead_id, created_at) VALUES (?, ?, ?, ?, ?) "
            "RETURNING id",
            (name, kind, int(closed), lead_id, to_db(now)),
        )
        return PeerGroup(int(group_id), name, kind, closed, lead_id)

    async def add_group_members(self, group_id: int, member_ids: Iterable[int], now: datetime) -> list[int]:
        """The ones who were not members yet."""
        added = []
        for member_id in member_ids:
            cursor = await self._run(
                "INSERT INTO group_members (group_id, member_id, joined_at) VALUES (?, ?, ?) "
                "ON CONFLICT (group_id, member_id) DO NOTHING",
                (group_id, member_id, to_db(now)),
            )
            if cursor.rowcount:
                added.append(member_id)
        return added

    async def set_coffee(self, group_id: int, on: bool) -> None:
        await self._run("UPDATE peer_groups SET coffee = ? WHERE id = ?", (int(on), group_id))

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
    ) -> GroupSession:
        (session_id,) = await self._one(
            "INSERT INTO group_sessions (group_id, series_id, starts_at, ends_at, place, link, capacity, "
            "calendar_token, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (group_id, series_id, to_db(starts_at), to_db(ends_at), place, link, capacity, token, to_db(now)),
        )
        return GroupSession(
            int(session_id),
            group_id,
            starts_at,
            ends_at,
            place,
            link,
            capacity,
            token,
            "scheduled",
            series_id,
        )

    async def cancel_group_session(self, session_id: int) -> bool:
        cursor = await self._run(
            "UPDATE group_sessions SET state = 'cancelled' WHERE id = ? AND state = 'scheduled'",
            (session_id,),
        )
        return cursor.rowcount == 1

    async def set_rsvp(self, session_id: int, member_id: int, answer: str, now: datetime) -> None:
        """A new answer; the time (the waitlist's order) changes only when the answer does."""
        await self._run(
            "INSERT INTO rsvps (session_id, member_id, answer, answered_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (session_id, member_id) DO UPDATE SET answer = excluded.answer, "
            "answered_at = excluded.answered_at WHERE rsvps.answer != excluded.answer",
            (session_id, member_id, answer, to_db(now)),
        )

    async def going_count(self, session_id: int) -> int:
        row = await self._one(
            "SELECT count(*) FROM rsvps WHERE session_id = ? AND answer = 'going'", (session_id,)
        )
        return int(row[0])

    async def set_attended(self, session_id: int, member_id: int, attended: bool) -> None:
        await self._run(
            "UPDATE rsvps SET attended = ? WHERE session_id = ? AND member_id = ?",
            (int(attended), session_id, member_id),
        )

    async def record_nudge(self, member_id: int, now: datetime) -> None:
        await self._run("INSERT INTO peer_nudges (member_id, sent_at) VALUES (?, ?)", (member_id, to_db(now)))

    async def mute_nudges(self, member_id: int, muted: bool, now: datetime) -> None:
        if muted:
            await self._run(
                "INSERT INTO peer_nudges_muted (member_id, at) VALUES (?, ?) "
                "ON CONFLICT (member_id) DO NOTHING",
                (member_id, to_db(now)),
            )
        else:
            await self._run("DELETE FROM peer_nudges_muted WHERE member_id = ?", (member_id,))

    async def add_pairing_round(self, group_id: int, pods: Sequence[Sequence[int]], now: datetime) -> int:
        row = await self._one(
            "INSERT INTO pairing_rounds (group_id, held_at) VALUES (?, ?) RETURNING id",
            (group_id, to_db(now)),
        )
        round_id = int(row[0])
        await self._many(
            "INSERT INTO pairing_members (round_id, pod, member_id) VALUES (?, ?, ?)",
            [(round_id, pod, member) for pod, members in enumerate(pods) for member in members],
        )
        return round_id
