"""Peer support for leads and coordinators: the groups with the check-ins' aggregates, a
group's sessions with their answers and attendance (schedule, cancel), and mentoring's
proposals to approve. Each page and action is the same command the API and the CLI run, as
the signed-in member; the flows decide who may, and a refusal is shown by its field."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.console.auth import Console, actor_of, by_of, path_number, redirect
from adapters.console.views import page
from bot.clock import LONDON
from bot.commands import (
    ApproveMatches,
    CancelGroupSession,
    ListGroups,
    PendingMatches,
    ProposeMatches,
    ScheduleGroupSessions,
    ShowGroup,
    WellbeingFigures,
)
from bot.errors import Refused
from bot.ports.signin import SignedIn

DONE = {
    "scheduled": "Scheduled: members are invited a fortnight ahead (at once when it is sooner).",
    "cancelled": "Session cancelled: those going or on the waitlist have been told.",
    "proposed": "Matching run: the proposals below replace any earlier ones. Nobody has been told yet.",
    "approved": "Approved: each mentee and mentor has been introduced by message.",
}
SCHEDULE_FIELDS = ("date", "start", "end", "place", "link", "capacity", "every", "times")
# Where a refusal of each of the command's fields is shown on the schedule form.
SCHEDULE_ERRORS = {"place": "place", "link": "link", "end": "end", "start": "start", "capacity": "capacity",
                   "times": "times", "every": "every"}  # fmt: skip
NOT_FOR_YOU = "Peer support in the console is for the pool's peer-network leads and coordinators."


def routes(console: Console) -> list[Route]:
    engine = console.pool.engine

    def not_for_you(request: Request, signed: SignedIn) -> Response:
        return page(request, "problem.html", status=403, signed=signed, title="This page is not for you",
                    message=NOT_FOR_YOU)  # fmt: skip

    # -- the groups and the check-ins' aggregates ----------------------------------------------

    async def groups(request: Request) -> Response:
        signed = await console.require(request)
        try:
            found = await engine.query(ListGroups(by_of(signed)), actor_of(signed))
            wellbeing = await engine.query(WellbeingFigures(None, by_of(signed)), actor_of(signed))
        except Refused:
            return not_for_you(request, signed)
        return page(request, "peer.html", signed=signed, nav="peer", groups=found, wellbeing=wellbeing)

    # -- one group -------------------------------------------------------------------------

    async def show(
        request: Request, signed: SignedIn | None = None, status: int = 200, **context: Any
    ) -> Response:
        signed = signed or await console.require(request)
        try:
            group = str(path_number(request, "group_id"))
            view = await engine.query(ShowGroup(group, by_of(signed)), actor_of(signed))
        except Refused as refusal:
            if refusal.field == "role":
                return not_for_you(request, signed)
            return page(request, "problem.html", status=404, signed=signed, title="Group not found",
                        message="There is no such peer group.")  # fmt: skip
        context.setdefault("values", {"start": "12:30", "end": "14:00", "every": "4", "times": "1"})
        return page(
            request, "peer_group.html", status=status, signed=signed, nav="peer", view=view,
            now=console.pool.clock.now(), done=DONE.get(request.query_params.get("done", "")),
            errors=context.pop("errors", {}), **context,
        )  # fmt: skip

    async def schedule(request: Request) -> Response:
        signed = await console.require(request)
        form = await console.form(request, signed)
        group_id = path_number(request, "group_id")
        values = {name: str(form.get(name) or "").strip()[:200] for name in SCHEDULE_FIELDS}
        errors, command = _schedule_command(str(group_id), values, by_of(signed))
        if command is None:
            return await show(request, signed, status=422, errors=errors, values=values)
        try:
            await engine.execute(command, actor=actor_of(signed))
        except Refused as refusal:
            if refusal.field == "role":
                return not_for_you(request, signed)
            field = SCHEDULE_ERRORS.get(refusal.field or "", "date")
            return await show(request, signed, status=422, errors={field: refusal.message}, values=values)
        return redirect(f"/peer/groups/{group_id}?done=scheduled")

    async def cancel(request: Request) -> Response:
        signed = await console.require(request)
        await console.form(request, signed)
        group_id, session_id = path_number(request, "group_id"), path_number(request, "session_id")
        try:
            await engine.execute(CancelGroupSession(session_id, by_of(signed)), actor=actor_of(signed))
        except Refused as refusal:
            if refusal.field == "role":
                return not_for_you(request, signed)
            return await show(request, signed, status=422, errors={"sessions": refusal.message})
        return redirect(f"/peer/groups/{group_id}?done=cancelled")

    # -- mentoring -------------------------------------------------------------------------

    async def mentoring(
        request: Request,
        signed: SignedIn | None = None,
        status: int = 200,
        errors: dict[str, str] | None = None,
    ) -> Response:
        signed = signed or await console.require(request)
        try:
            pending = await engine.query(PendingMatches(by_of(signed)), actor_of(signed))
        except Refused:
            return not_for_you(request, signed)
        return page(
            request, "peer_mentoring.html", status=status, signed=signed, nav="peer", pending=pending,
            done=DONE.get(request.query_params.get("done", "")), errors=errors or {},
        )  # fmt: skip

    async def propose(request: Request) -> Response:
        signed = await console.require(request)
        await console.form(request, signed)
        try:
            await engine.execute(ProposeMatches(by_of(signed)), actor=actor_of(signed))
        except Refused:
            return not_for_you(request, signed)
        return redirect("/peer/mentoring?done=proposed")

    async def approve(request: Request) -> Response:
        signed = await console.require(request)
        form = await console.form(request, signed)
        everyone = form.get("approve") == "all"
        try:
            chosen = tuple(int(str(n)) for n in form.getlist("proposals")[:500])
        except ValueError:
            chosen = ()
        chosen = tuple(n for n in chosen if 0 < n < 2**63)
        if not everyone and not chosen:
            errors = {"proposals": "Choose the proposals to approve, or approve them all."}
            return await mentoring(request, signed, status=422, errors=errors)
        try:
            command = ApproveMatches(() if everyone else chosen, by_of(signed))
            await engine.execute(command, actor=actor_of(signed))
        except Refused as refusal:
            if refusal.field == "role":
                return not_for_you(request, signed)
            errors = {"proposals": f"{refusal.message} Another matching run may have replaced them."}
            return await mentoring(request, signed, status=422, errors=errors)
        return redirect("/peer/mentoring?done=approved")

    return [
        Route("/peer", groups, methods=["GET"]),
        Route("/peer/groups/{group_id}", show, methods=["GET"]),
        Route("/peer/groups/{group_id}/sessions", schedule, methods=["POST"]),
        Route("/peer/groups/{group_id}/sessions/{session_id}/cancel", cancel, methods=["POST"]),
        Route("/peer/mentoring", mentoring, methods=["GET"]),
        Route("/peer/mentoring/match", propose, methods=["POST"]),
        Route("/peer/mentoring/approve", approve, methods=["POST"]),
    ]


def _schedule_command(
    group: str, values: dict[str, str], by: int | None
) -> tuple[dict[str, str], ScheduleGroupSessions | None]:
    """The form's text read as the command; what cannot be read is an error by its field (the
    command's own checks follow: a place or a link, the end after the start, not in the past)."""
    errors: dict[str, str] = {}
    day: date | None = None
    try:
        day = date.fromisoformat(values["date"])
    except ValueError:
        errors["date"] = "Enter the date of the (first) session, like 2026-12-07."
    times: dict[str, time] = {}
    for name, words in (("start", "starts"), ("end", "ends")):
        try:
            times[name] = time.fromisoformat(values[name])
        except ValueError:
            errors[name] = f"Enter the time it {words}, like 12:30."
    capacity: int | None = None
    if values["capacity"]:
        try:
            capacity = int(values["capacity"])
            if not 1 <= capacity <= 1000:
                raise ValueError
        except ValueError:
            errors["capacity"] = "Enter the number of places, from 1 to 1000, or leave it empty for no limit."
    numbers = {"times": 1, "every": 0}
    for name, low, high, message in (
        ("times", 1, 26, "Enter how many sessions, from 1 to 26."),
        ("every", 1, 12, "Enter how many weeks apart, from 1 to 12."),
    ):
        if name == "every" and numbers["times"] == 1:
            break  # one session: how often does not matter
        try:
            numbers[name] = int(values[name] or "1")
            if not low <= numbers[name] <= high:
                raise ValueError
        except ValueError:
            errors[name] = message
    if errors or day is None:
        return errors, None
    command = ScheduleGroupSessions(
        group=group,
        starts_at=datetime.combine(day, times["start"], tzinfo=LONDON),
        ends_at=datetime.combine(day, times["end"], tzinfo=LONDON),
        place=values["place"],
        link=values["link"],
        capacity=capacity,
        every_weeks=numbers["every"],
        times=numbers["times"],
        by=by,
    )
    return errors, command
