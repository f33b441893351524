"""Peer support: mentors, matching and approvals; peer groups, their sessions and coffee rounds."""

from __future__ import annotations

from typing import Annotated

import typer

from adapters.cli.common import (
    AsOption,
    fail,
    run_desk_command,
)
from bot.clock import LONDON, parse_when
from bot.commands import (
    AddGroupMembers,
    AddMentor,
    ApproveMatches,
    CancelGroupSession,
    CoffeeRound,
    CreateGroup,
    MentorLeaves,
    ProposeMatches,
    ScheduleGroupSessions,
    ShowGroup,
)
from flows.peer.coffee import coffee_text
from flows.peer.groups import group_text

app = typer.Typer()


mentoring_cli = typer.Typer(help="Mentors, matching runs and approvals.", no_args_is_help=True)

app.add_typer(mentoring_cli, name="mentoring")


@mentoring_cli.command("add-mentor")
def mentoring_add_mentor(
    phone: Annotated[str, typer.Argument(help="The mentor's phone")],
    capacity: Annotated[int, typer.Option(help="Mentees at once")] = 1,
    hours: Annotated[float, typer.Option(help="Hours per four weeks for each mentee")] = 1.0,
    interests: Annotated[str, typer.Option(help="';'-separated, e.g. 'teaching;minor surgery'")] = "",
    localities: Annotated[str, typer.Option(help="';'-separated")] = "",
    trained: Annotated[bool, typer.Option(help="Has done mentor training")] = False,
    as_: AsOption = None,
) -> None:
    """Put a member on the mentor register (or change their entry)."""
    split = [part.strip() for part in interests.split(";") if part.strip()]
    places = [part.strip() for part in localities.split(";") if part.strip()]
    run_desk_command(
        lambda by: AddMentor(phone, capacity, hours, tuple(split), tuple(places), trained, by),
        lambda member: f"{member.name} is on the mentor register (up to {capacity} mentees).",
        as_,
    )


@mentoring_cli.command("leaves")
def mentoring_leaves(
    phone: Annotated[str, typer.Argument(help="The mentor's phone")], as_: AsOption = None
) -> None:
    """A mentor steps down: their mentees wait for the next match and hear who takes over."""
    run_desk_command(
        lambda by: MentorLeaves(phone, by), lambda n: f"Off the register; {n} mentee(s) to match again.", as_
    )


@mentoring_cli.command("match")
def mentoring_match(as_: AsOption = None) -> None:
    """Propose pairs for the waiting mentees; nobody is told until they are approved."""

    def show(proposals: list) -> str:
        if not proposals:
            return "Nobody to pair: no one waiting, or no mentor with room."
        return "\n".join(
            f"#{number}  {mentee} with {mentor}: {p.why}" for number, p, mentee, mentor in proposals
        )

    run_desk_command(lambda by: ProposeMatches(by), show, as_)


@mentoring_cli.command("approve")
def mentoring_approve(
    numbers: Annotated[list[int] | None, typer.Argument(help="Proposals to approve; none: all")] = None,
    as_: AsOption = None,
) -> None:
    """Approve proposals (all, or by number): both sides are introduced."""
    run_desk_command(
        lambda by: ApproveMatches(tuple(numbers or ()), by),
        lambda n: f"Approved {n}; both sides introduced." if n else "Nothing to approve.",
        as_,
    )


groups_cli = typer.Typer(help="Peer groups: members, sessions, RSVPs, coffee rounds.", no_args_is_help=True)

app.add_typer(groups_cli, name="groups")


def _phones(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.replace(",", ";").split(";") if part.strip())


@groups_cli.command("create")
def groups_create(
    name: Annotated[str, typer.Argument(help="The group's name, e.g. 'Northside new GPs'")],
    kind: Annotated[str, typer.Option(help="networking, action_learning, peer_support or coaching")],
    members: Annotated[str, typer.Option(help="Members' phones, ';'-separated")] = "",
    closed: Annotated[
        bool | None, typer.Option("--closed/--open", help="Default: closed for action_learning and coaching")
    ] = None,
    lead: Annotated[str | None, typer.Option(help="The lead's phone (default: --as)")] = None,
    as_: AsOption = None,
) -> None:
    """Create a peer group (a closed one invites its members only)."""
    run_desk_command(
        lambda by: CreateGroup(name, kind.strip().lower(), _phones(members), closed, lead, by),
        lambda g: f"Group #{g.id} {g.name} ({'closed' if g.closed else 'open'}).",
        as_,
    )


@groups_cli.command("add-members")
def groups_add_members(
    group: Annotated[str, typer.Argument(help="The group's number or name")],
    phones: Annotated[list[str], typer.Argument(help="Members' phones")],
    as_: AsOption = None,
) -> None:
    """Add members; they are invited to the sessions already announced."""
    run_desk_command(lambda by: AddGroupMembers(group, tuple(phones), by), lambda n: f"Added {n}.", as_)


@groups_cli.command("schedule")
def groups_schedule(
    group: Annotated[str, typer.Argument(help="The group's number or name")],
    start: Annotated[str, typer.Option(help="ISO 8601, London time unless an offset is given")],
    end: Annotated[str, typer.Option(help="ISO 8601, London time unless an offset is given")],
    place: Annotated[str, typer.Option(help="Where, e.g. 'Riverside Surgery, meeting room'")] = "",
    link: Annotated[str, typer.Option(help="A video link (https://...)")] = "",
    capacity: Annotated[int | None, typer.Option(help="Places; more go on a waitlist")] = None,
    every: Annotated[int, typer.Option(help="Repeat every this many weeks")] = 0,
    times: Annotated[int, typer.Option(help="How many sessions in all")] = 1,
    as_: AsOption = None,
) -> None:
    """Schedule a session, or a series; members are invited two weeks before each."""
    try:
        starts, ends = parse_when(start), parse_when(end)
    except ValueError as error:
        fail(str(error))

    def show(made: list) -> str:
        return "\n".join(
            f"#{s.id}  {s.starts_at.astimezone(LONDON):%a %d %b %Y %H:%M}  {s.where}" for s in made
        )

    run_desk_command(
        lambda by: ScheduleGroupSessions(group, starts, ends, place, link, capacity, every, times, by),
        show,
        as_,
    )


@groups_cli.command("cancel")
def groups_cancel(
    session: Annotated[int, typer.Argument(help="The session's number")], as_: AsOption = None
) -> None:
    """Cancel a session: those going or waiting are told."""
    run_desk_command(lambda by: CancelGroupSession(session, by), lambda s: f"Cancelled #{s.id}.", as_)


@groups_cli.command("show")
def groups_show(
    group: Annotated[str, typer.Argument(help="The group's number or name")], as_: AsOption = None
) -> None:
    """The lead's view: members, and each session's RSVPs and attendance."""
    run_desk_command(lambda by: ShowGroup(group, by), group_text, as_)


@groups_cli.command("coffee")
def groups_coffee(
    group: Annotated[str, typer.Argument(help="The group's number or name")],
    monthly: Annotated[
        bool | None, typer.Option("--monthly/--once", help="Keep a round every four weeks, or stop them")
    ] = None,
    as_: AsOption = None,
) -> None:
    """Pair the group's members who have not met (a trio when numbers are odd)."""
    run_desk_command(lambda by: CoffeeRound(group, monthly, by), coffee_text, as_)
