"""Days as GPs type them: '20/12', '2026-12-20', '20 Dec', 'friday', 'tomorrow'."""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.domain import DAY_NAMES

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_WEEKDAYS = {
    **{name: i for i, name in enumerate(DAY_NAMES)},
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    "tues": 1,
    "weds": 2,
    "thur": 3,
    "thurs": 3,
}
RECENTLY_PASSED_DAYS = 60
_FILLER = re.compile(r"^(until|till|til|to|on|the|next)\s+")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_SLASHED = re.compile(r"^(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2}|\d{4}))?$")
_DAY_MONTH = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+)(?:\s+(\d{4}))?$")
_MONTH_DAY = re.compile(r"^([a-z]+)\s+(\d{1,2})(?:st|nd|rd|th)?(?:\s+(\d{4}))?$")


def parse_day(text: str, today: date) -> date | None:
    """The day meant, on or after ``today`` where the year is left out; None if unreadable."""
    words = text.strip().lower().rstrip(".!")
    while (stripped := _FILLER.sub("", words)) != words:
        words = stripped
    try:
        return _parse(words, today)
    except ValueError:  # 31/02 and the like
        return None


def _parse(words: str, today: date) -> date | None:
    if words in ("today",):
        return today
    if words in ("tomorrow", "tmrw", "tmw"):
        return today + timedelta(days=1)
    if words in _WEEKDAYS:  # the coming one: today if it is that day
        return today + timedelta(days=(_WEEKDAYS[words] - today.weekday()) % 7)
    if m := _ISO.match(words):
        return date(int(m[1]), int(m[2]), int(m[3]))
    if m := _SLASHED.match(words):
        return _with_year(int(m[1]), int(m[2]), m[3], today)
    if (m := _DAY_MONTH.match(words)) and m[2] in _MONTHS:
        return _with_year(int(m[1]), _MONTHS[m[2]], m[3], today)
    if (m := _MONTH_DAY.match(words)) and m[1] in _MONTHS:
        return _with_year(int(m[2]), _MONTHS[m[1]], m[3], today)
    return None


def _with_year(day: int, month: int, year: str | None, today: date) -> date:
    if year is not None:
        full = int(year) + (2000 if len(year) == 2 else 0)
        return date(full, month, day)
    candidate = date(today.year, month, day)
    if candidate >= today or (today - candidate).days <= RECENTLY_PASSED_DAYS:
        return candidate  # "30/11" on 1 December means the day that just passed, not next year's
    return date(today.year + 1, month, day)


def day_name(word: str) -> str | None:
    """'tuesday', 'tues', 'tue' → 'tue'; anything else None."""
    index = _WEEKDAYS.get(word.lower())
    return None if index is None else DAY_NAMES[index]
