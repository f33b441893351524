"""Column lists and row-to-domain conversions shared by the repositories."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.clock import LONDON
from bot.domain import (
    Booking,
    BookingState,
    Choice,
    DeliveryChange,
    GroupSession,
    Member,
    Offer,
    OfferState,
    PeerGroup,
    Practice,
    Session,
    SessionStatus,
)
from bot.ports.channels import TemplateSend
from storage.sqlite.timefmt import date_from_db, from_db, opt_from_db

MEMBER_COLUMNS = """
    m.id, m.name, m.phone, m.email, m.roles, m.gp_type, m.registration_number,
    m.preferred_channel, m.slack_user_id, m.telegram_chat_id, m.localities, m.practices,
    m.days, m.max_sessions_per_week, m.contracted_sessions_per_week, m.paused_until,
    m.urgent_at_night,
    (SELECT group_concat(o.channel, ';') FROM opt_outs o WHERE o.member_id = m.id) AS opted_out,
    m.quiet_hours, m.profession, m.level, m.alerts, m.left_on, m.engagement, m.pension_sd_number,
    m.pension_tier, m.invoice_by,
    (SELECT w.number FROM whatsapp w WHERE w.member_id = m.id AND w.opted_in_at IS NOT NULL
     AND w.unreachable_at IS NULL) AS whatsapp
"""
SESSION_COLUMNS = """
    s.id, s.code, s.practice, s.starts_at, s.ends_at, s.rate_pence, s.urgent, s.notes,
    s.status, s.posted_by, s.round, s.kind, s.created_at, s.filled_at, s.delivered_hours,
    s.professions
"""
OFFER_COLUMNS = """
    f.id, f.session_id, f.member_id, f.code, f.round, f.wave, f.channel, f.state, f.answer,
    f.sent_at, f.answered_at, f.source, f.notified_at, f.batch
"""
# RETURNING takes bare column names.
OFFER_RETURNING = OFFER_COLUMNS.replace("f.", "")
PRACTICE_COLUMNS = "p.ods_code, p.name, p.pcn, p.locality, p.address, p.clinical_system, p.info_pack, p.phone"
BOOKING_COLUMNS = "b.id, b.session_id, b.member_id, b.code, b.state, b.booked_at, b.offer_id"
RECENT = timedelta(days=28)


GROUP_COLUMNS = "id, name, kind, closed, lead_id, coffee"
GROUP_SESSION_COLUMNS = (
    "id, group_id, starts_at, ends_at, place, link, capacity, calendar_token, state, series_id"
)


def to_group(row: Sequence[Any]) -> PeerGroup:
    return PeerGroup(row[0], row[1], row[2], bool(row[3]), row[4], bool(row[5]))


def to_group_session(row: Sequence[Any]) -> GroupSession:
    return GroupSession(
        row[0], row[1], from_db(row[2]), from_db(row[3]), row[4], row[5], row[6], row[7], row[8], row[9]
    )


def split_list(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(";") if part.strip())


def join_list(parts: Iterable[str]) -> str:
    return ";".join(parts)


def to_member(row: Sequence[Any], offset: int = 0) -> Member:
    r = row[offset : offset + MEMBER_WIDTH]
    return Member(
        id=r[0],
        name=r[1],
        phone=r[2],
        email=r[3],
        roles=frozenset(split_list(r[4])),
        gp_type=r[5],
        registration_number=r[6],
        preferred_channel=r[7],
        slack_user_id=r[8],
        telegram_chat_id=r[9],
        localities=split_list(r[10]),
        practices=split_list(r[11]),
        days=split_list(r[12]),
        max_sessions_per_week=r[13],
        contracted_sessions_per_week=r[14] or 0,
        paused_until=date_from_db(r[15]),
        urgent_at_night=bool(r[16]),
        opted_out=frozenset(split_list(r[17])),
        quiet_hours=r[18],
        profession=r[19],
        level=r[20],
        alerts=r[21],
        left_on=date_from_db(r[22]),
        engagement=r[23],
        pension_sd_number=r[24],
        pension_tier=r[25],
        invoice_by=r[26],
        whatsapp=r[27],
    )


MEMBER_WIDTH = 28


def to_session(row: Sequence[Any], offset: int = 0) -> Session:
    r = row[offset : offset + SESSION_WIDTH]
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
        professions=split_list(r[15]),
    )


SESSION_WIDTH = 16


def to_offer(row: Sequence[Any], offset: int = 0) -> Offer:
    r = row[offset : offset + OFFER_WIDTH]
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


OFFER_WIDTH = 14


def to_practice(row: Sequence[Any], offset: int = 0) -> Practice:
    return Practice(*row[offset : offset + 8])


PRACTICE_WIDTH = 8


def to_booking(row: Sequence[Any], offset: int = 0) -> Booking:
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
# and "sending" are ours before the provider has it), then the providers' own names. WhatsApp
# also reports "read", after delivered: a late "delivered" must not move it back.
REPORT_RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "undelivered": 3, "failed": 3, "read": 4}


CHANGE_COLUMNS = (
    "id, member_id, channel, address, kind, topic, body, choices, status, error_code, error, template"
)


def to_change(r: Sequence[Any]) -> DeliveryChange:
    return DeliveryChange(
        message_id=r[0], member_id=r[1], channel=r[2], address=r[3], kind=r[4], topic=r[5], text=r[6],
        choices=choices_from_db(r[7]), status=r[8], error_code=r[9], error=r[10],
        variables=template_values(r[11]), templated=template_send(r[11]) is not None,
    )  # fmt: skip


def template_to_db(variables: Sequence[tuple[str, str]], template: TemplateSend | None) -> str | None:
    """A message's WhatsApp template values (and the template it goes as) as stored."""
    if not variables and template is None:
        return None
    stored: dict[str, Any] = {"values": dict(variables)}
    if template is not None:
        stored["sid"] = template.sid
        stored["variables"] = dict(template.variables)
    return json.dumps(stored, ensure_ascii=False)


def template_values(text: str | None) -> tuple[tuple[str, str], ...]:
    return tuple(json.loads(text).get("values", {}).items()) if text else ()


def template_send(text: str | None) -> TemplateSend | None:
    stored = json.loads(text) if text else {}
    if not stored.get("sid"):
        return None
    return TemplateSend(stored["sid"], tuple(stored.get("variables", {}).items()))


def choices_to_db(choices: Sequence[Choice]) -> str | None:
    return (
        json.dumps([[c.label, c.value, *([c.group] if c.group else [])] for c in choices])
        if choices
        else None
    )


def choices_from_db(text: str | None) -> tuple[Choice, ...]:
    return tuple(Choice(*row) for row in json.loads(text)) if text else ()


def week_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00, London time, of the week holding ``moment``."""
    local = moment.astimezone(LONDON)
    monday = (local - timedelta(days=local.weekday())).date()
    start = datetime(monday.year, monday.month, monday.day, tzinfo=LONDON)
    end_day = monday + timedelta(days=7)
    end = datetime(end_day.year, end_day.month, end_day.day, tzinfo=LONDON)
    return start, end
