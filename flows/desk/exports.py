"""CSV exports: practices and members (in the import's own columns, so a file round-trips),
sessions and bookings, with times in London time."""

from __future__ import annotations

from datetime import datetime

from bot.clock import LONDON
from bot.domain import ERASED, Member
from bot.ports import Reader
from flows.desk.imports import MEMBER_COLUMNS, PRACTICE_COLUMNS, SESSION_COLUMNS

FAR_PAST = datetime(2000, 1, 1, tzinfo=LONDON)
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=LONDON)
Table = tuple[list[str], list[list[str]]]


def _when(moment: datetime) -> str:
    return moment.astimezone(LONDON).isoformat(timespec="minutes")


def _hours(hours: float | None) -> str:
    return "" if hours is None else f"{hours:g}"


def _member_row(m: Member) -> list[str]:
    values = {
        "name": m.name,
        "phone": m.phone,
        "email": m.email or "",
        "roles": ";".join(sorted(m.roles)),
        "gp_type": m.gp_type or "",
        "registration_number": m.registration_number or "",
        "preferred_channel": m.preferred_channel,
        "slack_user_id": m.slack_user_id or "",
        "telegram_chat_id": m.telegram_chat_id or "",
        "localities": ";".join(m.localities),
        "practices": ";".join(m.practices),
        "days": ";".join(m.days),
        "max_sessions_per_week": "" if m.max_sessions_per_week is None else str(m.max_sessions_per_week),
        "contracted_sessions_per_week": str(m.contracted_sessions_per_week),
        "profession": m.profession,
        "level": m.level or "",
        "alerts": m.alerts,
        "left_on": m.left_on.isoformat() if m.left_on else "",
        "engagement": m.engagement or "",
        "pension_sd_number": m.pension_sd_number or "",
        "pension_tier": str(m.pension_tier) if m.pension_tier else "",
        "invoice_by": m.invoice_by,
    }
    return [values[column] for column in MEMBER_COLUMNS]


async def members(reader: Reader) -> Table:
    # An erased member is nobody any more: nothing of theirs to export (and their row's
    # placeholder phone would not import back).
    people = [m for m in await reader.members.all_members() if not m.phone.startswith(ERASED)]
    return list(MEMBER_COLUMNS), [_member_row(m) for m in people]


async def practices(reader: Reader) -> Table:
    """In the import's own columns, so a file round-trips."""
    return list(PRACTICE_COLUMNS), [
        [getattr(p, column) for column in PRACTICE_COLUMNS] for p in await reader.practices.all()
    ]


async def sessions(reader: Reader) -> Table:
    header = [*SESSION_COLUMNS, "code", "status", "booked_name", "booked_phone", "delivered_hours"]
    booked = {s.id: m for _, s, m in await reader.bookings.bookings_between(FAR_PAST, FAR_FUTURE)}
    rows = []
    for s in await reader.sessions.sessions_between(FAR_PAST, FAR_FUTURE):
        gp = booked.get(s.id)
        urgent = "true" if s.urgent else "false"
        rows.append(
            [s.practice, _when(s.starts_at), _when(s.ends_at), str(s.rate_pence), urgent, s.notes, "",
             ";".join(s.professions), s.code, s.status, gp.name if gp else "", gp.phone if gp else "",
             _hours(s.delivered_hours)]
        )  # fmt: skip
    return header, rows


async def bookings(reader: Reader) -> Table:
    """Every live booking; with, once hours are reported, where their sign-off stands, the pay
    kept when signed off (empty before) and the expenses (flows/money/)."""
    header = ["session", "practice", "start", "end", "name", "phone", "registration_number", "gp_type",
              "booked_at", "rate_pence", "session_status", "delivered_hours", "profession",
              "engagement", "signoff", "pay_pence", "expenses_pence"]  # fmt: skip
    booked = await reader.bookings.bookings_between(FAR_PAST, FAR_FUTURE)
    signoffs = {r.session.id: r for r in await reader.pay.signoff_rows(start=FAR_PAST, end=FAR_FUTURE)}
    rows = []
    for b, s, m in booked:
        row = signoffs.get(s.id)
        pay = row.signoff.pay_pence if row else None
        rows.append(
            [s.code, s.practice, _when(s.starts_at), _when(s.ends_at), m.name, m.phone,
             m.registration_number or "", m.gp_type or "", _when(b.booked_at), str(s.rate_pence), s.status,
             _hours(s.delivered_hours), m.profession, m.engagement or "", row.signoff.state if row else "",
             "" if pay is None else str(pay), str(row.expenses_pence) if row else ""]
        )  # fmt: skip
    return header, rows
