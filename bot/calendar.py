"""The pool's calendar: London wall-clock times, working days and quiet hours.

Times are kept in UTC and shown in London; anything "at 18:00" is 18:00 London time on that
date, whatever the offset is then (zoneinfo knows the clock changes). England and Wales bank
holidays come from the maintained ``holidays`` package, not a hand-kept list.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache

import holidays

from bot.clock import LONDON


def at_london(day: date, wall: time) -> datetime:
    """``wall`` o'clock in London on ``day``, in UTC. In the hour the clocks go forward a
    time that does not exist is read after the change; in the hour they go back, the first."""
    local = datetime(day.year, day.month, day.day, wall.hour, wall.minute, tzinfo=LONDON)
    return local.astimezone(UTC)


def weeks_later(moment: datetime, weeks: int) -> datetime:
    """The same London wall-clock time, ``weeks`` later (across a clock change too)."""
    local = moment.astimezone(LONDON).replace(tzinfo=None) + timedelta(weeks=weeks)
    return local.replace(tzinfo=LONDON)


@cache
def _bank_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv="ENG", years=year)


def is_bank_holiday(day: date) -> bool:
    return day in _bank_holidays(day.year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and not is_bank_holiday(day)


def next_working_day(day: date) -> date:
    """The first working day after ``day``."""
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def quiet_until(moment: datetime, start: time | None, end: time | None) -> datetime | None:
    """When the quiet hours around ``moment`` end (UTC), or None when it is not inside them.
    ``start`` after ``end`` (21:00-07:30) spans midnight."""
    if start is None or end is None:
        return None
    local = moment.astimezone(LONDON)
    now = local.time()
    today = local.date()
    if start < end:  # within one day, e.g. 13:00-14:00
        return at_london(today, end) if start <= now < end else None
    if now >= start:
        return at_london(today + timedelta(days=1), end)
    if now < end:
        return at_london(today, end)
    return None


def quiet_window(text: str) -> tuple[time, time]:
    """'21:00-07:30' as (start, end); ValueError for anything else."""
    try:
        start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise ValueError("quiet hours are like 21:00-07:30, or off") from None
    if start == end:
        raise ValueError("quiet hours must start and end at different times")
    return start, end


def next_month(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """A calendar month in London, as aware instants [start, end)."""
    first, following = month.replace(day=1), next_month(month)
    return datetime(first.year, first.month, 1, tzinfo=LONDON), datetime(
        following.year, following.month, 1, tzinfo=LONDON
    )
