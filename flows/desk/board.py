"""What the console shows of sessions: the fill board (the next fortnight's sessions, how
their offers stand, who is booked and how far escalation has gone), a session's page, and the
people a coordinator may book by hand. Coordinators see the pool; a practice manager their
practices. Read-only: these run as queries (every open console polls the board)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.clock import LONDON, london_date
from bot.commands import FillBoard, FindPeopleToBook, ShowSession
from bot.domain import Member, SessionStatus
from bot.engine import Engine, Turn
from bot.errors import Refused
from bot.ports import Board, BoardDay, BoardRow, SessionPage, SessionView
from flows.people import roles

MAX_DAYS = 62
PEOPLE_FOUND = 8  # names listed as a coordinator types: enough to choose, short on a phone


def register(engine: Engine) -> None:
    engine.on_command(FillBoard, fill_board)
    engine.on_command(ShowSession, show_session)
    engine.on_command(FindPeopleToBook, find_people_to_book)


async def fill_board(turn: Turn, command: FillBoard) -> Board:
    by = await roles.actor(turn, command.by)
    if not roles.is_coordinator(by) and not (by and roles.managed_practices(by)):
        roles.require_coordinator(by)
    practices = tuple(p for p in await turn.uow.practices.all() if roles.manages(by, p.ods_code))
    today = london_date(turn.now)
    start = datetime(today.year, today.month, today.day, tzinfo=LONDON)
    days = max(1, min(command.days, MAX_DAYS))
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


async def _session_seen_by(turn: Turn, session_id: int, by: Member | None) -> SessionView:
    """The session, if this person runs its practice; another practice's session is as good as
    absent (a practice manager learns nothing of it, not even that it exists)."""
    view = await turn.uow.sessions.session_view(session_id) if 0 < session_id < 2**63 else None
    if view is None or not roles.manages(by, view.session.practice):
        raise Refused("There is no such session, or it is not one of your practice's.", field="session")
    return view


async def show_session(turn: Turn, command: ShowSession) -> SessionPage:
    by = await roles.actor(turn, command.by)
    view = await _session_seen_by(turn, command.session_id, by)
    return SessionPage(view, may_manage=True, may_book=roles.is_coordinator(by))


async def find_people_to_book(turn: Turn, command: FindPeopleToBook) -> list[Member]:
    by = await roles.actor(turn, command.by)
    roles.require_coordinator(by)
    view = await _session_seen_by(turn, command.session_id, by)
    typed = command.typed.strip().casefold()
    if len(typed) < 2:
        return []
    wanted = set(view.session.professions)
    found = [
        m
        for m in await turn.uow.members.all_members()
        if m.is_clinician and m.profession in wanted and typed in m.name.casefold()
    ]
    return found[:PEOPLE_FOUND]
