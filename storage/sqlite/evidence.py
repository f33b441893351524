"""Checks with evidence: each recording of a check, and the documents seen."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot.domain import CheckRecord, Document
from storage.sqlite.repository import Repository
from storage.sqlite.timefmt import date_from_db, from_db, to_db

RECORD_COLUMNS = (
    "r.id, r.member_id, r.kind, r.expires, r.verified_on, v.name, r.source, r.document_id, "
    "r.document_type, r.recorded_at"
)


def _record(row: Any) -> CheckRecord:
    return CheckRecord(
        row[0],
        row[1],
        row[2],
        date_from_db(row[3]),
        date_from_db(row[4]),
        row[5],
        row[6],
        row[7],
        row[8],
        from_db(row[9]),
    )


class SqliteEvidence(Repository):
    async def record_check(
        self, member_id: int, kind: str, expires: date | None, verified_on: date | None,
        verified_by: int | None, source: str, document: tuple[str, bytes] | None, now: datetime,
    ) -> CheckRecord:  # fmt: skip
        document_id, document_type = None, None
        if document is not None:
            content_type, content = document
            (document_id,) = await self._one(
                "INSERT INTO documents (member_id, content_type, size, content, uploaded_at) "
                "VALUES (?, ?, ?, ?, ?) RETURNING id",
                (member_id, content_type, len(content), content, to_db(now)),
            )
            document_type = content_type
        (record_id,) = await self._one(
            "INSERT INTO check_records (member_id, kind, expires, verified_on, verified_by, source, "
            "document_id, document_type, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                member_id, kind, expires.isoformat() if expires else None,
                verified_on.isoformat() if verified_on else None, verified_by, source, document_id,
                document_type, to_db(now),
            ),
        )  # fmt: skip
        row = await self._one(
            f"SELECT {RECORD_COLUMNS} FROM check_records r LEFT JOIN members v ON v.id = r.verified_by "
            "WHERE r.id = ?",
            (record_id,),
        )
        return _record(row)

    async def check_history(self, member_id: int) -> list[CheckRecord]:
        rows = await self._all(
            f"SELECT {RECORD_COLUMNS} FROM check_records r LEFT JOIN members v ON v.id = r.verified_by "
            "WHERE r.member_id = ? ORDER BY r.id DESC",
            (member_id,),
        )
        return [_record(r) for r in rows]

    async def leavers_with_documents(self, left_before: date) -> list[int]:
        rows = await self._all(
            "SELECT DISTINCT d.member_id FROM documents d JOIN members m ON m.id = d.member_id "
            "WHERE m.left_on IS NOT NULL AND m.left_on < ? ORDER BY d.member_id",
            (left_before.isoformat(),),
        )
        return [r[0] for r in rows]

    async def delete_documents(self, member_id: int) -> int:
        cursor = await self._run("DELETE FROM documents WHERE member_id = ?", (member_id,))
        return int(cursor.rowcount)

    async def forget_checks(self, member_id: int) -> None:
        await self._run("DELETE FROM check_records WHERE member_id = ?", (member_id,))
        await self._run("DELETE FROM documents WHERE member_id = ?", (member_id,))
        await self._run("DELETE FROM checks WHERE member_id = ?", (member_id,))

    async def document(self, document_id: int) -> Document | None:
        row = await self._one(
            "SELECT id, member_id, content_type, size, content, uploaded_at FROM documents WHERE id = ?",
            (document_id,),
        )
        return Document(row[0], row[1], row[2], row[3], bytes(row[4]), from_db(row[5])) if row else None
