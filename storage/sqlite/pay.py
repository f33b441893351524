"""Pay for the work: sign-offs of delivered sessions' hours, and expense lines."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bot.domain import Expense, SignOff
from bot.ports.records import SignOffRow
from storage.sqlite.repository import Repository
from storage.sqlite.rows import SESSION_COLUMNS, SESSION_WIDTH, to_session
from storage.sqlite.timefmt import from_db, opt_from_db, to_db

SIGNOFF_COLUMNS = """
    g.session_id, g.member_id, g.practice, g.hours, g.state, g.reported_by, g.reported_at,
    g.pay_pence, g.pay_rule, g.signed_off_at, g.signed_off_by, g.query, g.queried_at,
    g.queried_by, g.settled_note, g.reported_hours, g.reminded_at, g.escalated_at
"""
SIGNOFF_WIDTH = 18
EXPENSE_COLUMNS = "id, session_id, member_id, kind, amount_pence, note, added_at, miles, added_by"
# Which moments a sign-off notes by name (never a column name from outside).
MARKS = {"reminded_at", "escalated_at"}


def to_signoff(r: Sequence[Any]) -> SignOff:
    return SignOff(
        session_id=r[0],
        member_id=r[1],
        practice=r[2],
        hours=r[3],
        state=r[4],
        reported_by=r[5],
        reported_at=from_db(r[6]),
        pay_pence=r[7],
        pay_rule=r[8],
        signed_off_at=opt_from_db(r[9]),
        signed_off_by=r[10],
        query=r[11],
        queried_at=opt_from_db(r[12]),
        queried_by=r[13],
        settled_note=r[14],
        reported_hours=r[15],
        reminded_at=opt_from_db(r[16]),
        escalated_at=opt_from_db(r[17]),
    )


def to_expense(r: Sequence[Any]) -> Expense:
    return Expense(r[0], r[1], r[2], r[3], r[4], r[5], from_db(r[6]), r[7], r[8])


class SqlitePay(Repository):
    async def signoff(self, session_id: int) -> SignOff | None:
        row = await self._one(
            f"SELECT {SIGNOFF_COLUMNS} FROM signoffs g WHERE g.session_id = ?", (session_id,)
        )
        return to_signoff(row) if row else None

    async def add_signoff(
        self, session_id: int, member_id: int, practice: str, hours: float, reported_by: str, now: datetime
    ) -> SignOff:
        await self._run(
            "INSERT INTO signoffs (session_id, member_id, practice, hours, reported_by, reported_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (session_id, member_id, practice, hours, reported_by, to_db(now)),
        )
        found = await self.signoff(session_id)
        assert found is not None
        return found

    async def sign_off(
        self, session_id: int, *, pay_pence: int, pay_rule: str, by: int | None, now: datetime
    ) -> bool:
        cursor = await self._run(
            "UPDATE signoffs SET state = 'signed_off', pay_pence = ?, pay_rule = ?, signed_off_by = ?, "
            "signed_off_at = ? WHERE session_id = ? AND state = 'awaiting'",
            (pay_pence, pay_rule, by, to_db(now), session_id),
        )
        return cursor.rowcount == 1

    async def query_signoff(self, session_id: int, text: str, by: int | None, now: datetime) -> bool:
        cursor = await self._run(
            "UPDATE signoffs SET state = 'queried', query = ?, queried_by = ?, queried_at = ? "
            "WHERE session_id = ? AND state = 'awaiting'",
            (text, by, to_db(now), session_id),
        )
        return cursor.rowcount == 1

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
        cursor = await self._run(
            "UPDATE signoffs SET state = 'signed_off', "
            "reported_hours = CASE WHEN hours != ? THEN coalesce(reported_hours, hours) END, hours = ?, "
            "pay_pence = ?, pay_rule = ?, settled_note = ?, signed_off_by = ?, signed_off_at = ? "
            "WHERE session_id = ? AND state IN ('awaiting', 'queried')",
            (hours, hours, pay_pence, pay_rule, note, by, to_db(now), session_id),
        )
        if cursor.rowcount != 1:
            return False
        await self._run("UPDATE sessions SET delivered_hours = ? WHERE id = ?", (hours, session_id))
        return True

    async def mark_signoff(self, session_id: int, field: str, now: datetime) -> None:
        assert field in MARKS, field
        await self._run(f"UPDATE signoffs SET {field} = ? WHERE session_id = ?", (to_db(now), session_id))

    async def signoff_rows(
        self,
        *,
        start: datetime,
        end: datetime,
        states: Sequence[str] = (),
        practices: Sequence[str] | None = None,
        member_id: int | None = None,
    ) -> list[SignOffRow]:
        where = ["s.starts_at >= ?", "s.starts_at < ?"]
        params: list[Any] = [to_db(start), to_db(end)]
        if states:
            where.append(f"g.state IN ({','.join('?' * len(states))})")
            params.extend(states)
        if practices is not None:
            if not practices:
                return []
            where.append(f"g.practice IN ({','.join('?' * len(practices))})")
            params.extend(practices)
        if member_id is not None:
            where.append("g.member_id = ?")
            params.append(member_id)
        rows = await self._all(
            f"SELECT {SIGNOFF_COLUMNS}, {SESSION_COLUMNS}, p.name, coalesce(p.pcn, ''), m.name, m.phone, "
            "m.engagement FROM signoffs g JOIN sessions s ON s.id = g.session_id "
            "JOIN practices p ON p.ods_code = g.practice JOIN members m ON m.id = g.member_id "
            f"WHERE {' AND '.join(where)} ORDER BY s.starts_at, s.id",
            params,
        )
        expenses = await self.expenses_for(r[0] for r in rows)
        tail = SIGNOFF_WIDTH + SESSION_WIDTH
        return [
            SignOffRow(
                signoff=to_signoff(r),
                session=to_session(r, SIGNOFF_WIDTH),
                practice_name=r[tail],
                pcn=r[tail + 1],
                member_name=r[tail + 2],
                member_phone=r[tail + 3],
                engagement=r[tail + 4],
                expenses=tuple(expenses.get(r[0], ())),
            )
            for r in rows
        ]

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
    ) -> Expense:
        (expense_id,) = await self._one(
            "INSERT INTO expenses (session_id, member_id, kind, miles, amount_pence, note, added_at, "
            "added_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (session_id, member_id, kind, miles, amount_pence, note, to_db(now), by),
        )
        return Expense(expense_id, session_id, member_id, kind, amount_pence, note, now, miles, by)

    async def expenses_for(self, session_ids: Iterable[int]) -> dict[int, list[Expense]]:
        rows = await self._all_in(
            f"SELECT {EXPENSE_COLUMNS} FROM expenses WHERE session_id IN ({{ids}}) ORDER BY id", session_ids
        )
        found: dict[int, list[Expense]] = {}
        for row in rows:
            found.setdefault(row[1], []).append(to_expense(row))
        return found
