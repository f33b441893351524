"""The store on SQLite: WAL, one writer connection, numbered migrations, every query here.

SQLite allows one writer at a time. All writes go through one connection guarded by an
asyncio lock and run as ``BEGIN IMMEDIATE`` transactions, so a unit of work sees a consistent
state and its compare-and-set updates cannot interleave with another's.

The writer runs its statements on the event loop's own thread. A unit of work is a handful of
indexed statements (well under a millisecond); sending each one to aiosqlite's thread instead
cost a loop turn per statement while the lock was held, which capped the pool at about 300
replies a second with a p99 over a second (bench/replies.py; see the README). Reads that need no
transaction (the API, the sandbox outbox, the timer loop's polling) use a second, read-only
aiosqlite connection, which WAL lets read while the writer writes. When another process (the
CLI) holds SQLite's write lock, the writer waits for it without blocking the loop.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Collection, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from bot.clock import LONDON
from bot.domain import (
    AuditEntry,
    BookedSlot,
    Booking,
    BookingState,
    Choice,
    Cost,
    DeliveryChange,
    GpFacts,
    GroupSession,
    Inbound,
    Member,
    Offer,
    OfferState,
    PeerGroup,
    Practice,
    Prompt,
    Question,
    Session,
    SessionStatus,
)
from bot.ports import (
    DispatchOutcome,
    InboxItem,
    OfferTally,
    OutboxMessage,
    QueuedMessage,
    SentMessage,
    SessionView,
    TimerRow,
)
from storage.timefmt import date_from_db, date_to_db, from_db, opt_from_db, to_db

_MEMBER_COLUMNS = """
    m.id, m.name, m.phone, m.email, m.roles, m.gp_type, m.registration_number,
    m.preferred_channel, m.slack_user_id, m.telegram_chat_id, m.localities, m.practices,
    m.days, m.max_sessions_per_week, m.contracted_sessions_per_week, m.paused_until,
    m.urgent_at_night,
    (SELECT group_concat(o.channel, ';') FROM opt_outs o WHERE o.member_id = m.id) AS opted_out,
    m.quiet_hours, m.profession, m.level, m.alerts
"""
_SESSION_COLUMNS = """
    s.id, s.code, s.practice, s.starts_at, s.ends_at, s.rate_pence, s.urgent, s.notes,
    s.status, s.posted_by, s.round, s.kind, s.created_at, s.filled_at, s.delivered_hours,
    s.professions
"""
_OFFER_COLUMNS = """
    f.id, f.session_id, f.member_id, f.code, f.round, f.wave, f.channel, f.state, f.answer,
    f.sent_at, f.answered_at, f.source, f.notified_at, f.batch
"""
# RETURNING takes bare column names.
_OFFER_RETURNING = _OFFER_COLUMNS.replace("f.", "")
_PRACTICE_COLUMNS = (
    "p.ods_code, p.name, p.pcn, p.locality, p.address, p.clinical_system, p.info_pack, p.phone"
)
_BOOKING_COLUMNS = "b.id, b.session_id, b.member_id, b.code, b.state, b.booked_at, b.offer_id"
_RECENT = timedelta(days=28)


_GROUP_COLUMNS = "id, name, kind, closed, lead_id, coffee"
_GROUP_SESSION_COLUMNS = (
    "id, group_id, starts_at, ends_at, place, link, capacity, calendar_token, state, series_id"
)


def _group(row: Sequence[Any]) -> PeerGroup:
    return PeerGroup(row[0], row[1], row[2], bool(row[3]), row[4], bool(row[5]))


def _group_session(row: Sequence[Any]) -> GroupSession:
    return GroupSession(
        row[0], row[1], from_db(row[2]), from_db(row[3]), row[4], row[5], row[6], row[7], row[8], row[9]
    )


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(";") if part.strip())


def _join(parts: Iterable[str]) -> str:
    return ";".join(parts)


def _member(row: Sequence[Any], offset: int = 0) -> Member:
    r = row[offset : offset + _MEMBER_WIDTH]
    return Member(
        id=r[0],
        name=r[1],
        phone=r[2],
        email=r[3],
        roles=frozenset(_split(r[4])),
        gp_type=r[5],
        registration_number=r[6],
        preferred_channel=r[7],
        slack_user_id=r[8],
        telegram_chat_id=r[9],
        localities=_split(r[10]),
        practices=_split(r[11]),
        days=_split(r[12]),
        max_sessions_per_week=r[13],
        contracted_sessions_per_week=r[14] or 0,
        paused_until=date_from_db(r[15]),
        urgent_at_night=bool(r[16]),
        opted_out=frozenset(_split(r[17])),
        quiet_hours=r[18],
        profession=r[19],
        level=r[20],
        alerts=r[21],
    )


_MEMBER_WIDTH = 22


def _session(row: Sequence[Any], offset: int = 0) -> Session:
    r = row[offset : offset + _SESSION_WIDTH]
    return Session(
        id=r[0],
        code=r[1],
        practice=r[2],
        starts_at=from_db(r[3]),
        ends_at=from_db(r[4]),
        rate_pence=r[5],
        urgent=bool(r[6]),
        notes=r[7],
        status=SessionStatus(r[8]),
        posted_by=r[9],
        round=r[10],
        kind=r[11],
        created_at=opt_from_db(r[12]),
        filled_at=opt_from_db(r[13]),
        delivered_hours=r[14],
        professions=_split(r[15]),
    )


_SESSION_WIDTH = 16


def _offer(row: Sequence[Any], offset: int = 0) -> Offer:
    r = row[offset : offset + _OFFER_WIDTH]
    return Offer(
        id=r[0],
        session_id=r[1],
        member_id=r[2],
        code=r[3],
        round=r[4],
        wave=r[5],
        channel=r[6],
        state=OfferState(r[7]),
        answer=r[8],
        sent_at=opt_from_db(r[9]),
        answered_at=opt_from_db(r[10]),
        source=r[11],
        notified_at=opt_from_db(r[12]),
        batch=r[13],
    )


_OFFER_WIDTH = 14


def _practice(row: Sequence[Any], offset: int = 0) -> Practice:
    return Practice(*row[offset : offset + 8])


_PRACTICE_WIDTH = 8


def _booking(row: Sequence[Any], offset: int = 0) -> Booking:
    r = row[offset : offset + 7]
    return Booking(
        id=r[0],
        session_id=r[1],
        member_id=r[2],
        code=r[3],
        state=BookingState(r[4]),
        booked_at=from_db(r[5]),
        offer_id=r[6],
    )


# How far along a message is; delivered, undelivered and failed are ends. Ours first ("queued"
# and "sending" are ours before the provider has it), then the providers' own names.
_REPORT_RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "undelivered": 3, "failed": 3}


_CHANGE_COLUMNS = "id, member_id, channel, address, kind, topic, body, choices, status, error_code, error"


def _change(r: Sequence[Any]) -> DeliveryChange:
    return DeliveryChange(
        message_id=r[0], member_id=r[1], channel=r[2], address=r[3], kind=r[4], topic=r[5], text=r[6],
        choices=_choices_from_db(r[7]), status=r[8], error_code=r[9], error=r[10],
    )  # fmt: skip


def _choices_to_db(choices: Sequence[Choice]) -> str | None:
    return (
        json.dumps([[c.label, c.value, *([c.group] if c.group else [])] for c in choices])
        if choices
        else None
    )


def _choices_from_db(text: str | None) -> tuple[Choice, ...]:
    return tuple(Choice(*row) for row in json.loads(text)) if text else ()


def _week_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00, London time, of the week holding ``moment``."""
    local = moment.astimezone(LONDON)
    monday = (local - timedelta(days=local.weekday())).date()
    start = datetime(monday.year, monday.month, monday.day, tzinfo=LONDON)
    end_day = monday + timedelta(days=7)
    end = datetime(end_day.year, end_day.month, end_day.day, tzinfo=LONDON)
    return start, end


class SqliteQueries:
    """Read queries over one connection; the unit of work adds the writes."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    # One trip to aiosqlite's thread per query: on a busy pool the trips, not SQLite, cost most.
    async def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = await self._conn.execute_fetchall(sql, params)
        return rows[0] if rows else None

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return list(await self._conn.execute_fetchall(sql, params))

    async def _all_in(self, sql: str, ids: Iterable[int], before: tuple[Any, ...] = ()) -> list[Any]:
        """Rows for ``sql`` whose ``{ids}`` placeholders stand for the ids, in chunks that stay
        inside SQLite's limit on bound parameters; ``before``: parameters ahead of them."""
        unique = sorted(set(ids))
        rows: list[Any] = []
        for start in range(0, len(unique), 400):
            chunk = unique[start : start + 400]
            query = sql.replace("{ids}", ",".join("?" * len(chunk)))
            rows.extend(await self._all(query, (*before, *(chunk * sql.count("{ids}")))))
        return rows

    # -- members and practices ----------------------------------------------------------------

    async def member(self, member_id: int) -> Member | None:
        row = await self._one(f"SELECT {_MEMBER_COLUMNS} FROM members m WHERE m.id = ?", (member_id,))
        return _member(row) if row else None

    async def members(self, member_ids: Iterable[int]) -> dict[int, Member]:
        rows = await self._all_in(
            f"SELECT {_MEMBER_COLUMNS} FROM members m WHERE m.id IN ({{ids}})", member_ids
        )
        return {row[0]: _member(row) for row in rows}

    async def member_by_phone(self, phone: str) -> Member | None:
        row = await self._one(f"SELECT {_MEMBER_COLUMNS} FROM members m WHERE m.phone = ?", (phone,))
        return _member(row) if row else None

    async def quiet_preferences(
        self, member_ids: Iterable[int], only_own: bool = False
    ) -> dict[int, tuple[str | None, bool]]:
        """{member: (their own quiet hours or None, NIGHTS ON)}; ``only_own``: just those who
        set their own quiet hours."""
        rows = await self._all_in(
            "SELECT id, quiet_hours, urgent_at_night FROM members WHERE id IN ({ids})"
            + (" AND quiet_hours IS NOT NULL" if only_own else ""),
            member_ids,
        )
        return {r[0]: (r[1], bool(r[2])) for r in rows}

    async def checkin_answers_between(
        self, start: datetime, end: datetime
    ) -> list[tuple[datetime, int, int, str | None, bool]]:
        """For aggregates only: (answered, member, score, lead consent, follow-up offered)."""
        rows = await self._all(
            "SELECT c.answered_at, c.member_id, c.score, c.lead_consent, "
            "EXISTS (SELECT 1 FROM prompts p WHERE p.kind = 'lead' AND p.ref_id = c.id) "
            "FROM checkins c WHERE c.score IS NOT NULL AND c.answered_at >= ? AND c.answered_at < ?",
            (to_db(start), to_db(end)),
        )
        return [(from_db(r[0]), r[1], r[2], r[3], bool(r[4])) for r in rows]

    async def checkins_asked_between(self, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
        """For aggregates only: (asked, member) of every check-in asked."""
        rows = await self._all(
            "SELECT asked_at, member_id FROM checkins WHERE asked_at >= ? AND asked_at < ?",
            (to_db(start), to_db(end)),
        )
        return [(from_db(r[0]), r[1]) for r in rows]

    async def member_by_email(self, email: str) -> Member | None:
        """The one member with this email (case aside), or None when none or several have it."""
        rows = await self._all(
            f"SELECT {_MEMBER_COLUMNS} FROM members m WHERE lower(m.email) = lower(?) LIMIT 2", (email,)
        )
        return _member(rows[0]) if len(rows) == 1 else None

    async def member_by_address(self, channel: str, address: str) -> Member | None:
        column = {
            "sms": "phone",
            "sandbox": "phone",
            "slack": "slack_user_id",
            "telegram": "telegram_chat_id",
        }.get(channel)
        if column is None:
            return None
        row = await self._one(f"SELECT {_MEMBER_COLUMNS} FROM members m WHERE m.{column} = ?", (address,))
        return _member(row) if row else None

    async def members_with_role(self, role: str) -> list[Member]:
        rows = await self._all(
            f"SELECT {_MEMBER_COLUMNS} FROM members m "
            "WHERE instr(';' || m.roles || ';', ';' || ? || ';') > 0 ORDER BY m.id",
            (role,),
        )
        return [_member(row) for row in rows]

    async def members_to_look_up_in_slack(self, looked_before: datetime, limit: int) -> list[Member]:
        """Members with an email and no Slack link, not looked up since ``looked_before``."""
        rows = await self._all(
            f"SELECT {_MEMBER_COLUMNS} FROM members m WHERE m.email IS NOT NULL AND m.email != '' "
            "AND m.slack_user_id IS NULL AND (m.slack_looked_up_at IS NULL OR m.slack_looked_up_at < ?) "
            "ORDER BY m.slack_looked_up_at IS NOT NULL, m.id LIMIT ?",
            (to_db(looked_before), limit),
        )
        return [_member(row) for row in rows]

    async def practice(self, ods_code: str) -> Practice | None:
        row = await self._one(
            f"SELECT {_PRACTICE_COLUMNS} FROM practices p WHERE p.ods_code = ?", (ods_code,)
        )
        return _practice(row) if row else None

    # -- sessions and offers ------------------------------------------------------------------

    async def session(self, session_id: int) -> Session | None:
        row = await self._one(f"SELECT {_SESSION_COLUMNS} FROM sessions s WHERE s.id = ?", (session_id,))
        return _session(row) if row else None

    async def session_by_code(self, code: str) -> Session | None:
        row = await self._one(f"SELECT {_SESSION_COLUMNS} FROM sessions s WHERE s.code = ?", (code.upper(),))
        return _session(row) if row else None

    async def sessions_between(self, start: datetime, end: datetime) -> list[Session]:
        rows = await self._all(
            f"SELECT {_SESSION_COLUMNS} FROM sessions s "
            "WHERE s.starts_at >= ? AND s.starts_at < ? ORDER BY s.starts_at, s.id",
            (to_db(start), to_db(end)),
        )
        return [_session(row) for row in rows]

    async def offer_tally(self, session: Session, named: int) -> OfferTally:
        """This round's offers of a session counted, with the first ``named`` still waiting."""
        row = await self._one(
            "SELECT coalesce(sum(state = 'open'), 0), coalesce(sum(state = 'declined'), 0) FROM offers "
            "WHERE session_id = ? AND round = ?",
            (session.id, session.round),
        )
        names = await self._all(
            "SELECT m.name FROM offers f JOIN members m ON m.id = f.member_id "
            "WHERE f.session_id = ? AND f.round = ? AND f.state = 'open' ORDER BY f.id LIMIT ?",
            (session.id, session.round, named),
        )
        return OfferTally(waiting=row[0], declined=row[1], first_waiting=tuple(r[0] for r in names))

    async def session_view(self, session_id: int) -> SessionView | None:
        row = await self._one(
            f"SELECT {_SESSION_COLUMNS}, {_PRACTICE_COLUMNS} FROM sessions s "
            "JOIN practices p ON p.ods_code = s.practice WHERE s.id = ?",
            (session_id,),
        )
        if row is None:
            return None
        booking = await self.live_booking(session_id)
        offers = await self._all(
            f"SELECT {_OFFER_COLUMNS}, {_MEMBER_COLUMNS} FROM offers f "
            "JOIN members m ON m.id = f.member_id WHERE f.session_id = ? ORDER BY f.id",
            (session_id,),
        )
        booked = await self.member(booking.member_id) if booking else None
        return SessionView(
            session=_session(row),
            practice=_practice(row, _SESSION_WIDTH),
            booked=booked,
            offers=tuple((_offer(r), _member(r, _OFFER_WIDTH)) for r in offers),
        )

    async def offer(self, offer_id: int) -> Offer | None:
        row = await self._one(f"SELECT {_OFFER_COLUMNS} FROM offers f WHERE f.id = ?", (offer_id,))
        return _offer(row) if row else None

    async def offers_for_session(self, session_id: int) -> list[Offer]:
        rows = await self._all(
            f"SELECT {_OFFER_COLUMNS} FROM offers f WHERE f.session_id = ? ORDER BY f.id",
            (session_id,),
        )
        return [_offer(row) for row in rows]

    async def offer_by_code(self, member_id: int, code: str) -> Offer | None:
        row = await self._one(
            f"SELECT {_OFFER_COLUMNS} FROM offers f WHERE f.member_id = ? AND f.code = ? "
            "ORDER BY f.id DESC LIMIT 1",
            (member_id, code),
        )
        return _offer(row) if row else None

    async def latest_answered_offer(self, member_id: int, since: datetime) -> Offer | None:
        row = await self._one(
            f"SELECT {_OFFER_COLUMNS} FROM offers f WHERE f.member_id = ? AND f.state != 'open' "
            "AND f.sent_at >= ? ORDER BY coalesce(f.answered_at, f.sent_at) DESC, f.id DESC LIMIT 1",
            (member_id, to_db(since)),
        )
        return _offer(row) if row else None

    async def open_questions(self, member_id: int, code: str | None = None) -> list[Question]:
        """The member's open questions (offers, then prompts such as "did it go ahead?"),
        oldest first; only the one with ``code`` when given."""
        rows = await self._all(
            "SELECT 'offer', code, id FROM offers WHERE member_id = ? AND state = 'open' "
            "AND (? IS NULL OR code = ?) "
            "UNION ALL SELECT kind, code, id FROM prompts WHERE member_id = ? AND state = 'open' "
            "AND (? IS NULL OR code = ?) ORDER BY 1 DESC, 3",
            (member_id, code, code, member_id, code, code),
        )
        return [Question(kind, found, ref, member_id) for kind, found, ref in rows]

    async def prompt(self, prompt_id: int) -> Prompt | None:
        row = await self._one(
            "SELECT id, kind, member_id, ref_id, code, state, created_at FROM prompts WHERE id = ?",
            (prompt_id,),
        )
        return Prompt(row[0], row[1], row[2], row[3], row[4], row[5], from_db(row[6])) if row else None

    async def open_offers(self, member_id: int) -> list[tuple[Offer, Session, Practice]]:
        """The member's open offers they have been told of, soonest session first."""
        return await self._offers_with(
            "f.member_id = ? AND f.state = 'open' AND f.notified_at IS NOT NULL", (member_id,)
        )

    async def offers_to_tell(self, member_id: int) -> list[tuple[Offer, Session, Practice]]:
        """Open offers waiting for their batch message, soonest session first."""
        return await self._offers_with(
            "f.member_id = ? AND f.state = 'open' AND f.notified_at IS NULL AND s.status = 'open'",
            (member_id,),
        )

    async def offers_in_batch(self, batch: str) -> list[tuple[Offer, Session, Practice]]:
        return await self._offers_with("f.batch = ?", (batch,))

    async def _offers_with(self, where: str, params: Sequence[Any]) -> list[tuple[Offer, Session, Practice]]:
        rows = await self._all(
            f"SELECT {_OFFER_COLUMNS}, {_SESSION_COLUMNS}, {_PRACTICE_COLUMNS} FROM offers f "
            "JOIN sessions s ON s.id = f.session_id JOIN practices p ON p.ods_code = s.practice "
            f"WHERE {where} ORDER BY s.starts_at, f.id",
            params,
        )
        return [
            (_offer(r), _session(r, _OFFER_WIDTH), _practice(r, _OFFER_WIDTH + _SESSION_WIDTH)) for r in rows
        ]

    async def pending_timer(self, kind: str, subject: str, due_by: datetime | None = None) -> bool:
        row = await self._one(
            "SELECT 1 FROM timers WHERE kind = ? AND subject = ? AND state = 'pending' "
            "AND (? IS NULL OR due_at <= ?) LIMIT 1",
            (kind, subject, to_db(due_by) if due_by else None, to_db(due_by) if due_by else None),
        )
        return row is not None

    async def live_booking(self, session_id: int) -> Booking | None:
        row = await self._one(
            f"SELECT {_BOOKING_COLUMNS} FROM bookings b WHERE b.session_id = ? AND b.state = 'booked'",
            (session_id,),
        )
        return _booking(row) if row else None

    async def upcoming_bookings(
        self, member_id: int, now: datetime
    ) -> list[tuple[Booking, Session, Practice]]:
        rows = await self._all(
            f"SELECT {_BOOKING_COLUMNS}, {_SESSION_COLUMNS}, {_PRACTICE_COLUMNS} FROM bookings b "
            "JOIN sessions s ON s.id = b.session_id JOIN practices p ON p.ods_code = s.practice "
            "WHERE b.member_id = ? AND b.state = 'booked' AND s.ends_at > ? "
            "ORDER BY s.starts_at",
            (member_id, to_db(now)),
        )
        return [(_booking(r), _session(r, 7), _practice(r, 7 + _SESSION_WIDTH)) for r in rows]

    async def booking_by_code(self, member_id: int, code: str) -> Booking | None:
        row = await self._one(
            f"SELECT {_BOOKING_COLUMNS} FROM bookings b WHERE b.member_id = ? AND b.code = ? "
            "ORDER BY (b.state = 'booked') DESC, b.id DESC LIMIT 1",
            (member_id, code),
        )
        return _booking(row) if row else None

    async def codes_in_use(self, member_ids: Iterable[int], since: datetime) -> dict[int, set[str]]:
        """Codes a member could still send us: open offers, offers sent since ``since``, and
        live bookings."""
        used: dict[int, set[str]] = defaultdict(set)
        rows = await self._all_in(
            "SELECT member_id, code FROM offers WHERE member_id IN ({ids}) "
            f"AND (state = 'open' OR sent_at >= '{to_db(since)}') "
            "UNION SELECT member_id, code FROM bookings WHERE state = 'booked' AND member_id IN ({ids}) "
            "UNION SELECT member_id, code FROM prompts WHERE member_id IN ({ids}) "
            f"AND (state = 'open' OR created_at >= '{to_db(since)}')",
            member_ids,
        )
        for member_id, code in rows:
            used[member_id].add(code)
        return used

    async def open_sessions(self, now: datetime) -> list[Session]:
        """Sessions still open and not yet started, soonest first."""
        rows = await self._all(
            f"SELECT {_SESSION_COLUMNS} FROM sessions s WHERE s.status = 'open' AND s.starts_at > ? "
            "ORDER BY s.starts_at, s.id",
            (to_db(now),),
        )
        return [_session(row) for row in rows]

    async def gp_facts(
        self, session: Session, now: datetime, member_ids: Iterable[int] | None = None
    ) -> list[GpFacts]:
        """Everything eligibility and ranking need, in a handful of set-wise queries."""
        # Clinicians of the professions the session is for.
        where = (
            "instr(';' || m.roles || ';', ';clinician;') > 0 "
            f"AND m.profession IN ({','.join('?' * len(session.professions))})"
        )
        params: list[Any] = list(session.professions)
        if member_ids is not None:
            ids = list(member_ids)
            if not ids:
                return []
            where += f" AND m.id IN ({','.join('?' * len(ids))})"
            params += ids
        members = [
            _member(row)
            for row in await self._all(
                f"SELECT {_MEMBER_COLUMNS} FROM members m WHERE {where} ORDER BY m.id", params
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

        week_start, week_end = _week_bounds(session.starts_at)
        window_start = min(week_start, session.starts_at)
        window_end = max(week_end, session.ends_at)
        slots: dict[int, list[BookedSlot]] = defaultdict(list)
        for member_id, session_id, practice, starts, ends in await self._all(
            "SELECT b.member_id, s.id, s.practice, s.starts_at, s.ends_at FROM bookings b "
            "JOIN sessions s ON s.id = b.session_id "
            f"WHERE b.state = 'booked' AND s.ends_at > ? AND s.starts_at < ? AND b.member_id {scope}",
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
                [to_db(now - _RECENT), to_db(now), *params],
            )
        )
        offered: set[int] = set()
        turned_down: set[int] = set()
        for member_id, round_, state in await self._all(
            "SELECT member_id, round, state FROM offers WHERE session_id = ?", (session.id,)
        ):
            # An urgent session reaches again those whose earlier (routine) offer ran out.
            if round_ == session.round and not (session.urgent and state == OfferState.EXPIRED):
                offered.add(member_id)
            if state == OfferState.DECLINED:
                turned_down.add(member_id)
        turned_down.update(
            row[0]
            for row in await self._all(
                "SELECT member_id FROM bookings WHERE session_id = ? AND state = 'dropped'",
                (session.id,),
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

    # -- messages, timers, inbox --------------------------------------------------------------

    async def messages_to(
        self, channel: str, address: str, after_id: int, now: datetime
    ) -> list[SentMessage]:
        """Messages committed for this address and due by ``now``, sent or about to be."""
        rows = await self._all(
            "SELECT id, channel, address, body, choices, kind, status, created_at, sent_at, "
            "coalesce(not_before, created_at) "
            "FROM messages WHERE direction = 'out' AND channel = ? AND address = ? AND id > ? "
            "AND status IN ('queued', 'sending', 'sent', 'delivered') "
            "AND coalesce(not_before, created_at) <= ? ORDER BY id",
            (channel, address, after_id, to_db(now)),
        )
        return [
            SentMessage(
                id=r[0],
                channel=r[1],
                address=r[2],
                body=r[3],
                choices=_choices_from_db(r[4]),
                kind=r[5],
                status=r[6],
                created_at=from_db(r[7]),
                sent_at=opt_from_db(r[8]),
                due_at=from_db(r[9]),
            )
            for r in rows
        ]

    async def outbound_after(self, after_id: int, now: datetime) -> list[SentMessage]:
        """Every outbound message after ``after_id`` that is due by ``now``, on any channel."""
        rows = await self._all(
            "SELECT id, channel, address, body, choices, kind, status, created_at, sent_at, member_id, "
            "coalesce(not_before, created_at) FROM messages WHERE direction = 'out' AND id > ? "
            "AND coalesce(not_before, created_at) <= ? ORDER BY id",
            (after_id, to_db(now)),
        )
        return [
            SentMessage(
                id=r[0],
                channel=r[1],
                address=r[2],
                body=r[3],
                choices=_choices_from_db(r[4]),
                kind=r[5],
                status=r[6],
                created_at=from_db(r[7]),
                sent_at=opt_from_db(r[8]),
                member_id=r[9],
                due_at=from_db(r[10]),
            )
            for r in rows
        ]

    async def recent_outbound_to(self, channel: str, address: str, kind: str, since: datetime) -> int:
        row = await self._one(
            "SELECT count(*) FROM messages WHERE direction = 'out' AND channel = ? AND address = ? "
            "AND kind = ? AND created_at >= ?",
            (channel, address, kind, to_db(since)),
        )
        return row[0]

    async def flood_alerted_since(self, since: datetime) -> bool:
        """Whether the coordinators were told of a flood of strangers since then."""
        # The kind is spelled out so SQLite can use the partial index made for it.
        row = await self._one(
            "SELECT 1 FROM messages WHERE kind = 'stranger_flood' AND created_at >= ? LIMIT 1",
            (to_db(since),),
        )
        return row is not None

    async def worked_at_before(self, member_id: int, practice: str, before: datetime) -> bool:
        """Whether the member had a session at the practice that started before ``before``."""
        row = await self._one(
            "SELECT 1 FROM bookings b JOIN sessions s ON s.id = b.session_id WHERE b.member_id = ? "
            "AND s.practice = ? AND b.state = 'booked' AND s.starts_at < ? LIMIT 1",
            (member_id, practice, to_db(before)),
        )
        return row is not None

    async def digest_waiting(self, member_id: int) -> list[tuple[int, str, str]]:
        """Events held for the member's next digest, oldest first: (id, event, line)."""
        return [
            (r[0], r[1], r[2])
            for r in await self._all(
                "SELECT id, event, line FROM digest_items WHERE member_id = ? AND sent_at IS NULL "
                "ORDER BY id",
                (member_id,),
            )
        ]

    async def last_digest(self, member_id: int) -> list[tuple[int, str, str]]:
        """The events of the member's last digest sent, in order: (id, event, line)."""
        return [
            (r[0], r[1], r[2])
            for r in await self._all(
                "SELECT id, event, line FROM digest_items WHERE member_id = ? AND sent_at = "
                "(SELECT max(sent_at) FROM digest_items WHERE member_id = ?) ORDER BY id",
                (member_id, member_id),
            )
        ]

    async def last_list(self, member_id: int) -> tuple[str, int, datetime] | None:
        """The last list the member asked for, how far they have read it, and when."""
        row = await self._one("SELECT kind, position, at FROM member_lists WHERE member_id = ?", (member_id,))
        return (row[0], row[1], from_db(row[2])) if row else None

    async def last_sent(self, channel: str, address: str) -> tuple[str | None, str | None] | None:
        """The topic and text of the last message sent to this address (not one still queued)."""
        return await self._one(
            "SELECT topic, body FROM messages WHERE channel = ? AND address = ? AND direction = 'out' "
            "AND sent_at IS NOT NULL ORDER BY id DESC LIMIT 1",
            (channel, address),
        )

    async def strangers_writing(self, since: datetime) -> int:
        """How many numbers the pool does not know wrote since then."""
        row = await self._one(
            "SELECT count(DISTINCT channel || address) FROM messages "
            "WHERE member_id IS NULL AND direction = 'in' AND created_at >= ?",
            (to_db(since),),
        )
        return row[0]

    async def replies_to_strangers(self, since: datetime) -> int:
        """How many answers went to numbers the pool does not know since then."""
        row = await self._one(
            "SELECT count(*) FROM messages WHERE member_id IS NULL AND direction = 'out' AND created_at >= ?",
            (to_db(since),),
        )
        return row[0]

    async def due_timers(self, now: datetime, limit: int = 100) -> list[TimerRow]:
        rows = await self._all(
            "SELECT id, kind, subject, due_at, payload, attempts FROM timers "
            "WHERE state = 'pending' AND due_at <= ? ORDER BY due_at, id LIMIT ?",
            (to_db(now), limit),
        )
        return [
            TimerRow(
                id=r[0],
                kind=r[1],
                subject=r[2],
                due_at=from_db(r[3]),
                payload=json.loads(r[4]),
                attempts=r[5],
            )
            for r in rows
        ]

    async def next_timer_due(self) -> datetime | None:
        row = await self._one("SELECT min(due_at) FROM timers WHERE state = 'pending'")
        return opt_from_db(row[0])

    async def inbox(self, state: str = "open") -> list[InboxItem]:
        rows = await self._all(
            "SELECT i.id, i.message_id, msg.channel, msg.address, msg.body, msg.created_at, "
            "i.state, i.member_id, i.count FROM inbox i JOIN messages msg ON msg.id = i.message_id "
            "WHERE i.state = ? ORDER BY i.id",
            (state,),
        )
        people = await self.members(r[7] for r in rows if r[7] is not None)
        return [
            InboxItem(
                id=r[0],
                message_id=r[1],
                member=people.get(r[7]) if r[7] else None,
                channel=r[2],
                address=r[3],
                body=r[4],
                received_at=from_db(r[5]),
                state=r[6],
                count=r[8],
            )
            for r in rows
        ]

    # -- running a pool -------------------------------------------------------------------------

    async def inbox_item(self, item_id: int) -> InboxItem | None:
        items = [item for item in await self.inbox("open") + await self.inbox("done") if item.id == item_id]
        return items[0] if items else None

    async def available_members(self, day: date, half: str) -> list[Member]:
        rows = await self._all(
            f"SELECT {_MEMBER_COLUMNS} FROM availability a JOIN members m ON m.id = a.member_id "
            "WHERE a.day = ? AND a.half = ? ORDER BY m.name",
            (day.isoformat(), half),
        )
        return [_member(row) for row in rows]

    async def practice_preferences(self, ods_code: str) -> dict[int, str]:
        return dict(
            await self._all(
                "SELECT member_id, kind FROM practice_preferences WHERE practice = ?", (ods_code,)
            )
        )

    async def practices(self) -> list[Practice]:
        rows = await self._all(f"SELECT {_PRACTICE_COLUMNS} FROM practices p ORDER BY p.ods_code")
        return [_practice(row) for row in rows]

    async def all_members(self) -> list[Member]:
        rows = await self._all(f"SELECT {_MEMBER_COLUMNS} FROM members m ORDER BY m.name, m.id")
        return [_member(row) for row in rows]

    async def members_registered_before(self, moment: datetime) -> list[Member]:
        rows = await self._all(
            f"SELECT {_MEMBER_COLUMNS} FROM members m WHERE m.created_at < ? ORDER BY m.id", (to_db(moment),)
        )
        return [_member(row) for row in rows]

    async def checks_of(self, member_id: int) -> dict[str, date | None]:
        rows = await self._all("SELECT kind, expires FROM checks WHERE member_id = ?", (member_id,))
        return {kind: date_from_db(expires) for kind, expires in rows}

    async def checks_expiring(self, last_day: date) -> list[tuple[Member, str, date]]:
        """GPs' checks that expire on or before ``last_day`` (lapsed ones included)."""
        rows = await self._all(
            f"SELECT {_MEMBER_COLUMNS}, c.kind, c.expires FROM checks c JOIN members m ON m.id = c.member_id "
            "WHERE c.expires IS NOT NULL AND c.expires <= ? "
            "AND instr(';' || m.roles || ';', ';clinician;') > 0 ORDER BY c.expires, m.name",
            (date_to_db(last_day),),
        )
        return [(_member(r), r[_MEMBER_WIDTH], date_from_db(r[_MEMBER_WIDTH + 1])) for r in rows]

    async def has_pending_timer(self, kind: str) -> bool:
        row = await self._one("SELECT 1 FROM timers WHERE kind = ? AND state = 'pending' LIMIT 1", (kind,))
        return row is not None

    async def session_by_slot(self, practice: str, starts_at: datetime, ends_at: datetime) -> Session | None:
        row = await self._one(
            f"SELECT {_SESSION_COLUMNS} FROM sessions s WHERE s.practice = ? AND s.starts_at = ? "
            "AND s.ends_at = ? ORDER BY s.id DESC LIMIT 1",
            (practice, to_db(starts_at), to_db(ends_at)),
        )
        return _session(row) if row else None

    async def bookings_between(self, start: datetime, end: datetime) -> list[tuple[Booking, Session, Member]]:
        """Live bookings of sessions starting in [start, end), with the session and the GP."""
        rows = await self._all(
            f"SELECT {_BOOKING_COLUMNS}, {_SESSION_COLUMNS}, {_MEMBER_COLUMNS} FROM bookings b "
            "JOIN sessions s ON s.id = b.session_id JOIN members m ON m.id = b.member_id "
            "WHERE b.state = 'booked' AND s.starts_at >= ? AND s.starts_at < ? ORDER BY s.starts_at, s.id",
            (to_db(start), to_db(end)),
        )
        return [(_booking(r), _session(r, 7), _member(r, 7 + _SESSION_WIDTH)) for r in rows]

    async def costs_between(self, first: date, last: date) -> list[Cost]:
        rows = await self._all(
            "SELECT id, day, amount_pence, what FROM costs WHERE day >= ? AND day <= ? ORDER BY day, id",
            (first.isoformat(), last.isoformat()),
        )
        return [Cost(r[0], date.fromisoformat(r[1]), r[2], r[3]) for r in rows]

    async def sms_segments_between(self, start: datetime, end: datetime) -> int:
        """SMS segments the provider billed for texts sent in [start, end)."""
        row = await self._one(
            "SELECT coalesce(sum(segments), 0) FROM messages WHERE direction = 'out' AND channel = 'sms' "
            "AND provider_id IS NOT NULL AND created_at >= ? AND created_at < ?",
            (to_db(start), to_db(end)),
        )
        return row[0]

    async def first_session_posted(self) -> datetime | None:
        row = await self._one("SELECT min(created_at) FROM sessions")
        return opt_from_db(row[0])

    # Peer groups

    async def peer_group(self, key: str | int) -> PeerGroup | None:
        """A group by its number or its name (any case)."""
        row = await self._one(
            f"SELECT {_GROUP_COLUMNS} FROM peer_groups WHERE id = ? OR lower(name) = lower(?)",
            (int(key) if str(key).isdigit() else -1, str(key)),
        )
        return _group(row) if row else None

    async def peer_groups(self) -> list[PeerGroup]:
        return [_group(r) for r in await self._all(f"SELECT {_GROUP_COLUMNS} FROM peer_groups ORDER BY id")]

    async def group_member_ids(self, group_id: int) -> list[int]:
        rows = await self._all(
            "SELECT member_id FROM group_members WHERE group_id = ? ORDER BY joined_at, member_id",
            (group_id,),
        )
        return [r[0] for r in rows]

    async def groups_of(self, member_id: int) -> list[PeerGroup]:
        rows = await self._all(
            f"SELECT {_GROUP_COLUMNS} FROM peer_groups WHERE id IN "
            "(SELECT group_id FROM group_members WHERE member_id = ?) ORDER BY id",
            (member_id,),
        )
        return [_group(r) for r in rows]

    async def group_session(self, session_id: int) -> GroupSession | None:
        row = await self._one(
            f"SELECT {_GROUP_SESSION_COLUMNS} FROM group_sessions WHERE id = ?", (session_id,)
        )
        return _group_session(row) if row else None

    async def group_session_by_token(self, token: str) -> GroupSession | None:
        row = await self._one(
            f"SELECT {_GROUP_SESSION_COLUMNS} FROM group_sessions WHERE calendar_token = ?", (token,)
        )
        return _group_session(row) if row else None

    async def group_sessions(
        self, group_id: int | None, after: datetime | None = None, before: datetime | None = None
    ) -> list[GroupSession]:
        """Scheduled sessions (of one group, or all), in time order, starting in [after, before)."""
        rows = await self._all(
            f"SELECT {_GROUP_SESSION_COLUMNS} FROM group_sessions WHERE state = 'scheduled' "
            "AND (? IS NULL OR group_id = ?) AND (? IS NULL OR starts_at >= ?) "
            "AND (? IS NULL OR starts_at < ?) ORDER BY starts_at, id",
            (group_id, group_id, *([to_db(after)] * 2 if after else [None] * 2),
             *([to_db(before)] * 2 if before else [None] * 2)),
        )  # fmt: skip
        return [_group_session(r) for r in rows]

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

    async def prompt_about(self, kind: str, member_id: int, ref_id: int) -> Prompt | None:
        row = await self._one(
            "SELECT id, kind, member_id, ref_id, code, state, created_at FROM prompts "
            "WHERE kind = ? AND member_id = ? AND ref_id = ? ORDER BY id DESC LIMIT 1",
            (kind, member_id, ref_id),
        )
        return Prompt(row[0], row[1], row[2], row[3], row[4], row[5], from_db(row[6])) if row else None

    async def prompts_about(self, kind: str, ref_id: int) -> list[int]:
        """Who was asked (an invitation, "did you make it?") about this."""
        rows = await self._all(
            "SELECT DISTINCT member_id FROM prompts WHERE kind = ? AND ref_id = ? ORDER BY member_id",
            (kind, ref_id),
        )
        return [r[0] for r in rows]

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
                "SELECT pod, member_id FROM pairing_members WHERE round_id = ?", (round_id,)
            ):
                pods[pod].add(member_id)
            found.append(list(pods.values()))
        return found

    async def peer_figures(self, start: datetime, end: datetime) -> dict[str, int]:
        """Sessions held, answers and attendance for peer-group sessions starting in [start, end)."""
        row = await self._one(
            "SELECT count(DISTINCT s.id), "
            "coalesce(sum(r.answer = 'going'), 0), coalesce(sum(r.answer = 'not_going'), 0), "
            "coalesce(sum(r.answer = 'waitlist'), 0), coalesce(sum(r.attended = 1), 0), "
            "coalesce(sum(r.answer = 'going' AND r.attended = 0), 0), "
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


class SqliteUnitOfWork(SqliteQueries):
    """One ``BEGIN IMMEDIATE`` transaction on the writer connection (a plain sqlite3 one)."""

    def __init__(self, conn: sqlite3.Connection) -> None:  # type: ignore[override]
        self._conn = conn  # type: ignore[assignment]

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(sql, params).fetchone()

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._conn.execute(sql, params).fetchall()

    async def _run(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self._conn.execute(sql, params)

    async def _many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)

    async def record_inbound(self, inbound: Inbound, member_id: int | None) -> int | None:
        cursor = await self._run(
            "INSERT INTO messages (direction, member_id, channel, address, external_id, body, "
            "status, created_at) VALUES ('in', ?, ?, ?, ?, ?, 'received', ?) "
            "ON CONFLICT (channel, external_id) WHERE direction = 'in' DO NOTHING",
            (
                member_id,
                inbound.channel,
                inbound.address,
                inbound.external_id,
                inbound.said,
                to_db(inbound.received_at),
            ),
        )
        return cursor.lastrowid if cursor.rowcount == 1 else None

    # -- delivery reports ------------------------------------------------------------------------

    async def record_delivery_report(
        self, channel: str, provider_id: str, status: str, rank: int, error_code: str | None, now: datetime,
        reason: str | None = None,
    ) -> tuple[bool, DeliveryChange | None]:  # fmt: skip
        cursor = await self._run(
            "INSERT INTO delivery_reports (channel, provider_id, status, error_code, received_at, reason) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (channel, provider_id, status, error_code, to_db(now), reason),
        )
        if cursor.rowcount != 1:
            return False, None
        return True, await self._advance(channel, provider_id, status, rank, error_code, now, reason)

    async def _advance(
        self, channel: str, provider_id: str, status: str, rank: int, error_code: str | None, now: datetime,
        reason: str | None = None,
    ) -> DeliveryChange | None:  # fmt: skip
        """Move a message on to a later status; reports arriving out of order never move it back."""
        row = await self._one(
            "SELECT id, status FROM messages WHERE channel = ? AND provider_id = ? AND direction = 'out'",
            (channel, provider_id),
        )
        if row is None or _REPORT_RANK.get(row[1], 0) >= rank:
            return None
        await self._run(
            "UPDATE messages SET status = ?, error_code = coalesce(?, error_code), "
            "error = coalesce(?, error), updated_at = ? WHERE id = ?",
            (status, error_code, reason, to_db(now), row[0]),
        )
        changed = await self._one(f"SELECT {_CHANGE_COLUMNS} FROM messages WHERE id = ?", (row[0],))
        return _change(changed)

    async def failed_messages(self, message_ids: Iterable[int]) -> list[DeliveryChange]:
        rows = await self._all_in(
            f"SELECT {_CHANGE_COLUMNS} FROM messages WHERE id IN ({{ids}}) AND status = 'failed' ORDER BY id",
            message_ids,
        )
        return [_change(r) for r in rows]

    # -- running a pool -------------------------------------------------------------------------

    _MEMBER_FIELDS = frozenset(
        {
            "name",
            "email",
            "roles",
            "gp_type",
            "registration_number",
            "preferred_channel",
            "slack_user_id",
            "telegram_chat_id",
            "localities",
            "practices",
            "days",
            "max_sessions_per_week",
            "contracted_sessions_per_week",
            "urgent_at_night",
            "quiet_hours",
            "profession",
            "level",
            "alerts",
        }
    )

    async def record_slack_lookup(self, member_id: int, user_id: str | None, now: datetime) -> bool:
        """Remember a users.lookupByEmail answer; link the member when the Slack user is not
        linked to someone else already. True when linked."""
        await self._run("UPDATE members SET slack_looked_up_at = ? WHERE id = ?", (to_db(now), member_id))
        if user_id is None:
            return False
        cursor = await self._run(
            "UPDATE members SET slack_user_id = ? WHERE id = ? AND slack_user_id IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM members o WHERE o.slack_user_id = ?)",
            (user_id, member_id, user_id),
        )
        return cursor.rowcount == 1

    # -- wellbeing (answers belong to the GP: nothing here is for a coordinator's screen) --

    async def wellbeing_plan(self, member_id: int) -> dict[str, Any] | None:
        row = await self._one(
            "SELECT cadence, weekday, at_time, consented_at FROM wellbeing_plans "
            "WHERE member_id = ? AND stopped_at IS NULL",
            (member_id,),
        )
        if row is None:
            return None
        return {"cadence": row[0], "weekday": row[1], "at_time": row[2], "consented_at": from_db(row[3])}

    async def set_wellbeing_plan(
        self, member_id: int, cadence: str, weekday: int, at_time: str, now: datetime
    ) -> None:
        await self._run(
            "INSERT INTO wellbeing_plans (member_id, consented_at, cadence, weekday, at_time) "
            "VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (member_id) DO UPDATE SET cadence = excluded.cadence, weekday = excluded.weekday, "
            "at_time = excluded.at_time, stopped_at = NULL, consented_at = CASE WHEN stopped_at IS NULL "
            "THEN consented_at ELSE excluded.consented_at END",
            (member_id, to_db(now), cadence, weekday, at_time),
        )

    async def stop_wellbeing_plan(self, member_id: int, now: datetime) -> bool:
        cursor = await self._run(
            "UPDATE wellbeing_plans SET stopped_at = ? WHERE member_id = ? AND stopped_at IS NULL",
            (to_db(now), member_id),
        )
        return cursor.rowcount == 1

    async def add_checkin(self, member_id: int, now: datetime) -> int:
        cursor = await self._run(
            "INSERT INTO checkins (member_id, asked_at) VALUES (?, ?)", (member_id, to_db(now))
        )
        return int(cursor.lastrowid)

    async def answer_checkin(self, checkin_id: int, score: int, now: datetime) -> None:
        await self._run(
            "UPDATE checkins SET score = ?, answered_at = ? WHERE id = ?", (score, to_db(now), checkin_id)
        )

    async def comment_on_checkin(self, checkin_id: int, comment: str) -> None:
        await self._run("UPDATE checkins SET comment = ? WHERE id = ?", (comment, checkin_id))

    async def set_lead_consent(self, checkin_id: int, consent: str) -> None:
        await self._run("UPDATE checkins SET lead_consent = ? WHERE id = ?", (consent, checkin_id))

    async def checkin(self, checkin_id: int) -> dict[str, Any] | None:
        row = await self._one(
            "SELECT id, member_id, asked_at, score, answered_at, comment, lead_consent "
            "FROM checkins WHERE id = ?",
            (checkin_id,),
        )
        if row is None:
            return None
        keys = ("id", "member_id", "asked_at", "score", "answered_at", "comment", "lead_consent")
        found = dict(zip(keys, row, strict=True))
        found["asked_at"] = from_db(found["asked_at"])
        found["answered_at"] = opt_from_db(found["answered_at"])
        return found

    async def checkin_history(self, member_id: int, limit: int) -> list[tuple[datetime, int]]:
        """The member's own answers, newest first: (when, score)."""
        rows = await self._all(
            "SELECT answered_at, score FROM checkins WHERE member_id = ? AND score IS NOT NULL "
            "ORDER BY id DESC LIMIT ?",
            (member_id, limit),
        )
        return [(from_db(r[0]), r[1]) for r in rows]

    async def latest_answered_checkin(self, member_id: int, since: datetime) -> int | None:
        row = await self._one(
            "SELECT id FROM checkins WHERE member_id = ? AND answered_at >= ? AND coalesce(comment, '') = '' "
            "ORDER BY id DESC LIMIT 1",
            (member_id, to_db(since)),
        )
        return row[0] if row else None

    async def recent_checkin_scores(self, member_id: int, limit: int) -> list[int | None]:
        """The member's last check-ins, newest first: their score, or None if unanswered."""
        rows = await self._all(
            "SELECT score FROM checkins WHERE member_id = ? ORDER BY id DESC LIMIT ?", (member_id, limit)
        )
        return [r[0] for r in rows]

    async def last_checkin_asked(self, member_id: int) -> datetime | None:
        row = await self._one("SELECT max(asked_at) FROM checkins WHERE member_id = ?", (member_id,))
        return opt_from_db(row[0])

    async def prompt_by_code(self, member_id: int, code: str) -> Prompt | None:
        row = await self._one(
            "SELECT id, kind, member_id, ref_id, code, state, created_at FROM prompts "
            "WHERE member_id = ? AND code = ? ORDER BY id DESC LIMIT 1",
            (member_id, code),
        )
        return Prompt(row[0], row[1], row[2], row[3], row[4], row[5], from_db(row[6])) if row else None

    async def forget_message_body(self, message_id: int) -> None:
        """What a GP said in a check-in lives in the check-ins table only (and goes with it)."""
        await self._run("UPDATE messages SET body = NULL WHERE id = ?", (message_id,))

    async def forget_checkins(self, member_id: int) -> int:
        # The texts about their check-ins go too, the lead's copy included (its topic).
        await self._run(
            "UPDATE messages SET body = NULL, choices = NULL, details = NULL WHERE direction = 'out' AND "
            "((member_id = ? AND kind LIKE 'checkin%') OR topic IN "
            "(SELECT 'checkin:' || id FROM checkins WHERE member_id = ?))",
            (member_id, member_id),
        )
        cursor = await self._run("DELETE FROM checkins WHERE member_id = ?", (member_id,))
        await self._run(
            "UPDATE prompts SET state = 'closed' WHERE member_id = ? AND kind IN ('checkin', 'lead') "
            "AND state = 'open'",
            (member_id,),
        )
        return cursor.rowcount

    # -- mentoring -------------------------------------------------------------------------------

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
            (member_id, capacity, hours, _join(interests), _join(localities), int(trained), to_db(now)),
        )

    async def mentors(self) -> list[dict[str, Any]]:
        rows = await self._all(
            "SELECT member_id, capacity, hours, interests, localities, trained FROM mentors "
            "WHERE left_at IS NULL ORDER BY member_id"
        )
        return [
            {"member_id": r[0], "capacity": r[1], "hours": r[2], "interests": _split(r[3]),
             "localities": _split(r[4]), "trained": bool(r[5])}
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
        rows = await self._all(
            "UPDATE mentorships SET state = 'ended', ended_at = ? WHERE mentor_id = ? AND state = 'active' "
            "RETURNING mentee_id, id",
            (to_db(now), member_id),
        )
        await self._run("DELETE FROM mentorships WHERE mentor_id = ? AND state = 'proposed'", (member_id,))
        for _, mentorship_id in rows:
            await self.close_prompts_about("met", mentorship_id, now)
        return [r[0] for r in rows]

    async def previous_mentor(self, mentee_id: int) -> int | None:
        """The mentor of the mentee's last pairing, if it ended because that mentor left (not
        a REMATCH)."""
        row = await self._one(
            "SELECT p.mentor_id, r.left_at IS NOT NULL FROM mentorships p "
            "JOIN mentors r ON r.member_id = p.mentor_id "
            "WHERE p.mentee_id = ? AND p.state = 'ended' ORDER BY p.ended_at DESC LIMIT 1",
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

    # Peer groups

    async def add_peer_group(
        self, name: str, kind: str, closed: bool, lead_id: int | None, now: datetime
    ) -> PeerGroup:
        cursor = await self._run(
            "INSERT INTO peer_groups (name, kind, closed, lead_id, created_at) VALUES (?, ?, ?, ?, ?)",
            (name, kind, int(closed), lead_id, to_db(now)),
        )
        return PeerGroup(int(cursor.lastrowid), name, kind, closed, lead_id)

    async def add_group_members(self, group_id: int, member_ids: Iterable[int], now: datetime) -> list[int]:
        """The ones who were not members yet."""
        added = []
        for member_id in member_ids:
            cursor = await self._run(
                "INSERT OR IGNORE INTO group_members (group_id, member_id, joined_at) VALUES (?, ?, ?)",
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
        cursor = await self._run(
            "INSERT INTO group_sessions (group_id, series_id, starts_at, ends_at, place, link, capacity, "
            "calendar_token, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (group_id, series_id, to_db(starts_at), to_db(ends_at), place, link, capacity, token, to_db(now)),
        )
        return GroupSession(
            int(cursor.lastrowid),
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
            "answered_at = excluded.answered_at WHERE answer != excluded.answer",
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
                "INSERT OR IGNORE INTO peer_nudges_muted (member_id, at) VALUES (?, ?)",
                (member_id, to_db(now)),
            )
        else:
            await self._run("DELETE FROM peer_nudges_muted WHERE member_id = ?", (member_id,))

    async def add_pairing_round(self, group_id: int, pods: Sequence[Sequence[int]], now: datetime) -> int:
        cursor = await self._run(
            "INSERT INTO pairing_rounds (group_id, held_at) VALUES (?, ?)", (group_id, to_db(now))
        )
        round_id = int(cursor.lastrowid)
        await self._many(
            "INSERT INTO pairing_members (round_id, pod, member_id) VALUES (?, ?, ?)",
            [(round_id, pod, member) for pod, members in enumerate(pods) for member in members],
        )
        return round_id

    async def end_mentorship(self, mentorship_id: int, now: datetime) -> bool:
        cursor = await self._run(
            "UPDATE mentorships SET state = 'ended', ended_at = ? WHERE id = ? AND state = 'active'",
            (to_db(now), mentorship_id),
        )
        await self.close_prompts_about("met", mentorship_id, now)  # "Did you meet?" no longer asks
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

    async def add_prompt(self, kind: str, member_id: int, ref_id: int, code: str, now: datetime) -> int:
        cursor = await self._run(
            "INSERT INTO prompts (kind, member_id, ref_id, code, created_at) VALUES (?, ?, ?, ?, ?)",
            (kind, member_id, ref_id, code, to_db(now)),
        )
        return int(cursor.lastrowid)

    async def close_prompts_about(self, kind: str, ref_id: int, now: datetime) -> int:
        cursor = await self._run(
            "UPDATE prompts SET state = 'closed', answered_at = ? "
            "WHERE kind = ? AND ref_id = ? AND state = 'open'",
            (to_db(now), kind, ref_id),
        )
        return cursor.rowcount

    async def close_prompt(self, prompt_id: int, state: str, now: datetime) -> bool:
        """Answer or close an open prompt; False when it was no longer open."""
        cursor = await self._run(
            "UPDATE prompts SET state = ?, answered_at = ? WHERE id = ? AND state = 'open'",
            (state, to_db(now), prompt_id),
        )
        return cursor.rowcount == 1

    async def add_link_code(
        self, member_id: int, channel: str, code_hash: str, now: datetime, expires_at: datetime
    ) -> None:
        await self._run(
            "INSERT INTO link_codes (code_hash, member_id, channel, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (code_hash, member_id, channel, to_db(now), to_db(expires_at)),
        )

    async def link_code(self, code_hash: str, channel: str, now: datetime) -> tuple[int | None, str | None]:
        """(the member a code links, why it cannot be used now: None, 'used' or 'expired');
        (None, 'unknown') for a code never issued."""
        row = await self._one(
            "SELECT member_id, expires_at, used_at FROM link_codes WHERE code_hash = ? AND channel = ?",
            (code_hash, channel),
        )
        if row is None:
            return None, "unknown"
        if row[2] is not None:
            return row[0], "used"
        if from_db(row[1]) <= now:
            return row[0], "expired"
        return row[0], None

    async def use_link_code(self, code_hash: str, channel: str, now: datetime) -> bool:
        """Mark a code used; False when it already was (single use, under the writer's lock)."""
        cursor = await self._run(
            "UPDATE link_codes SET used_at = ? WHERE code_hash = ? AND channel = ? AND used_at IS NULL",
            (to_db(now), code_hash, channel),
        )
        return cursor.rowcount == 1

    async def link_telegram(self, member_id: int, chat_id: str | None) -> None:
        """Link (or, with None, unlink) a member's Telegram chat; a chat belongs to one member."""
        if chat_id is not None:
            await self._run(
                "UPDATE members SET telegram_chat_id = NULL WHERE telegram_chat_id = ? AND id != ?",
                (chat_id, member_id),
            )
        await self._run("UPDATE members SET telegram_chat_id = ? WHERE id = ?", (chat_id, member_id))

    async def update_member(self, member_id: int, **fields: Any) -> Member:
        """Change some of a member's fields (lists as sequences, roles as a set)."""
        unknown = set(fields) - self._MEMBER_FIELDS
        if unknown:
            raise ValueError(f"not member fields: {sorted(unknown)}")
        columns, values = [], []
        for name, value in fields.items():
            if name == "roles":
                value = _join(sorted(value))
            elif name in ("localities", "practices", "days"):
                value = _join(value)
            elif name == "urgent_at_night":
                value = int(bool(value))
            columns.append(f"{name} = ?")
            values.append(value)
        if "email" in fields:
            columns.append("slack_looked_up_at = NULL")  # a new address is worth a new look
        if columns:
            await self._run(f"UPDATE members SET {', '.join(columns)} WHERE id = ?", (*values, member_id))
        updated = await self.member(member_id)
        assert updated is not None
        return updated

    async def set_availability(self, member_id: int, day: date, halves: Iterable[str], now: datetime) -> None:
        await self._many(
            "INSERT INTO availability (member_id, day, half, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (member_id, day, half) DO NOTHING",
            [(member_id, day.isoformat(), half, to_db(now)) for half in halves],
        )

    async def set_practice_preference(self, practice: str, member_id: int, kind: str | None) -> None:
        if kind is None:
            await self._run(
                "DELETE FROM practice_preferences WHERE practice = ? AND member_id = ?", (practice, member_id)
            )
        else:
            await self._run(
                "INSERT INTO practice_preferences (practice, member_id, kind) VALUES (?, ?, ?) "
                "ON CONFLICT (practice, member_id) DO UPDATE SET kind = excluded.kind",
                (practice, member_id, kind),
            )

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

    async def add_cost(self, day: date, amount_pence: int, what: str, now: datetime) -> Cost:
        cursor = await self._run(
            "INSERT INTO costs (day, amount_pence, what, created_at) VALUES (?, ?, ?, ?)",
            (day.isoformat(), amount_pence, what, to_db(now)),
        )
        return Cost(cursor.lastrowid, day, amount_pence, what)

    async def add_practice(self, practice: Practice) -> None:
        await self._run(
            "INSERT INTO practices (ods_code, name, pcn, locality, address, clinical_system, "
            "info_pack, phone) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ods_code) DO UPDATE SET "
            "name = excluded.name, pcn = excluded.pcn, locality = excluded.locality, "
            "address = excluded.address, clinical_system = excluded.clinical_system, "
            "info_pack = excluded.info_pack, phone = excluded.phone",
            (
                practice.ods_code,
                practice.name,
                practice.pcn,
                practice.locality,
                practice.address,
                practice.clinical_system,
                practice.info_pack,
                practice.phone,
            ),
        )

    async def add_member(self, member: Member, now: datetime) -> Member:
        cursor = await self._run(
            "INSERT INTO members (name, phone, email, roles, gp_type, registration_number, "
            "preferred_channel, slack_user_id, telegram_chat_id, localities, practices, days, "
            "max_sessions_per_week, contracted_sessions_per_week, paused_until, urgent_at_night, "
            "created_at, profession, level, alerts) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                member.name,
                member.phone,
                member.email,
                _join(sorted(member.roles)),
                member.gp_type,
                member.registration_number,
                member.preferred_channel,
                member.slack_user_id,
                member.telegram_chat_id,
                _join(member.localities),
                _join(member.practices),
                _join(member.days),
                member.max_sessions_per_week,
                member.contracted_sessions_per_week,
                date_to_db(member.paused_until),
                int(member.urgent_at_night),
                to_db(now),
                member.profession,
                member.level,
                member.alerts,
            ),
        )
        created = await self.member(cursor.lastrowid)
        assert created is not None
        return created

    async def note_check_reminder(
        self, member_id: int, kind: str, expires: date, days: int, now: datetime
    ) -> bool:
        """Remember a check reminder; False when that one was sent before."""
        cursor = await self._run(
            "INSERT INTO check_reminders (member_id, kind, expires, days, sent_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (member_id, kind, date_to_db(expires), days, to_db(now)),
        )
        return cursor.rowcount == 1

    async def set_check(self, member_id: int, kind: str, expires: date | None) -> None:
        await self._run(
            "INSERT INTO checks (member_id, kind, expires) VALUES (?, ?, ?) "
            "ON CONFLICT (member_id, kind) DO UPDATE SET expires = excluded.expires",
            (member_id, kind, date_to_db(expires)),
        )

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
        cursor = await self._run(
            "INSERT INTO sessions (code, practice, starts_at, ends_at, rate_pence, urgent, notes, "
            "posted_by, posted_via, created_at, professions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                _join(professions),
            ),
        )
        created = await self.session(cursor.lastrowid)
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

    async def add_offers(
        self,
        session: Session,
        wave: int,
        rows: Sequence[tuple[int, str, str | None]],
        now: datetime,
        source: str = "wave",
        told: bool = True,
    ) -> list[Offer]:
        """``rows``: (member id, code, channel). One statement for the whole wave."""
        if not rows:
            return []
        sent = to_db(now)
        (before,) = await self._one("SELECT coalesce(max(id), 0) FROM offers")
        await self._many(
            "INSERT INTO offers (session_id, member_id, code, round, wave, channel, sent_at, source, "
            "notified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    session.id,
                    member_id,
                    code,
                    session.round,
                    wave,
                    channel,
                    sent,
                    source,
                    sent if told else None,
                )
                for member_id, code, channel in rows
            ],
        )
        created = await self._all(
            f"SELECT {_OFFER_COLUMNS} FROM offers f WHERE f.id > ? ORDER BY f.id", (before,)
        )
        return [_offer(row) for row in created]

    async def set_offer_channel(self, offer_id: int, channel: str) -> None:
        await self._run("UPDATE offers SET channel = ? WHERE id = ?", (channel, offer_id))

    async def answer_offer(self, offer_id: int, state: str, answer: str | None, now: datetime) -> bool:
        cursor = await self._run(
            "UPDATE offers SET state = ?, answer = coalesce(?, answer), answered_at = ? "
            "WHERE id = ? AND state = 'open'",
            (state, answer, to_db(now), offer_id),
        )
        return cursor.rowcount == 1

    async def mark_offers_told(self, offer_ids: Sequence[int], now: datetime, batch: str | None) -> None:
        await self._many(
            "UPDATE offers SET notified_at = ?, batch = ? WHERE id = ?",
            [(to_db(now), batch, i) for i in offer_ids],
        )

    async def reopen_declined_offer(self, offer_id: int) -> bool:
        return await self.reopen_offer(offer_id, "declined")

    async def reopen_offer(self, offer_id: int, state: str) -> bool:
        """Open again an offer that was declined or that lapsed (compare-and-set on ``state``)."""
        cursor = await self._run(
            "UPDATE offers SET state = 'open', answer = NULL, answered_at = NULL WHERE id = ? AND state = ?",
            (offer_id, state),
        )
        return cursor.rowcount == 1

    async def record_late_answer(self, offer_id: int, answer: str, now: datetime) -> None:
        """A reply to an offer already closed: kept for the figures, state unchanged."""
        await self._run(
            "UPDATE offers SET answer = ?, answered_at = ? WHERE id = ? AND answer IS NULL",
            (answer, to_db(now), offer_id),
        )

    async def withdraw_member_offers(self, member_id: int, now: datetime) -> list[Offer]:
        rows = await self._all(
            "UPDATE offers SET state = 'withdrawn', answered_at = ? "
            f"WHERE member_id = ? AND state = 'open' RETURNING {_OFFER_RETURNING}",
            (to_db(now), member_id),
        )
        return [_offer(row) for row in rows]

    async def expire_offers(
        self, session_id: int, round_: int, wave: int | None, made_by: datetime, now: datetime
    ) -> int:
        """Close a wave's (or, with None, a round's) open offers made by ``made_by`` as
        expired; how many."""
        cursor = await self._run(
            "UPDATE offers SET state = 'expired', answered_at = ? WHERE session_id = ? AND round = ? "
            "AND state = 'open' AND (? IS NULL OR wave = ?) AND sent_at <= ?",
            (to_db(now), session_id, round_, wave, wave, to_db(made_by)),
        )
        return cursor.rowcount

    async def withdraw_open_offers(self, session_id: int, now: datetime) -> list[tuple[Offer, str | None]]:
        """Close a session's open offers; each with the address its holder has on its channel."""
        rows = await self._all(
            f"SELECT {_OFFER_COLUMNS}, CASE f.channel WHEN 'slack' THEN m.slack_user_id "
            "WHEN 'telegram' THEN m.telegram_chat_id ELSE m.phone END "
            "FROM offers f JOIN members m ON m.id = f.member_id "
            "WHERE f.session_id = ? AND f.state = 'open' ORDER BY f.id",
            (session_id,),
        )
        await self._run(
            "UPDATE offers SET state = 'withdrawn', answered_at = ? WHERE session_id = ? AND state = 'open'",
            (to_db(now), session_id),
        )
        withdrawn = [(*row[:7], OfferState.WITHDRAWN, *row[8:_OFFER_WIDTH]) for row in rows]
        return [(_offer(offer), row[_OFFER_WIDTH]) for offer, row in zip(withdrawn, rows, strict=True)]

    async def opted_out(self, member_ids: Iterable[int]) -> set[tuple[int, str]]:
        """(member, channel) pairs of opt-outs among these members."""
        rows = await self._all_in(
            "SELECT member_id, channel FROM opt_outs WHERE member_id IN ({ids})", member_ids
        )
        return {(member_id, channel) for member_id, channel in rows}

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
        cursor = await self._run(
            "INSERT INTO bookings (session_id, member_id, offer_id, code, booked_at, booked_via) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (session_id, member_id, offer_id, code, to_db(now), via),
        )
        row = await self._one(
            f"SELECT {_BOOKING_COLUMNS} FROM bookings b WHERE b.id = ?", (cursor.lastrowid,)
        )
        return _booking(row)

    async def end_booking(self, booking_id: int, state: str, now: datetime) -> bool:
        cursor = await self._run(
            "UPDATE bookings SET state = ?, ended_at = ? WHERE id = ? AND state = 'booked'",
            (state, to_db(now), booking_id),
        )
        return cursor.rowcount == 1

    async def set_paused_until(self, member_id: int, until: date | None) -> None:
        await self._run("UPDATE members SET paused_until = ? WHERE id = ?", (date_to_db(until), member_id))

    async def opt_out(self, member_id: int, channel: str, now: datetime, by_provider: bool = False) -> None:
        await self._run(
            "INSERT INTO opt_outs (member_id, channel, at, by_provider) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (member_id, channel) DO NOTHING",
            (member_id, channel, to_db(now), int(by_provider)),
        )

    async def lift_provider_opt_out(self, member_id: int, channel: str) -> bool:
        """Undo an opt-out the provider recorded (not one the person asked for)."""
        cursor = await self._run(
            "DELETE FROM opt_outs WHERE member_id = ? AND channel = ? AND by_provider = 1",
            (member_id, channel),
        )
        return cursor.rowcount == 1

    async def opt_in(self, member_id: int, channel: str) -> bool:
        cursor = await self._run(
            "DELETE FROM opt_outs WHERE member_id = ? AND channel = ?", (member_id, channel)
        )
        return cursor.rowcount == 1

    async def enqueue(self, messages: Sequence[QueuedMessage], now: datetime) -> None:
        created = to_db(now)
        await self._many(
            "INSERT INTO messages (direction, member_id, channel, address, body, choices, "
            "topic, kind, status, not_before, next_attempt_at, error, created_at, details, supersedes, "
            "priority) VALUES ('out', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    m.member_id,
                    m.channel,
                    m.address,
                    m.body,
                    _choices_to_db(m.choices),
                    m.topic,
                    m.kind,
                    m.status,
                    to_db(m.not_before) if m.not_before else None,
                    to_db(m.not_before) if m.not_before else created,
                    m.error,
                    created,
                    json.dumps(m.details) if m.details else None,
                    int(m.supersedes),
                    m.priority,
                )
                for m in messages
            ],
        )

    async def add_timer(
        self, kind: str, subject: str, due_at: datetime, payload: dict[str, Any], now: datetime
    ) -> int:
        cursor = await self._run(
            "INSERT INTO timers (kind, subject, due_at, payload, created_at) VALUES (?, ?, ?, ?, ?)",
            (kind, subject, to_db(due_at), json.dumps(payload, sort_keys=True), to_db(now)),
        )
        return cursor.lastrowid

    async def cancel_timers(self, kind: str, subject: str) -> int:
        cursor = await self._run(
            "UPDATE timers SET state = 'cancelled' WHERE kind = ? AND subject = ? AND state = 'pending'",
            (kind, subject),
        )
        return cursor.rowcount

    async def finish_timer(self, timer_id: int, now: datetime) -> bool:
        cursor = await self._run(
            "UPDATE timers SET state = 'done', done_at = ? WHERE id = ? AND state = 'pending'",
            (to_db(now), timer_id),
        )
        return cursor.rowcount == 1

    async def audit(self, entry: AuditEntry, now: datetime) -> None:
        await self._run(
            "INSERT INTO audit (at, actor, action, subject, channel, detail) VALUES (?, ?, ?, ?, ?, ?)",
            (
                to_db(now),
                entry.actor,
                entry.action,
                entry.subject,
                entry.channel,
                json.dumps(entry.detail, sort_keys=True),
            ),
        )

    async def hold_for_digest(
        self, member_id: int, session_id: int | None, event: str, line: str, now: datetime
    ) -> None:
        await self._run(
            "INSERT INTO digest_items (member_id, session_id, event, line, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (member_id, session_id, event, line, to_db(now)),
        )

    async def mark_digest_sent(self, item_ids: Sequence[int], now: datetime) -> int:
        """Mark these items sent (compare-and-set: an item sent already is left alone); how many."""
        changed = 0
        for item_id in item_ids:
            cursor = await self._run(
                "UPDATE digest_items SET sent_at = ? WHERE id = ? AND sent_at IS NULL", (to_db(now), item_id)
            )
            changed += cursor.rowcount
        return changed

    async def remember_list(self, member_id: int, kind: str, position: int, now: datetime) -> None:
        await self._run(
            "INSERT INTO member_lists (member_id, kind, position, at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (member_id) DO UPDATE SET kind = excluded.kind, position = excluded.position, "
            "at = excluded.at",
            (member_id, kind, position, to_db(now)),
        )

    async def add_to_inbox(self, message_id: int, member_id: int | None, now: datetime) -> None:
        """A new item, or, when the same number has one open, that item counts one more and
        shows the newest message."""
        open_item = await self._one(
            "SELECT i.id FROM inbox i JOIN messages old ON old.id = i.message_id "
            "JOIN messages new ON new.id = ? WHERE i.state = 'open' "
            "AND old.channel = new.channel AND old.address = new.address",
            (message_id,),
        )
        if open_item is not None:
            await self._run(
                "UPDATE inbox SET message_id = ?, count = count + 1 WHERE id = ?", (message_id, open_item[0])
            )
            return
        await self._run(
            "INSERT INTO inbox (message_id, member_id, created_at) VALUES (?, ?, ?)",
            (message_id, member_id, to_db(now)),
        )

    async def close_inbox_item(self, item_id: int, by: int | None, now: datetime) -> bool:
        cursor = await self._run(
            "UPDATE inbox SET state = 'done', done_by = ?, done_at = ? WHERE id = ? AND state = 'open'",
            (by, to_db(now), item_id),
        )
        return cursor.rowcount == 1


class SqliteStore:
    """Opens the database, applies migrations, and hands out units of work."""

    # How long a unit of work waits for another process's write lock before giving up.
    LOCK_WAIT_SECONDS = 10.0

    def __init__(self, writer: sqlite3.Connection, reader: aiosqlite.Connection) -> None:
        self._writer = writer
        self._reader = reader
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> SqliteStore:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = sqlite3.connect(path, isolation_level=None)
        deadline = time.monotonic() + cls.LOCK_WAIT_SECONDS
        while True:
            # Processes starting together on a new file contend for the switch to WAL and
            # for the migrations; SQLite answers some of those at once with "locked".
            try:
                for pragma in _PRAGMAS:
                    writer.execute(pragma)
                _migrate(writer)
                break
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.05)
        # From here on the writer never waits inside SQLite (that would block the loop); see _begin.
        writer.execute("PRAGMA busy_timeout = 0")
        reader = await aiosqlite.connect(path, isolation_level=None)
        for pragma in _PRAGMAS:
            await reader.execute(pragma)
        await reader.execute("PRAGMA query_only = ON")
        return cls(writer, reader)

    async def close(self) -> None:
        await self._reader.close()
        self._writer.close()

    async def _begin(self) -> None:
        """BEGIN IMMEDIATE, waiting (asynchronously) while another process holds the lock."""
        deadline = time.monotonic() + self.LOCK_WAIT_SECONDS
        pause = 0.002
        while True:
            try:
                self._writer.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.1)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[SqliteUnitOfWork]:
        async with self._lock:
            await self._begin()
            try:
                yield SqliteUnitOfWork(self._writer)
            except BaseException:
                self._writer.execute("ROLLBACK")
                raise
            else:
                self._writer.execute("COMMIT")

    def reader(self) -> SqliteQueries:
        return SqliteQueries(self._reader)

    # -- the dispatcher's short transactions --------------------------------------------------

    async def claim_outbox(
        self, now: datetime, limit: int, channel: str | None = None
    ) -> list[OutboxMessage]:
        """Mark up to ``limit`` due messages (of ``channel``, or any) as in flight, the most
        pressing first (bot/priority.py). A person's earlier due messages come along, so
        they are still sent in order: people appear in priority order, each one's in theirs."""
        stamp = to_db(now)
        where = "status = 'queued' AND next_attempt_at <= ?" + (" AND channel = ?" if channel else "")
        args: tuple[Any, ...] = (stamp, channel) if channel else (stamp,)
        async with self.unit_of_work() as uow:
            picked = await uow._all(
                f"SELECT id, channel, address FROM messages WHERE {where} "
                "ORDER BY priority, next_attempt_at, id LIMIT ?",
                (*args, limit),
            )
            if not picked:
                return []
            order: dict[tuple[str, str], int] = {}
            last: dict[tuple[str, str], int] = {}
            for message_id, on, address in picked:
                order.setdefault((on, address), len(order))
                last[(on, address)] = max(last.get((on, address), 0), message_id)
            ids = {r[0] for r in picked}
            addresses = sorted({address for _, address in order})
            for start in range(0, len(addresses), 400):
                chunk = addresses[start : start + 400]
                earlier = await uow._all(
                    f"SELECT id, channel, address FROM messages WHERE {where} "
                    f"AND address IN ({','.join('?' * len(chunk))}) AND id < ?",
                    (*args, *chunk, max(last.values())),
                )
                ids.update(i for i, on, address in earlier if i < last.get((on, address), 0))
            rows = await uow._all_in(
                "UPDATE messages SET status = 'sending', updated_at = ? WHERE id IN ({ids}) "
                "RETURNING id, channel, address, body, choices, member_id, topic, kind, attempts, "
                "details, supersedes",
                ids,
                before=(stamp,),
            )
            replaces = {}
            for r in rows:
                if r[10] and r[6]:
                    first = await uow._one(
                        "SELECT provider_id FROM messages WHERE channel = ? AND address = ? AND topic = ? "
                        "AND direction = 'out' AND choices IS NOT NULL AND provider_id IS NOT NULL "
                        "ORDER BY id LIMIT 1",
                        (r[1], r[2], r[6]),
                    )
                    replaces[r[0]] = first[0] if first else None
        return sorted(
            (
                OutboxMessage(
                    id=r[0],
                    channel=r[1],
                    address=r[2],
                    text=r[3] or "",
                    choices=_choices_from_db(r[4]),
                    member_id=r[5],
                    topic=r[6],
                    kind=r[7],
                    attempts=r[8],
                    details=tuple(tuple(pair) for pair in json.loads(r[9])) if r[9] else (),
                    replaces=replaces.get(r[0]),
                )
                for r in rows
            ),
            key=lambda message: (order[(message.channel, message.address)], message.id),
        )

    async def record_dispatch(self, outcomes: Sequence[DispatchOutcome], now: datetime) -> None:
        if not outcomes:
            return
        stamp = to_db(now)
        async with self.unit_of_work() as uow:
            await uow._many(
                "UPDATE messages SET status = ?, provider_id = coalesce(?, provider_id), "
                "error = ?, attempts = attempts + ?, updated_at = ?, segments = coalesce(?, segments), "
                "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, "
                "next_attempt_at = coalesce(?, next_attempt_at), error_code = coalesce(?, error_code) "
                "WHERE id = ?",
                [
                    (o.status, o.provider_id, o.error, int(o.attempted), stamp, o.segments, o.status, stamp,
                     to_db(o.next_attempt_at) if o.next_attempt_at else None, o.error_code, o.message_id)
                    for o in outcomes
                ],
            )  # fmt: skip
            for outcome in outcomes:
                if outcome.opted_out_member is not None:
                    channel = await uow._one(
                        "SELECT channel FROM messages WHERE id = ?", (outcome.message_id,)
                    )
                    await uow.opt_out(outcome.opted_out_member, channel[0], now, by_provider=True)
                    await uow.audit(
                        AuditEntry("provider", "opted_out", f"member:{outcome.opted_out_member}",
                                   channel[0], {"reason": outcome.error or ""}),
                        now,
                    )  # fmt: skip
            # Delivery reports that came before the send was written apply now.
            sent_ids = [o.provider_id for o in outcomes if o.provider_id]
            if sent_ids:
                early = await uow._all_in(
                    "SELECT r.channel, r.provider_id, r.status, r.error_code, r.reason "
                    "FROM delivery_reports r WHERE r.provider_id IN ({ids})",
                    sent_ids,  # type: ignore[arg-type]
                )
                for channel, provider_id, status, error_code, reason in early:
                    await uow._advance(
                        channel, provider_id, status, _REPORT_RANK.get(status, 0), error_code, now, reason
                    )

    async def record_delivery_report(
        self, channel: str, provider_id: str, status: str, rank: int, error_code: str | None, now: datetime,
        reason: str | None = None,
    ) -> tuple[bool, DeliveryChange | None]:  # fmt: skip
        async with self.unit_of_work() as uow:
            return await uow.record_delivery_report(
                channel, provider_id, status, rank, error_code, now, reason
            )

    async def undelivered(self, since: datetime) -> list[tuple[DeliveryChange, Member | None, datetime]]:
        reader = self.reader()
        rows = await reader._all(
            f"SELECT {_CHANGE_COLUMNS}, coalesce(updated_at, created_at) FROM messages "
            "WHERE direction = 'out' AND status IN ('failed', 'undelivered') AND created_at >= ? ORDER BY id",
            (to_db(since),),
        )
        people = await reader.members(r[1] for r in rows if r[1] is not None)
        return [(_change(r), people.get(r[1]), from_db(r[11])) for r in rows]

    async def fail_channels_off(self, channels_on: Collection[str]) -> list[int]:
        async with self.unit_of_work() as uow:
            rows = await uow._all(
                "UPDATE messages SET status = 'failed', error = 'the ' || channel || ' channel is off' "
                f"WHERE status = 'queued' AND channel NOT IN ({','.join('?' * len(channels_on))}) "
                "RETURNING id",
                tuple(channels_on),
            )
        return [r[0] for r in rows]

    async def requeue_in_flight(self) -> int:
        """After a crash, messages that were being sent go again (delivery is at least once)."""
        async with self.unit_of_work() as uow:
            cursor = await uow._run("UPDATE messages SET status = 'queued' WHERE status = 'sending'")
            return cursor.rowcount

    async def next_outbox_due(self, channel: str | None = None) -> datetime | None:
        if channel is None:
            row = await self.reader()._one(
                "SELECT min(next_attempt_at) FROM messages WHERE status = 'queued'"
            )
        else:
            row = await self.reader()._one(
                "SELECT min(next_attempt_at) FROM messages WHERE status = 'queued' AND channel = ?",
                (channel,),
            )
        return opt_from_db(row[0])

    async def retry_timer_later(self, timer_id: int, error: str, due_at: datetime, give_up: bool) -> None:
        async with self.unit_of_work() as uow:
            await uow._run(
                "UPDATE timers SET attempts = attempts + 1, error = ?, due_at = ?, "
                "state = CASE WHEN ? THEN 'failed' ELSE state END WHERE id = ? AND state = 'pending'",
                (error, to_db(due_at), int(give_up), timer_id),
            )

    async def purge_message_bodies(self, before: datetime) -> int:
        async with self.unit_of_work() as uow:
            cursor = await uow._run(
                "UPDATE messages SET body = NULL, choices = NULL, details = NULL "
                "WHERE body IS NOT NULL AND created_at < ? AND status != 'queued'",
                (to_db(before),),
            )
            return cursor.rowcount


_PRAGMAS = (
    "PRAGMA busy_timeout = 5000",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
)


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append((number, entry.read_text(encoding="utf-8")))
    return sorted(found)


def _migrate(conn: sqlite3.Connection) -> None:
    """Apply every numbered migration above the database's user_version, all in one
    transaction, reading the version under the write lock (two processes may start at once)."""
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("BEGIN IMMEDIATE")
    try:
        (current,) = conn.execute("PRAGMA user_version").fetchone()
        for number, script in _migrations():
            if number <= current:
                continue
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _statements(script: str) -> list[str]:
    """A script's statements one by one (a trigger's body holds several ';')."""
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                statements.append(pending.strip())
            pending = ""
    if pending.strip() and not all(
        part.strip().startswith("--") or not part.strip() for part in pending.splitlines()
    ):
        raise ValueError(f"incomplete SQL at the end of a migration: {pending[:80]!r}")
    return statements
