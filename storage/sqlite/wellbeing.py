"""Wellbeing check-ins and plans (answers belong to the GP: nothing here is for a
coordinator's screen)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storage.sqlite.repository import Repository
from storage.sqlite.timefmt import from_db, opt_from_db, to_db


class SqliteWellbeing(Repository):
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
            "at_time = excluded.at_time, stopped_at = NULL, "
            "consented_at = CASE WHEN wellbeing_plans.stopped_at IS NULL "
            "THEN wellbeing_plans.consented_at ELSE excluded.consented_at END",
            (member_id, to_db(now), cadence, weekday, at_time),
        )

    async def stop_wellbeing_plan(self, member_id: int, now: datetime) -> bool:
        cursor = await self._run(
            "UPDATE wellbeing_plans SET stopped_at = ? WHERE member_id = ? AND stopped_at IS NULL",
            (to_db(now), member_id),
        )
        return cursor.rowcount == 1

    async def add_checkin(self, member_id: int, now: datetime) -> int:
        (checkin_id,) = await self._one(
            "INSERT INTO checkins (member_id, asked_at) VALUES (?, ?) RETURNING id", (member_id, to_db(now))
        )
        return int(checkin_id)

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

    async def forget_checkins(self, member_id: int) -> int:
        # The texts about their check-ins go too, the lead's copy included (its topic).
        await self._run(
            "UPDATE messages SET body = NULL, choices = NULL, details = NULL, template = NULL "
            "WHERE direction = 'out' AND "
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
