"""Bookings: a GP holding a session, until they drop it or it is cancelled."""

from __future__ import annotations

from datetime import datetime

from bot.domain import (
    Booking,
    Member,
    Practice,
    Session,
)
from storage.sqlite.repository import Repository
from storage.sqlite.rows import (
    BOOKING_COLUMNS,
    MEMBER_COLUMNS,
    PRACTICE_COLUMNS,
    SESSION_COLUMNS,
    SESSION_WIDTH,
    to_booking,
    to_member,
    to_practice,
    to_session,
)
from storage.sqlite.timefmt import to_db


class SqliteBookings(Repository):
    async def bookings_of_member(self, member_id: int, limit: int) -> list[tuple[Booking, Session, Practice]]:
        rows = await self._all(
            f"SELECT {BOOKING_COLUMNS}, {SESSION_COLUMNS}, {PRACTICE_COLUMNS} FROM bookings b "
            "JOIN sessions s ON s.id = b.session_id JOIN practices p ON p.ods_code = s.practice "
            "WHERE b.member_id = ? ORDER BY s.starts_at DESC, b.id DESC LIMIT ?",
            (member_id, limit),
        )
        width = len(BOOKING_COLUMNS.split(","))
        return [(to_booking(r), to_session(r, width), to_practice(r, width + SESSION_WIDTH)) for r in rows]

    async def live_booking(self, session_id: int) -> Booking | None:
        row = await self._one(
            f"SELECT {BOOKING_COLUMNS} FROM bookings b WHERE b.session_id = ? AND b.state = 'booked'",
            (session_id,),
        )
        return to_booking(row) if row else None

    async def upcoming_bookings(
        self, member_id: int, now: datetime
    ) -> list[tuple[Booking, Session, Practice]]:
        rows = await self._all(
            f"SELECT {BOOKING_COLUMNS}, {SESSION_COLUMNS}, {PRACTICE_COLUMNS} FROM bookings b "
            "JOIN sessions s ON s.id = b.session_id JOIN practices p ON p.ods_code = s.practice "
            "WHERE b.member_id = ? AND b.state = 'booked' AND s.ends_at > ? "
            "ORDER BY s.starts_at, s.id",
            (member_id, to_db(now)),
        )
        return [(to_booking(r), to_session(r, 7), to_practice(r, 7 + SESSION_WIDTH)) for r in rows]

    async def booking_by_code(self, member_id: int, code: str) -> Booking | None:
        row = await self._one(
            f"SELECT {BOOKING_COLUMNS} FROM bookings b WHERE b.member_id = ? AND b.code = ? "
            "ORDER BY (b.state = 'booked') DESC, b.id DESC LIMIT 1",
            (member_id, code),
        )
        return to_booking(row) if row else None

    async def bookings_between(self, start: datetime, end: datetime) -> list[tuple[Booking, Session, Member]]:
        """Live bookings of sessions starting in [start, end), with the session and the GP."""
        rows = await self._all(
            f"SELECT {BOOKING_COLUMNS}, {SESSION_COLUMNS}, {MEMBER_COLUMNS} FROM bookings b "
            "JOIN sessions s ON s.id = b.session_id JOIN members m ON m.id = b.member_id "
            "WHERE b.state = 'booked' AND s.starts_at >= ? AND s.starts_at < ? ORDER BY s.starts_at, s.id",
            (to_db(start), to_db(end)),
        )
        return [(to_booking(r), to_session(r, 7), to_member(r, 7 + SESSION_WIDTH)) for r in rows]

    async def add_booking(
        self,
        *,
        session_id: int,
        member_id: int,
        offer_id: int | None,
        code: str,
        via: str,
        now: datetime,
    ) -> Booking:
        (booking_id,) = await self._one(
            "INSERT INTO bookings (session_id, member_id, offer_id, code, booked_at, booked_via) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (session_id, member_id, offer_id, code, to_db(now), via),
        )
        row = await self._one(f"SELECT {BOOKING_COLUMNS} FROM bookings b WHERE b.id = ?", (booking_id,))
        return to_booking(row)

    async def end_booking(self, booking_id: int, state: str, now: datetime) -> bool:
        cursor = await self._run(
            "UPDATE bookings SET state = ?, ended_at = ? WHERE id = ? AND state = 'booked'",
            (state, to_db(now), booking_id),
        )
        return cursor.rowcount == 1

    async def worked_at_before(self, member_id: int, practice: str, before: datetime) -> bool:
        """Whether the member had a session at the practice that started before ``before``."""
        row = await self._one(
            "SELECT 1 FROM bookings b JOIN sessions s ON s.id = b.session_id WHERE b.member_id = ? "
            "AND s.practice = ? AND b.state = 'booked' AND s.starts_at < ? LIMIT 1",
            (member_id, practice, to_db(before)),
        )
        return row is not None
