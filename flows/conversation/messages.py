"""Every outbound text is a Jinja2 template in flows/templates/<area>/; this renders them.

A template is named without its folder (``render("practice_booked")``): the folders are for
the reader, and a name is unique across them (tests/conversation/test_messages.py checks).

Filters show money, days and times the way a GP reads them on a small screen, in London time.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined

from bot.clock import LONDON
from bot.domain import Session
from bot.phones import national
from bot.professions import Professions


def money(pence: int) -> str:
    pounds, rest = divmod(pence, 100)
    return f"£{pounds:,}" if rest == 0 else f"£{pounds:,}.{rest:02d}"


def day(moment: datetime | date) -> str:
    """'Tue 1 Dec'."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(LONDON)
    return f"{moment:%a} {moment.day} {moment:%b}"


def clock_time(moment: datetime) -> str:
    return f"{moment.astimezone(LONDON):%H:%M}"


def hours(session: Session) -> str:
    """'08:30-12:30' (a plain hyphen: it costs nothing extra in a text)."""
    return f"{clock_time(session.starts_at)}-{clock_time(session.ends_at)}"


def few(items: Any, shown: int = 4) -> str:
    """'Northside, Southgate, Eastfield, Hill and 3 more': lists stay short on a phone."""
    items = list(items)
    head = ", ".join(str(item) for item in items[:shown])
    return head if len(items) <= shown else f"{head} and {len(items) - shown} more"


CHANNEL_NAMES = {
    "sms": "text",
    "sandbox": "text",
    "slack": "Slack",
    "telegram": "Telegram",
    "whatsapp": "WhatsApp",
}


def channel_name(channel: str) -> str:
    """How people call a channel: 'text', 'Slack', 'Telegram'."""
    return CHANNEL_NAMES.get(channel, channel)


def month(day: date) -> str:
    """'January 2027'."""
    return f"{day:%B %Y}"


def period(text: str) -> str:
    """What an invoice covers, in words: '2027-01' → 'January 2027', 'BCDF' → 'session BCDF'."""
    if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():
        return month(date(int(text[:4]), int(text[5:]), 1))
    return f"session {text}"


def when(session: Session) -> str:
    """'Tue 1 Dec, 08:30-12:30'."""
    return f"{day(session.starts_at)}, {hours(session)}"


# The folders beside flows/'s own packages, one per area of the domain.
TEMPLATE_FOLDERS = ("shifts", "desk", "people", "wellbeing", "peer", "conversation", "money")

_env = Environment(
    loader=ChoiceLoader([PackageLoader("flows", f"templates/{folder}") for folder in TEMPLATE_FOLDERS]),
    undefined=StrictUndefined,
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
    auto_reload=False,  # templates ship with the code; no file checks on every message
)
_env.filters.update(
    money=money,
    day=day,
    hours=hours,
    when=when,
    clock_time=clock_time,
    national=national,
    few=few,
    channel_name=channel_name,
    month=month,
    period=period,
)


def render(template: str, /, **values: Any) -> str:
    """The text of ``template``, with runs of blank lines and edge spaces tidied."""
    text = _env.get_template(f"{template}.j2").render(**values)
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy)


def template_names() -> list[str]:
    return sorted(
        {
            name.removesuffix(".j2")
            for name in _env.list_templates(extensions=["j2"])
            if not name.startswith("_")
        }
    )


def who(professions: Professions, session: Session) -> dict[str, str]:
    """Who a session is for, for a template: who ('GP', 'practice nurse or clinical
    pharmacist') and whos (the plural)."""
    return {
        "who": professions.words(session.professions),
        "whos": professions.words(session.professions, plural=True),
    }
