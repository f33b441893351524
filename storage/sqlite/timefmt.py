"""How times and dates are written in the store: UTC text that sorts as it reads."""

from __future__ import annotations

from datetime import UTC, date, datetime


def to_db(moment: datetime) -> str:
    """'2026-12-01T08:30:00.000000Z': fixed width, so text order is time order."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes never reach the store")
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def from_db(text: str) -> datetime:
    return datetime.fromisoformat(text)


def opt_from_db(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def date_to_db(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def date_from_db(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)
