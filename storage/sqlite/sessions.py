"""Sessions: posted, found, changed, delivered."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain import (
    Session,
    SessionStatus,
)
from bot.ports import (
    BoardRow,
    SessionView,
)
from storage.sqlite.repository import Repository
from storage.sqlite.rows import (
    MEMBER_COLUMNS,
    OFFER_COLUMNS,
    OFFER_WIDTH,
    PRACTICE_COLUMNS,
    PRACTICE_WIDTH,
    SESSION_COLUMNS,
    SESSION_WIDTH,
    join_list,
    to_member,
    to_offer,
    to_practice,
    to_session,
)
from storage.sqlite.timefmt import from_db, opt_from_db, to_db


class SqliteSessions(Repository):
    async def session(self, session_id: int) -> Session | None:
        row = await self._one(f"SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.id = ?", (session_id,))
        return to_session(row) if row else None

    async def session_by_code(self, code: str) -> Session | None:
        row = await self._one(f"SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.code = ?", (code.upper(),))
        return to_session(row) if row else None

    async def sessions_between(self, start: datetime, end: datetime) -> list[Session]:
        rows = await self._all(
            f"SELECT {SESSION_COLUMNS} FROM sessions s "
            "WHERE s.starts_at >= ? AND s.starts_at < ? ORDER BY s.starts_at, s.id",
            (to_db(start), to_db(end)),
        )
        return [to_session(row) for row in rows]

    async def fill_board(self, start: datetime, end: datetime) -> list[BoardRow]:
        # One query for the whole board: it is polled every two seconds by every open console.
        rows = await self._all(
            f"SELECT {SESSION_COLUMNS}, {PRACTICE_COLUMNS}, m.name, b.booked_at, "
            "coalesce(o.made, 0), coalesce(o.answered, 0), coalesce(o.declined, 0), coalesce(o.waiting, 0), "
            "(SELECT max(CAST(json_extract(a.detail, '$.step') AS INTEGER)) FROM audit a "
            " WHERE a.subject = 'session:' || s.id AND a.action = 'escalated'), "
            "(SELECT min(t.due_at) FROM timers t "
            " WHERE t.kind = 'escalate' AND t.subject = CAST(s.id AS TEXT) AND t.state = 'pending') "
            "FROM sessions s JOIN practices p ON p.ods_code = s.practice "
            "LEFT JOIN bookings b ON b.session_id = s.id AND b.state = 'booked' "
            "LEFT JOIN members m ON m.id = b.member_id "
            "LEFT JOIN (SELECT f.session_id, count(*) AS made, count(f.answer) AS answered, "
            "  count(*) FILTER (WHERE f.state = 'declined') AS declined, "
            "  count(*) FILTER (WHERE f.state = 'open') AS waiting "
            "  FROM offers f JOIN sessions fs ON fs.id = f.session_id "
            "  WHERE fs.starts_at >= ? AND fs.starts_at < ? GROUP BY f.session_id) o ON o.session_id = s.id "
            "WHERE s.starts_at >= ? AND s.starts_at < ? ORDER BY s.starts_at, s.id",
            (to_db(start), to_db(end), to_db(start), to_db(end)),
        )
        extra = SESSION_WIDTH + PRACTICE_WIDTH
        return [
            BoardRow(
                session=to_session(r),
                practice=to_practice(r, SESSION_WIDTH),
                booked=r[extra],
                booked_at=opt_from_db(r[extra + 1]),
                offers_made=r[extra + 2],
                answered=r[extra + 3],
                declined=r[extra + 4],
                waiting=r[extra + 5],
                escalation_step=int(r[extra + 6] or 0),
                next_escalation=from_db(r[extra + 7]) if r[extra + 7] else None,
            )
            for r in rows
        ]

    async def session_view(self, session_id: int) -> SessionView | None:
        row = await self._one(
            f"SELECT {SESSION_COLUMNS}, {PRACTICE_COLUMNS} FROM sessions s "
            "JOIN practices p ON p.ods_code = s.practice WHERE s.id = ?",
            (session_id,),
        )
        if row is None:
            return None
        booking = await self.unit.bookings.live_booking(session_id)
        offers = await self._all(
            f"SELECT {OFFER_COLUMNS}, {MEMBER_COLUMNS} FROM offers f "
            "JOIN members m ON m.id = f.member_id WHERE f.session_id = ? ORDER BY f.id",
            (session_id,),
        )
        booked = await self.unit.members.member(booking.member_id) if booking else None
        return SessionView(
            session=to_session(row),
            practice=to_practice(row, SESSION_WIDTH),
            booked=booked,
            offers=tuple((to_offer(r), to_member(r, OFFER_WIDTH)) for r in offers),
        )

    async def open_sessions(self, now: datetime) -> list[Session]:
        """Sessions still open and not yet started, soonest first."""
        rows = await self._all(
            f"SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.status = 'open' AND s.starts_at > ? "
            "ORDER BY s.starts_at, s.id",
            (to_db(now),),
        )
        return [to_session(row) for row in rows]

    async def session_by_slot(self, practice: str, starts_at: datetime, ends_at: datetime) -> Session | None:
        row = await self._one(
            f"SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.practice = ? AND s.starts_at = ? "
            "AND s.ends_at = ? ORDER BY s.id DESC LIMIT 1",
            (practice, to_db(starts_at), to_db(ends_at)),
        )
        return to_session(row) if row else None

    async def first_session_posted(self) -> datetime | None:
        row = await self._one("SELECT min(created_at) FROM sessions")
        return opt_from_db(row[0])

    async def add_session(
        self,
        *,
        code: str,
        practice: str,
        starts_at: datetime,
        ends_at: datetime,
        rate_pence: int,
        urgent: bool,
        notes: str,
        posted_by: int | None,
        posted_via: str,
        now: datetime,
        professions: Sequence[str] = ("gp",),
    ) -> Session:
        (session_id,) = await self._one(
            "INSERT INTO sessions (code, practice, starts_at, ends_at, rate_pence, urgent, notes, "
            "posted_by, posted_via, created_at, professions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "RETURNING id",
            (
                code,
                practice,
                to_db(starts_at),
                to_db(ends_at),
                rate_pence,
                int(urgent),
                notes,
                posted_by,
                posted_via,
                to_db(now),
                join_list(professions),
            ),
        )
        created = await self.session(session_id)
        assert created is not None
        return created

    async def session_code_taken(self, code: str) -> bool:
        return await self._one("SELECT 1 FROM sessions WHERE code = ?", (code,)) is not None

    async def set_session_status(
        self, session_id: int, status: SessionStatus, *, expect: SessionStatus, now: datetime
    ) -> bool:
        filled_at = to_db(now) if status == SessionStatus.FILLED else None
        cursor = await self._run(
            "UPDATE sessions SET status = ?, filled_at = coalesce(?, filled_at) WHERE id = ? AND status = ?",
            (status, filled_at, session_id, expect),
        )
        return cursor.rowcount == 1

    async def start_new_round(self, session_id: int) -> int:
        await self._run("UPDATE sessions SET round = round + 1, filled_at = NULL WHERE id = ?", (session_id,))
        row = await self._one("SELECT round FROM sessions WHERE id = ?", (session_id,))
        return row[0]

    async def make_urgent(self, session_id: int) -> None:
        await self._run("UPDATE sessions SET urgent = 1 WHERE id = ?", (session_id,))

    async def record_delivery(self, session_id: int, hours: float, now: datetime) -> bool:
        """A filled session went ahead: delivered, with the hours worked."""
        cursor = await self._run(
            "UPDATE sessions SET status = 'delivered', delivered_hours = ?, closed_at = ? "
            "WHERE id = ? AND status = 'filled'",
            (hours, to_db(now), session_id),
        )
        return cursor.rowcount == 1
