"""Invoices and credit notes (gapless numbers per person, never edited), the billing details
they print, and links to documents sent in messages."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from bot.domain import Billing, Invoice
from bot.ports.records import InvoiceRow
from storage.sqlite.repository import Repository
from storage.sqlite.timefmt import date_from_db, from_db, opt_from_db, to_db

INVOICE_COLUMNS = """
    i.id, i.member_id, i.practice, i.seq, i.number, i.kind, i.period, i.issued_on, i.due_on, i.state,
    i.fee_pence, i.expenses_pence, i.pensionable_pence, i.employer_pence, i.total_pence, i.pensions,
    i.credits, i.paid_on, i.paid_by, i.sent_at, i.cancelled_at, i.reminded_at, i.escalated_at
"""
MARKS = {"sent_at", "cancelled_at", "reminded_at", "escalated_at", "window_warned_at"}


def to_invoice(r: Sequence[Any]) -> Invoice:
    issued = date_from_db(r[7])
    assert issued is not None
    return Invoice(
        id=r[0], member_id=r[1], practice=r[2], seq=r[3], number=r[4], kind=r[5], period=r[6],
        issued_on=issued, due_on=date_from_db(r[8]), state=r[9], fee_pence=r[10], expenses_pence=r[11],
        pensionable_pence=r[12], employer_pence=r[13], total_pence=r[14], pensions=bool(r[15]),
        credits=r[16], paid_on=date_from_db(r[17]), paid_by=r[18], sent_at=opt_from_db(r[19]),
        cancelled_at=opt_from_db(r[20]), reminded_at=opt_from_db(r[21]), escalated_at=opt_from_db(r[22]),
    )  # fmt: skip


def printed_number(member_id: int, seq: int) -> str:
    """'012-0003': the person's number, then their invoice's, so it is unique in the pool."""
    return f"{member_id:03d}-{seq:04d}"


class SqliteInvoices(Repository):
    async def billing(self, member_id: int) -> Billing | None:
        row = await self._one(
            "SELECT member_id, address, company_name, company_number, account_name, sort_code, "
            "account_number FROM billing WHERE member_id = ?",
            (member_id,),
        )
        if row is None:
            return None
        return Billing(row[0], tuple(line for line in row[1].split("\n") if line), *row[2:])

    async def save_billing(self, billing: Billing, now: datetime) -> None:
        await self._run(
            "INSERT INTO billing (member_id, address, company_name, company_number, account_name, "
            "sort_code, account_number, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (member_id) DO UPDATE SET "
            "address = excluded.address, company_name = excluded.company_name, "
            "company_number = excluded.company_number, account_name = excluded.account_name, "
            "sort_code = excluded.sort_code, account_number = excluded.account_number, "
            "updated_at = excluded.updated_at",
            (
                billing.member_id, "\n".join(billing.address), billing.company_name, billing.company_number,
                billing.account_name, billing.sort_code, billing.account_number, to_db(now),
            ),
        )  # fmt: skip

    async def next_number(self, member_id: int) -> tuple[int, str]:
        row = await self._one(
            "SELECT coalesce(max(seq), 0) + 1 FROM invoices WHERE member_id = ?", (member_id,)
        )
        return row[0], printed_number(member_id, row[0])

    async def add_invoice(
        self,
        *,
        member_id: int,
        practice: str,
        kind: str,
        period: str,
        issued_on: date,
        due_on: date | None,
        state: str,
        fee_pence: int,
        expenses_pence: int,
        pensionable_pence: int,
        employer_pence: int,
        total_pence: int,
        pensions: bool,
        document: str,
        credits: int | None,
        lines: Sequence[tuple[int, int | None, int]],
        now: datetime,
        form_a: str | None = None,
    ) -> Invoice:
        seq, number = await self.next_number(member_id)
        (invoice_id,) = await self._one(
            "INSERT INTO invoices (member_id, practice, seq, number, kind, credits, period, issued_on, "
            "due_on, state, fee_pence, expenses_pence, pensionable_pence, employer_pence, total_pence, "
            "pensions, document, form_a, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                member_id, practice, seq, number, kind, credits, period, issued_on.isoformat(),
                due_on.isoformat() if due_on else None, state, fee_pence, expenses_pence, pensionable_pence,
                employer_pence, total_pence, int(pensions), document, form_a, to_db(now),
            ),
        )  # fmt: skip
        invoice_id = int(invoice_id)
        if lines:
            await self._many(
                "INSERT INTO invoice_lines (invoice_id, session_id, expense_id, amount_pence) "
                "VALUES (?, ?, ?, ?)",
                [(invoice_id, session, expense, amount) for session, expense, amount in lines],
            )
        found = await self.invoice(invoice_id)
        assert found is not None
        return found

    async def invoice(self, invoice_id: int) -> Invoice | None:
        row = await self._one(f"SELECT {INVOICE_COLUMNS} FROM invoices i WHERE i.id = ?", (invoice_id,))
        return to_invoice(row) if row else None

    async def invoice_by_number(self, number: str) -> Invoice | None:
        row = await self._one(f"SELECT {INVOICE_COLUMNS} FROM invoices i WHERE i.number = ?", (number,))
        return to_invoice(row) if row else None

    async def form_a(self, invoice_id: int) -> str | None:
        row = await self._one("SELECT form_a FROM invoices WHERE id = ?", (invoice_id,))
        return row[0] if row else None

    async def window_warned(self, invoice_id: int) -> bool:
        row = await self._one("SELECT window_warned_at FROM invoices WHERE id = ?", (invoice_id,))
        return bool(row and row[0])

    async def document(self, invoice_id: int) -> str:
        row = await self._one("SELECT document FROM invoices WHERE id = ?", (invoice_id,))
        return str(row[0]) if row else "{}"

    async def invoice_rows(
        self,
        *,
        states: Sequence[str] = (),
        practices: Sequence[str] | None = None,
        member_id: int | None = None,
        issued_from: date | None = None,
        issued_before: date | None = None,
    ) -> list[InvoiceRow]:
        where, params = ["1 = 1"], []  # type: ignore[var-annotated]
        if states:
            where.append(f"i.state IN ({','.join('?' * len(states))})")
            params.extend(states)
        if practices is not None:
            if not practices:
                return []
            where.append(f"i.practice IN ({','.join('?' * len(practices))})")
            params.extend(practices)
        if member_id is not None:
            where.append("i.member_id = ?")
            params.append(member_id)
        if issued_from is not None:
            where.append("i.issued_on >= ?")
            params.append(issued_from.isoformat())
        if issued_before is not None:
            where.append("i.issued_on < ?")
            params.append(issued_before.isoformat())
        rows = await self._all(
            f"SELECT {INVOICE_COLUMNS}, m.name, p.name, coalesce(p.pcn, ''), c.number FROM invoices i "
            "JOIN members m ON m.id = i.member_id JOIN practices p ON p.ods_code = i.practice "
            "LEFT JOIN invoices c ON c.id = i.credits "
            f"WHERE {' AND '.join(where)} ORDER BY i.issued_on DESC, i.id DESC",
            params,
        )
        return [InvoiceRow(to_invoice(r), r[23], r[24], r[25], r[26]) for r in rows]

    async def invoiced_sessions(self, session_ids: Iterable[int]) -> set[int]:
        rows = await self._all_in(
            "SELECT session_id FROM invoice_lines "
            "WHERE live = 1 AND expense_id IS NULL AND session_id IN ({ids})",
            session_ids,
        )
        return {r[0] for r in rows}

    async def invoiced_expenses(self, expense_ids: Iterable[int]) -> set[int]:
        rows = await self._all_in(
            "SELECT expense_id FROM invoice_lines WHERE live = 1 AND expense_id IN ({ids})", expense_ids
        )
        return {r[0] for r in rows}

    async def sessions_of(self, invoice_id: int) -> list[int]:
        rows = await self._all(
            "SELECT DISTINCT session_id FROM invoice_lines WHERE invoice_id = ? ORDER BY session_id",
            (invoice_id,),
        )
        return [r[0] for r in rows]

    async def change_state(
        self, invoice_id: int, state: str, *, expect: Sequence[str], now: datetime, field: str | None = None
    ) -> bool:
        assert field is None or field in MARKS, field
        if not expect:
            return False  # nothing to compare with (and PostgreSQL refuses an empty IN ())
        mark = f", {field} = ?" if field else ""
        cursor = await self._run(
            f"UPDATE invoices SET state = ?{mark} WHERE id = ? AND state IN ({','.join('?' * len(expect))})",
            (state, *([to_db(now)] if field else []), invoice_id, *expect),
        )
        return cursor.rowcount == 1

    async def mark_paid(self, invoice_id: int, paid_on: date, by: int | None, now: datetime) -> bool:
        cursor = await self._run(
            "UPDATE invoices SET state = 'paid', paid_on = ?, paid_by = ?, paid_marked_at = ? "
            "WHERE id = ? AND state IN ('sent', 'overdue')",
            (paid_on.isoformat(), by, to_db(now), invoice_id),
        )
        return cursor.rowcount == 1

    async def release_lines(self, invoice_id: int) -> None:
        await self._run("UPDATE invoice_lines SET live = 0 WHERE invoice_id = ?", (invoice_id,))

    async def paid_between(self, member_id: int, first: date, last: date) -> list[Invoice]:
        rows = await self._all(
            f"SELECT {INVOICE_COLUMNS} FROM invoices i WHERE i.member_id = ? AND i.kind = 'invoice' "
            "AND i.paid_on >= ? AND i.paid_on <= ? ORDER BY i.paid_on, i.seq",
            (member_id, first.isoformat(), last.isoformat()),
        )
        return [to_invoice(r) for r in rows]

    async def add_link(
        self, token_hash: str, kind: str, ref: str, expires_at: datetime, now: datetime
    ) -> None:
        await self._run(
            "INSERT INTO document_links (token_hash, kind, ref, expires_at, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (token_hash, kind, ref, to_db(expires_at), to_db(now)),
        )

    async def link(self, token_hash: str) -> tuple[str, str, datetime] | None:
        row = await self._one(
            "SELECT kind, ref, expires_at FROM document_links WHERE token_hash = ?", (token_hash,)
        )
        return (row[0], row[1], from_db(row[2])) if row else None
