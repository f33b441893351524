"""The people of the pool as coordinators see them: who reaches whom, and where everyone's
checks stand today. A missing check is shown as missing, never left out: a clinician without
one gets no offers, and this is where a coordinator finds out why."""

from __future__ import annotations

import functools
from datetime import date, timedelta

from bot.clock import london_date
from bot.commands import ListPeople, ShowPerson
from bot.domain import Member, check_words
from bot.engine import Engine, Turn
from bot.errors import Refused
from bot.ports import CheckState, PersonPage, PersonRow
from bot.reach import reach
from flows.people import roles

EXPIRING = timedelta(days=30)
UNDELIVERED_DAYS = 90
SHOWN = 50  # bookings and offers on a member's page, newest first


def register(engine: Engine) -> None:
    engine.on_command(ListPeople, list_people)
    engine.on_command(ShowPerson, show_person)


def check_states(
    turn: Turn, member: Member, held: dict[str, date | None], today: date | None = None
) -> tuple[CheckState, ...]:
    professions = turn.policy.professions
    if not member.is_clinician or member.profession not in professions:
        return ()
    today = today or london_date(turn.now)
    states = []
    for check in professions[member.profession].checks:
        on_record = [held[k] for k in check.split("|") if k in held]
        if not on_record:
            states.append(CheckState(check, _words(check), "missing", None))
            continue
        expires = None if None in on_record else max(d for d in on_record if d is not None)
        if expires is None or expires > today + EXPIRING:
            state = "valid"
        elif expires > today:
            state = "expiring"
        else:
            state = "lapsed"
        states.append(CheckState(check, _words(check), state, expires))
    return tuple(states)


@functools.cache
def _words(check: str) -> str:
    return check_words(check)


def person_row(
    turn: Turn, member: Member, held: dict[str, date | None], today: date | None = None
) -> PersonRow:
    found = reach(member, turn.channels_on)
    return PersonRow(member, found[0] if found else None, check_states(turn, member, held, today))


async def list_people(turn: Turn, command: ListPeople) -> list[PersonRow]:
    roles.require_coordinator(await roles.actor(turn, command.by))
    today = london_date(turn.now)
    rows = [
        person_row(turn, member, held, today) for member, held in await turn.uow.members.members_with_checks()
    ]
    return [row for row in rows if _wanted(row, command)]


def _wanted(row: PersonRow, command: ListPeople) -> bool:
    member = row.member
    if command.profession and not (member.is_clinician and member.profession == command.profession):
        return False
    if command.gp_type and member.gp_type != command.gp_type:
        return False
    if command.channel and (row.reached_by or "none") != command.channel:
        return False
    if command.checks == "valid":
        return row.worst == "valid"
    return not command.checks or any(c.state == command.checks for c in row.checks)


async def show_person(turn: Turn, command: ShowPerson) -> PersonPage:
    roles.require_coordinator(await roles.actor(turn, command.by))
    member = await turn.uow.members.member(command.member_id) if 0 < command.member_id < 2**63 else None
    if member is None:
        raise Refused("There is no such member.", field="member")
    since = turn.now - timedelta(days=UNDELIVERED_DAYS)
    undelivered = [
        (change, at)
        for change, who, at in await turn.uow.outbox.undelivered(since)
        if who and who.id == member.id
    ]
    return PersonPage(
        person=person_row(turn, member, await turn.uow.members.checks_of(member.id)),
        bookings=tuple(await turn.uow.bookings.bookings_of_member(member.id, SHOWN)),
        offers=tuple(await turn.uow.offers.offers_of_member(member.id, SHOWN)),
        opt_outs=tuple(await turn.uow.members.opt_outs_of(member.id)),
        undelivered=tuple(undelivered),
        history=tuple(await turn.uow.evidence.check_history(member.id)),
    )
