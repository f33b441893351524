"""Members: who they are, how to reach them, their checks, availability and opt-outs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from bot.domain import ERASED, Member, default_engagement
from storage.sqlite.repository import Repository
from storage.sqlite.rows import (
    MEMBER_COLUMNS,
    MEMBER_WIDTH,
    join_list,
    to_member,
)
from storage.sqlite.timefmt import date_from_db, date_to_db, from_db, to_db

# What update_member may change (anything else is a programming error, refused).
_MEMBER_FIELDS = frozenset(
    {
        "engagement",
        "invoice_by",
        "left_on",
        "pension_sd_number",
        "pension_tier",
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


class SqliteMembers(Repository):
    async def member(self, member_id: int) -> Member | None:
        row = await self._one(f"SELECT {MEMBER_COLUMNS} FROM members m WHERE m.id = ?", (member_id,))
        return to_member(row) if row else None

    async def by_ids(self, member_ids: Iterable[int]) -> dict[int, Member]:
        rows = await self._all_in(
            f"SELECT {MEMBER_COLUMNS} FROM members m WHERE m.id IN ({{ids}})", member_ids
        )
        return {row[0]: to_member(row) for row in rows}

    async def member_by_phone(self, phone: str) -> Member | None:
        row = await self._one(f"SELECT {MEMBER_COLUMNS} FROM members m WHERE m.phone = ?", (phone,))
        return to_member(row) if row else None

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

    async def member_by_email(self, email: str) -> Member | None:
        """The one member with this email (case aside), or None when none or several have it."""
        rows = await self._all(
            f"SELECT {MEMBER_COLUMNS} FROM members m WHERE lower(m.email) = lower(?) LIMIT 2", (email,)
        )
        return to_member(rows[0]) if len(rows) == 1 else None

    async def member_by_address(self, channel: str, address: str) -> Member | None:
        if channel == "whatsapp":
            # Their WhatsApp number when one is recorded, else their phone; of several people
            # with one number, the first registered (as SQLite's index gave, and PostgreSQL may not).
            row = await self._one(
                f"SELECT {MEMBER_COLUMNS} FROM members m WHERE m.id = "
                "coalesce((SELECT w.member_id FROM whatsapp w WHERE w.number = ? "
                "ORDER BY w.member_id LIMIT 1), "
                "(SELECT id FROM members WHERE phone = ?))",
                (address, address),
            )
            return to_member(row) if row else None
        column = {
            "sms": "phone",
            "sandbox": "phone",
            "slack": "slack_user_id",
            "telegram": "telegram_chat_id",
        }.get(channel)
        if column is None:
            return None
        row = await self._one(f"SELECT {MEMBER_COLUMNS} FROM members m WHERE m.{column} = ?", (address,))
        return to_member(row) if row else None

    async def members_with_role(self, role: str) -> list[Member]:
        # Anyone with a role beside 'clinician' is in a small partial index (migration 0016).
        staff = "m.roles != 'clinician' AND " if role != "clinician" else ""
        rows = await self._all(
            f"SELECT {MEMBER_COLUMNS} FROM members m "
            f"WHERE {staff}instr(';' || m.roles || ';', ';' || ? || ';') > 0 ORDER BY m.id",
            (role,),
        )
        return [to_member(row) for row in rows]

    async def claim_slack_user_lookup(self, user_id: str, now: datetime, looked_before: datetime) -> bool:
        cursor = await self._run(
            "INSERT INTO slack_not_members (user_id, looked_at) VALUES (?, ?) ON CONFLICT (user_id) "
            "DO UPDATE SET looked_at = excluded.looked_at WHERE slack_not_members.looked_at <= ?",
            (user_id, to_db(now), to_db(looked_before)),
        )
        return cursor.rowcount == 1

    async def members_to_look_up_in_slack(self, looked_before: datetime, limit: int) -> list[Member]:
        """Members with an email and no Slack link, not looked up since ``looked_before``."""
        rows = await self._all(
            f"SELECT {MEMBER_COLUMNS} FROM members m WHERE m.email IS NOT NULL AND m.email != '' "
            "AND m.slack_user_id IS NULL AND (m.slack_looked_up_at IS NULL OR m.slack_looked_up_at < ?) "
            "ORDER BY m.slack_looked_up_at IS NOT NULL, m.id LIMIT ?",
            (to_db(looked_before), limit),
        )
        return [to_member(row) for row in rows]

    async def all_members(self) -> list[Member]:
        rows = await self._all(f"SELECT {MEMBER_COLUMNS} FROM members m ORDER BY m.name, m.id")
        return [to_member(row) for row in rows]

    async def members_registered_before(self, moment: datetime) -> list[Member]:
        rows = await self._all(
            f"SELECT {MEMBER_COLUMNS} FROM members m WHERE m.created_at < ? ORDER BY m.id", (to_db(moment),)
        )
        return [to_member(row) for row in rows]

    async def available_members(self, day: date, half: str) -> list[Member]:
        rows = await self._all(
            f"SELECT {MEMBER_COLUMNS} FROM availability a JOIN members m ON m.id = a.member_id "
            "WHERE a.day = ? AND a.half = ? ORDER BY m.name, m.id",
            (day.isoformat(), half),
        )
        return [to_member(row) for row in rows]

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

    async def update_member(self, member_id: int, **fields: Any) -> Member:
        """Change some of a member's fields (lists as sequences, roles as a set)."""
        unknown = set(fields) - _MEMBER_FIELDS
        if unknown:
            raise ValueError(f"not member fields: {sorted(unknown)}")
        columns, values = [], []
        for name, value in fields.items():
            if name == "roles":
                value = join_list(sorted(value))
            elif name in ("localities", "practices", "days"):
                value = join_list(value)
            elif name == "urgent_at_night":
                value = int(bool(value))
            elif name == "left_on":
                value = date_to_db(value)
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

    async def add_member(self, member: Member, now: datetime) -> Member:
        (member_id,) = await self._one(
            "INSERT INTO members (name, phone, email, roles, gp_type, registration_number, "
            "preferred_channel, slack_user_id, telegram_chat_id, localities, practices, days, "
            "max_sessions_per_week, contracted_sessions_per_week, paused_until, urgent_at_night, "
            "created_at, profession, level, alerts, engagement, pension_sd_number, pension_tier, invoice_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                member.name,
                member.phone,
                member.email,
                join_list(sorted(member.roles)),
                member.gp_type,
                member.registration_number,
                member.preferred_channel,
                member.slack_user_id,
                member.telegram_chat_id,
                join_list(member.localities),
                join_list(member.practices),
                join_list(member.days),
                member.max_sessions_per_week,
                member.contracted_sessions_per_week,
                date_to_db(member.paused_until),
                int(member.urgent_at_night),
                to_db(now),
                member.profession,
                member.level,
                member.alerts,
                member.engagement
                or default_engagement(member.is_clinician, member.profession, member.gp_type),
                member.pension_sd_number,
                member.pension_tier,
                member.invoice_by,
            ),
        )
        created = await self.member(member_id)
        assert created is not None
        return created

    async def set_paused_until(self, member_id: int, until: date | None) -> None:
        await self._run("UPDATE members SET paused_until = ? WHERE id = ?", (date_to_db(until), member_id))

    async def link_telegram(self, member_id: int, chat_id: str | None) -> None:
        """Link (or, with None, unlink) a member's Telegram chat; a chat belongs to one member."""
        if chat_id is not None:
            await self._run(
                "UPDATE members SET telegram_chat_id = NULL WHERE telegram_chat_id = ? AND id != ?",
                (chat_id, member_id),
            )
        await self._run("UPDATE members SET telegram_chat_id = ? WHERE id = ?", (chat_id, member_id))

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

    async def opted_out(self, member_ids: Iterable[int]) -> set[tuple[int, str]]:
        """(member, channel) pairs of opt-outs among these members."""
        rows = await self._all_in(
            "SELECT member_id, channel FROM opt_outs WHERE member_id IN ({ids})", member_ids
        )
        return {(member_id, channel) for member_id, channel in rows}

    async def checks_of(self, member_id: int) -> dict[str, date | None]:
        rows = await self._all("SELECT kind, expires FROM checks WHERE member_id = ?", (member_id,))
        return {kind: date_from_db(expires) for kind, expires in rows}

    async def clinicians_checks(self) -> list[tuple[Member, dict[str, date | None]]]:
        return await self._with_checks("WHERE instr(';' || m.roles || ';', ';clinician;') > 0")

    async def members_with_checks(self) -> list[tuple[Member, dict[str, date | None]]]:
        return await self._with_checks("")

    async def erase_member(self, member_id: int, left_on: date, now: datetime) -> None:
        placeholder = f"{ERASED}{member_id}"  # unique, not null, and no number can match it
        await self._run(
            "UPDATE members SET name = ?, phone = ?, email = NULL, registration_number = NULL, "
            "slack_user_id = NULL, telegram_chat_id = NULL, roles = '', localities = '', practices = '', "
            "days = '', pension_sd_number = NULL, left_on = coalesce(left_on, ?) WHERE id = ?",
            (f"Erased member {member_id}", placeholder, left_on.isoformat(), member_id),
        )
        await self._run("DELETE FROM billing WHERE member_id = ?", (member_id,))
        await self._run("DELETE FROM whatsapp WHERE member_id = ?", (member_id,))
        # Their messages keep only that they happened: no text, no address, no buttons; what
        # was still to go never goes.
        await self._run(
            "UPDATE messages SET status = 'failed', error = 'erased' "
            "WHERE member_id = ? AND status = 'queued'",
            (member_id,),
        )
        await self._run(
            "UPDATE messages SET body = NULL, address = ?, choices = NULL, details = NULL, template = NULL "
            "WHERE member_id = ?",
            (placeholder, member_id),
        )
        await self._run("DELETE FROM availability WHERE member_id = ?", (member_id,))
        await self._run("UPDATE checkins SET comment = NULL WHERE member_id = ?", (member_id,))
        await self._run(
            "UPDATE wellbeing_plans SET stopped_at = coalesce(stopped_at, ?) WHERE member_id = ?",
            (to_db(now), member_id),
        )
        # Nothing of peer support goes on without them: groups, the mentor register, requests.
        await self._run("DELETE FROM group_members WHERE member_id = ?", (member_id,))
        await self._run("DELETE FROM mentors WHERE member_id = ?", (member_id,))
        await self._run(
            "UPDATE mentee_requests SET state = 'withdrawn' WHERE member_id = ? AND state = 'waiting'",
            (member_id,),
        )
        await self._run(
            "UPDATE mentorships SET state = 'ended' WHERE (mentee_id = ? OR mentor_id = ?) "
            "AND state IN ('proposed', 'active')",
            (member_id, member_id),
        )

    async def opt_outs_of(self, member_id: int) -> list[tuple[str, datetime, bool]]:
        rows = await self._all(
            "SELECT channel, at, by_provider FROM opt_outs WHERE member_id = ? ORDER BY at, channel",
            (member_id,),
        )
        return [(r[0], from_db(r[1]), bool(r[2])) for r in rows]

    async def _with_checks(self, where: str) -> list[tuple[Member, dict[str, date | None]]]:
        # Two reads, not one join: the member columns carry a subquery (opt-outs) that a join
        # would run once for every check rather than once for every member.
        members = await self._all(f"SELECT {MEMBER_COLUMNS} FROM members m {where} ORDER BY m.name, m.id")
        held: dict[int, dict[str, date | None]] = {}
        for member_id, kind, expires in await self._all("SELECT member_id, kind, expires FROM checks"):
            held.setdefault(member_id, {})[kind] = date_from_db(expires)
        return [(member, held.get(member.id, {})) for member in map(to_member, members)]

    async def checks_expiring(self, last_day: date) -> list[tuple[Member, str, date]]:
        """GPs' checks that expire on or before ``last_day`` (lapsed ones included)."""
        rows = await self._all(
            f"SELECT {MEMBER_COLUMNS}, c.kind, c.expires FROM checks c JOIN members m ON m.id = c.member_id "
            "WHERE c.expires IS NOT NULL AND c.expires <= ? "
            "AND instr(';' || m.roles || ';', ';clinician;') > 0 ORDER BY c.expires, m.name, m.id, c.kind",
            (date_to_db(last_day),),
        )
        return [(to_member(r), r[MEMBER_WIDTH], date_from_db(r[MEMBER_WIDTH + 1])) for r in rows]

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
