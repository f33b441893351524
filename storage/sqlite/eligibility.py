"""What the eligibility rules need to know about GPs for one session, in one query."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from bot.clock import LONDON
from bot.domain import (
    BookedSlot,
    GpFacts,
    OfferState,
    Session,
)
from storage.sqlite.repository import Repository
from storage.sqlite.rows import (
    MEMBER_COLUMNS,
    RECENT,
    to_member,
    week_bounds,
)
from storage.sqlite.timefmt import date_from_db, from_db, to_db


class SqliteEligibility(Repository):
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
        # Clinicians of the professions the session is for (PostgreSQL refuses an empty IN ()).
        if not session.professions:
            return []
        where = (
            "instr(';' || m.roles || ';', ';clinician;') > 0 "
            f"AND m.profession IN ({','.join('?' * len(session.professions))})"
        )
        params: list[Any] = list(session.professions)
        if after is not None or limit is not None:
            # No limit is no LIMIT clause: PostgreSQL refuses SQLite's LIMIT -1.
            chunk = await self._all(
                f"SELECT m.id FROM members m WHERE {where} AND m.id > ? ORDER BY m.id"
                + (" LIMIT ?" if limit is not None else ""),
                [*params, after or 0, *([limit] if limit is not None else [])],
            )
            member_ids = [row[0] for row in chunk]
        if member_ids is not None:
            ids = list(member_ids)
            if not ids:
                return []
            where += f" AND m.id IN ({','.join('?' * len(ids))})"
            params += ids
        members = [
            to_member(row)
            for row in await self._all(
                f"SELECT {MEMBER_COLUMNS} FROM members m WHERE {where} ORDER BY m.id", params
            )
        ]
        if not members:
            return []
        scope = f"IN (SELECT m.id FROM members m WHERE {where})"

        checks: dict[int, dict[str, date | None]] = defaultdict(dict)
        for member_id, kind, expires in await self._all(
            f"SELECT member_id, kind, expires FROM checks WHERE member_id {scope}", params
        ):
            checks[member_id][kind] = date_from_db(expires)

        week_start, week_end = week_bounds(session.starts_at)
        window_start = min(week_start, session.starts_at)
        window_end = max(week_end, session.ends_at)
        slots: dict[int, list[BookedSlot]] = defaultdict(list)
        for member_id, session_id, practice, starts, ends in await self._all(
            "SELECT b.member_id, s.id, s.practice, s.starts_at, s.ends_at FROM bookings b "
            "JOIN sessions s ON s.id = b.session_id "
            f"WHERE b.state = 'booked' AND s.ends_at > ? AND s.starts_at < ? AND b.member_id {scope} "
            "ORDER BY s.starts_at, s.id",
            [to_db(window_start), to_db(window_end), *params],
        ):
            slots[member_id].append(BookedSlot(session_id, practice, from_db(starts), from_db(ends)))

        worked = {
            row[0]
            for row in await self._all(
                "SELECT DISTINCT b.member_id FROM bookings b JOIN sessions s ON s.id = b.session_id "
                f"WHERE b.state = 'booked' AND s.practice = ? AND s.id != ? AND b.member_id {scope}",
                [session.practice, session.id, *params],
            )
        }
        recent = dict(
            await self._all(
                "SELECT b.member_id, count(*) FROM bookings b JOIN sessions s ON s.id = b.session_id "
                f"WHERE b.state = 'booked' AND s.starts_at >= ? AND s.starts_at < ? "
                f"AND b.member_id {scope} GROUP BY b.member_id",
                [to_db(now - RECENT), to_db(now), *params],
            )
        )
        offered: set[int] = set()
        turned_down: set[int] = set()
        for member_id, round_, state in await self._all(
            f"SELECT member_id, round, state FROM offers WHERE session_id = ? AND member_id {scope}",
            [session.id, *params],
        ):
            # An urgent session reaches again those whose earlier (routine) offer ran out.
            if round_ == session.round and not (session.urgent and state == OfferState.EXPIRED):
                offered.add(member_id)
            if state == OfferState.DECLINED:
                turned_down.add(member_id)
        turned_down.update(
            row[0]
            for row in await self._all(
                "SELECT member_id FROM bookings WHERE session_id = ? AND state = 'dropped' "
                f"AND member_id {scope}",
                [session.id, *params],
            )
        )
        preference = dict(
            await self._all(
                "SELECT member_id, kind FROM practice_preferences WHERE practice = ?", (session.practice,)
            )
        )
        day, halves = session.starts_at.astimezone(LONDON).date(), session.halves
        declared: dict[int, set[str]] = defaultdict(set)
        for member_id, half in await self._all(
            "SELECT member_id, half FROM availability WHERE day = ?", (day.isoformat(),)
        ):
            declared[member_id].add(half)
        return [
            GpFacts(
                member=m,
                checks=checks.get(m.id, {}),
                bookings=tuple(slots.get(m.id, ())),
                worked_at_practice=m.id in worked,
                recent_sessions=recent.get(m.id, 0),
                offered_this_round=m.id in offered,
                turned_down=m.id in turned_down,
                available=bool(declared.get(m.id)) and halves <= declared[m.id],
                practice_preference=preference.get(m.id),
            )
            for m in members
        ]
