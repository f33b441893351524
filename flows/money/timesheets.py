"""Payroll's timesheets: for each employed person, per calendar month (London), the sessions
they were contracted for against the sessions they worked, their hours, the pay signed off and
their expenses. One line a person (``bot.ports.timesheet_rows``: the file payroll takes).

Sessions count in the month they start in, so a night from 22:00 on 31 January to 02:00 on
1 February is January's, with all four hours. Contracted sessions are the weekly figure over
the month's working days (Monday to Friday, less England's bank holidays): 2 a week over 21
working days is 8.4. Coordinators see everyone; a practice manager the lines of sessions at
their practices; a person their own.
"""

from __future__ import annotations

from datetime import timedelta

from bot.calendar import is_working_day, month_bounds
from bot.commands import BuildTimesheets
from bot.domain import Member, SessionStatus
from bot.engine import Engine, Turn
from bot.errors import Refused
from bot.ports import SignOffRow, TimesheetLine
from flows.people import roles


def register(engine: Engine) -> None:
    engine.on_command(BuildTimesheets, build_command)


async def build_command(turn: Turn, command: BuildTimesheets) -> list[TimesheetLine]:
    by = await roles.actor(turn, command.by)
    if roles.is_coordinator(by):
        return await _lines(turn, command, None, None)
    assert by is not None
    managed = roles.managed_practices(by)
    employed = by.is_clinician and by.engagement == "employed"
    if not managed and not employed:
        raise Refused(
            "Timesheets are for people the pool or a practice employs; yours are not kept.", field="role"
        )
    found = {line.member.id: line for line in await _lines(turn, command, managed, None)} if managed else {}
    if employed:  # their own month whole, wherever they worked (a manager who also works)
        found.update((line.member.id, line) for line in await _lines(turn, command, None, by.id))
    return sorted(found.values(), key=lambda line: (line.member.name.lower(), line.member.id))


async def _lines(
    turn: Turn, command: BuildTimesheets, practices: list[str] | None, only: int | None
) -> list[TimesheetLine]:
    """The month's lines: of sessions at ``practices`` (None: anywhere), of ``only`` that
    member (None: everyone employed)."""
    start, end = month_bounds(command.month)
    rows = await turn.uow.pay.signoff_rows(start=start, end=end, practices=practices, member_id=only)
    booked = await turn.uow.bookings.bookings_between(start, end)
    members = {m.id: m for m in await turn.uow.members.all_members()}
    employed = [
        m
        for m in members.values()
        if m.engagement == "employed"
        and (only is None or m.id == only)
        and (m.left_on is None or m.left_on >= start.date())
    ]
    by_member: dict[int, list[SignOffRow]] = {}
    for row in rows:
        by_member.setdefault(row.signoff.member_id, []).append(row)
    not_reported: dict[int, int] = {}
    for _, session, member in booked:
        ended = session.status == SessionStatus.FILLED and session.ends_at <= turn.now
        if ended and (practices is None or session.practice in practices):
            not_reported[member.id] = not_reported.get(member.id, 0) + 1
    working_days = _working_days(command)
    lines = []
    for member in sorted(employed, key=lambda m: (m.name.lower(), m.id)):
        theirs = by_member.get(member.id, [])
        if practices is not None and not theirs and member.id not in not_reported:
            continue  # a practice sees the people who worked for it
        if not theirs and not member.contracted_sessions_per_week and member.id not in not_reported:
            continue  # nothing to pay and nothing contracted
        lines.append(_line(command, member, theirs, not_reported.get(member.id, 0), working_days))
    return lines


def _working_days(command: BuildTimesheets) -> int:
    first = command.month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return sum(1 for n in range((following - first).days) if is_working_day(first + timedelta(days=n)))


def _line(
    command: BuildTimesheets, member: Member, rows: list[SignOffRow], not_reported: int, working_days: int
) -> TimesheetLine:
    signed = [r for r in rows if r.signoff.state == "signed_off"]
    expenses = [e for r in rows for e in r.expenses]
    return TimesheetLine(
        month=f"{command.month:%Y-%m}",
        member=member,
        contracted_sessions=round(member.contracted_sessions_per_week * working_days / 5, 1),
        sessions_worked=len(rows),
        sessions_signed_off=len(signed),
        sessions_awaiting=sum(1 for r in rows if r.signoff.state == "awaiting"),
        sessions_queried=sum(1 for r in rows if r.signoff.state == "queried"),
        sessions_not_reported=not_reported,
        hours_worked=round(sum(r.signoff.hours for r in rows), 2),
        hours_signed_off=round(sum(r.signoff.hours for r in signed), 2),
        pay_signed_off_pence=sum(r.signoff.pay_pence or 0 for r in signed),
        miles=round(sum(e.miles or 0 for e in expenses), 2),
        mileage_pence=sum(e.amount_pence for e in expenses if e.kind == "mileage"),
        other_expenses_pence=sum(e.amount_pence for e in expenses if e.kind == "other"),
    )
