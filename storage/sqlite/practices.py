"""Practices and the GPs each prefers or blocks."""

from __future__ import annotations

from bot.domain import (
    Practice,
)
from storage.sqlite.repository import Repository
from storage.sqlite.rows import (
    PRACTICE_COLUMNS,
    to_practice,
)


class SqlitePractices(Repository):
    async def practice(self, ods_code: str) -> Practice | None:
        row = await self._one(f"SELECT {PRACTICE_COLUMNS} FROM practices p WHERE p.ods_code = ?", (ods_code,))
        return to_practice(row) if row else None

    async def all(self) -> list[Practice]:
        rows = await self._all(f"SELECT {PRACTICE_COLUMNS} FROM practices p ORDER BY p.ods_code")
        return [to_practice(row) for row in rows]

    async def practice_preferences(self, ods_code: str) -> dict[int, str]:
        return dict(
            await self._all(
                "SELECT member_id, kind FROM practice_preferences WHERE practice = ?", (ods_code,)
            )
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
