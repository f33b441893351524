"""How times and dates are written in the store: UTC text that sorts as it reads."""

from __future__ import annotations

from datetime import UTC, date, datetime

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def to_db(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetimes never reach the store")
    return moment.astimezone(UTC).strftime(_FORMAT)


def from_db(text: str) -> datetime:
    return datetime.strptime(text, _FORMAT).replace(tzinfo=UTC)


def opt_from_db(text: str | None) -> datetime | None:
    return None if text is None else from_db(text)


def date_to_db(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def date_from_db(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)
