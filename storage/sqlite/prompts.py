"""Questions the bot has asked and is waiting on (a YES or NO, a score, did you go?)."""

from __future__ import annotations

from datetime import datetime

from bot.domain import (
    Prompt,
    Question,
)
from storage.sqlite.repository import Repository
from storage.sqlite.timefmt import from_db, to_db


class SqlitePrompts(Repository):
    async def open_questions(self, member_id: int, code: str | None = None) -> list[Question]:
        """The member's open questions (offers, then prompts such as "did it go ahead?"),
        oldest first; only the one with ``code`` when given."""
        # Two statements rather than "(? IS NULL OR code = ?)": this runs for every reply, and
        # without the OR each engine can use the code in its index (and PostgreSQL need not type
        # a parameter met only by IS NULL).
        if code is None:
            rows = await self._all(_OPEN_QUESTIONS, (member_id, member_id))
        else:
            rows = await self._all(_OPEN_QUESTIONS_WITH_CODE, (member_id, code, member_id, code))
        return [Question(kind, found, ref, member_id) for kind, found, ref in rows]

    async def prompt(self, prompt_id: int) -> Prompt | None:
        row = await self._one(
            "SELECT id, kind, member_id, ref_id, code, state, created_at FROM prompts WHERE id = ?",
            (prompt_id,),
        )
        return Prompt(row[0], row[1], row[2], row[3], row[4], row[5], from_db(row[6])) if row else None

    async def prompt_by_code(self, member_id: int, code: str) -> Prompt | None:
        row = await self._one(
            "SELECT id, kind, member_id, ref_id, code, state, created_at FROM prompts "
            "WHERE member_id = ? AND code = ? ORDER BY id DESC LIMIT 1",
            (member_id, code),
        )
        return Prompt(row[0], row[1], row[2], row[3], row[4], row[5], from_db(row[6])) if row else None

    async def add_prompt(self, kind: str, member_id: int, ref_id: int, code: str, now: datetime) -> int:
        (prompt_id,) = await self._one(
            "INSERT INTO prompts (kind, member_id, ref_id, code, created_at) VALUES (?, ?, ?, ?, ?) "
            "RETURNING id",
            (kind, member_id, ref_id, code, to_db(now)),
        )
        return int(prompt_id)

    async def close_prompt(self, prompt_id: int, state: str, now: datetime) -> bool:
        """Answer or close an open prompt; False when it was no longer open."""
        cursor = await self._run(
            "UPDATE prompts SET state = ?, answered_at = ? WHERE id = ? AND state = 'open'",
            (state, to_db(now), prompt_id),
        )
        return cursor.rowcount == 1

    async def close_prompts_about(self, kind: str, ref_id: int, now: datetime) -> int:
        cursor = await self._run(
            "UPDATE prompts SET state = 'closed', answered_at = ? "
            "WHERE kind = ? AND ref_id = ? AND state = 'open'",
            (to_db(now), kind, ref_id),
        )
        return cursor.rowcount

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


_QUESTIONS = (
    "SELECT 'offer', code, id FROM offers WHERE member_id = ? AND state = 'open'{code} "
    "UNION ALL SELECT kind, code, id FROM prompts WHERE member_id = ? AND state = 'open'{code} "
    "ORDER BY 1 DESC, 3"
)
_OPEN_QUESTIONS = _QUESTIONS.format(code="")
_OPEN_QUESTIONS_WITH_CODE = _QUESTIONS.format(code=" AND code = ?")
