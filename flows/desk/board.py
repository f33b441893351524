"""The fill board: the next fortnight's sessions, how their offers stand, who is booked and
how far escalation has gone. Coordinators see the pool; a practice manager their practices.
Read-only (it runs as a query: every open console polls it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.clock import LONDON, london_date
from bot.commands import FillBoard
from bot.domain import Practice, SessionStatus
from bot.engine import Engine, Turn
from bot.ports import BoardRow
from flows.people import roles

STATUSES = tuple(SessionStatus)


def register(engine: Engine) -> None:
    engine.on_command(FillBoard, fill_board)


@dataclass(frozen=True, slots=True)
class BoardDay:
    day: date
    rows: tuple[BoardRow, ...]


@dataclass(frozen=True, slots=True)
class Board:
    days: tuple[BoardDay, ...]  # every day of the board, those without sessions too
    practices: tuple[Practice, ...]  # what the filters offer: the practices this person sees
    pcns: tuple[str, ...]
    professions: tuple[tuple[str, str], ...]  # (key, name)
    open: int
    filled: int  # filled or delivered
    now: datetime

    @property
    def rows(self) -> list[BoardRow]:
        return [row for day in self.days for row in day.rows]


async def fill_board(turn: Turn, command: FillBoard) -> Board:
    by = await roles.actor(turn, command.by)
    if not roles.is_coordinator(by) and not (by and roles.managed_practices(by)):
        roles.require_coordinator(by)
    practices = tuple(p for p in await turn.uow.practices.all() if roles.manages(by, p.ods_code))
    today = london_date(turn.now)
    start = datetime(today.year, today.month, today.day, tzinfo=LONDON)
    days = max(1, min(command.days, 62))
    rows = [
        row
        for row in await turn.uow.sessions.fill_board(start, start + timedelta(days=days))
        if roles.manages(by, row.session.practice) and _wanted(row, command)
    ]
    by_day: dict[date, list[BoardRow]] = {today + timedelta(days=n): [] for n in range(days)}
    for row in rows:
        by_day.setdefault(london_date(row.session.starts_at), []).append(row)
    return Board(
        days=tuple(BoardDay(day, tuple(found)) for day, found in sorted(by_day.items())),
        practices=practices,
        pcns=tuple(sorted({p.pcn for p in practices if p.pcn})),
        professions=tuple((p.key, p.name) for p in turn.policy.professions),
        open=sum(1 for r in rows if r.session.status == SessionStatus.OPEN),
        filled=sum(1 for r in rows if r.session.status in (SessionStatus.FILLED, SessionStatus.DELIVERED)),
        now=turn.now,
    )


def _wanted(row: BoardRow, command: FillBoard) -> bool:
    return (
        (not command.pcn or row.practice.pcn == command.pcn)
        and (not command.practice or row.session.practice == command.practice.upper())
        and (not command.profession or command.profession in row.session.professions)
        and (not command.status or row.session.status == command.status)
    )
