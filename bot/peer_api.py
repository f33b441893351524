"""The JSON API for peer support (under /api/, bearer token): groups, their sessions and the
lead's view, coffee rounds, and mentoring's matching run and approvals.

Same rules as bot/api.py: ``X-Acting-As`` makes the call a member's, whose role decides.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Response, status
from pydantic import BaseModel, Field

from bot.api import LondonTime, RowId, acting_as_dependency, run_command
from bot.commands import (
    AddGroupMembers,
    ApproveMatches,
    CalendarFile,
    CancelGroupSession,
    CoffeeRound,
    CreateGroup,
    ProposeMatches,
    ScheduleGroupSessions,
    ShowGroup,
)
from bot.domain import GROUP_KINDS, Member
from bot.pool import Pool


class GroupIn(BaseModel):
    name: str = Field(max_length=32, examples=["Northside new GPs"])
    kind: str = Field(description=f"One of {', '.join(GROUP_KINDS)}", examples=["action_learning"])
    members: list[str] = Field(default=[], description="Members' phones")
    closed: bool | None = Field(default=None, description="Default: closed for action_learning and coaching")
    lead: str | None = Field(default=None, description="The lead's phone (default: the member acting)")


class GroupOut(BaseModel):
    id: int
    name: str
    kind: str
    closed: bool


class MembersIn(BaseModel):
    members: list[str] = Field(min_length=1, description="Phones of members to add")


class Added(BaseModel):
    added: int


class GroupSessionsIn(BaseModel):
    start: LondonTime
    end: LondonTime
    place: str = ""
    link: str = Field(default="", description="A video link, https://...")
    capacity: int | None = Field(default=None, ge=1, le=1000, description="Places; more go on a waitlist")
    every_weeks: int = Field(default=0, ge=0, le=12, description="Repeat every this many weeks")
    times: int = Field(default=1, ge=1, le=26, description="How many sessions in all")


class GroupSessionOut(BaseModel):
    id: int
    start: datetime
    end: datetime
    place: str
    link: str
    capacity: int | None
    calendar: str = Field(description="The iCalendar file's address")


class SessionRsvps(GroupSessionOut):
    going: list[str]
    waitlist: list[str]
    not_going: list[str]
    no_answer: int
    attended: list[str]
    missed: list[str]


class GroupViewOut(GroupOut):
    lead: str | None
    members: list[str]
    sessions: list[SessionRsvps]


class CoffeeIn(BaseModel):
    monthly: bool | None = Field(default=None, description="Keep a round every four weeks (false: stop)")


class CoffeeOut(BaseModel):
    pods: list[list[str]]
    repeats: int = Field(description="Pairings that repeat a recent round (only when unavoidable)")
    monthly: bool


class Proposal(BaseModel):
    number: int
    mentee: str
    mentor: str
    fit: int
    why: str


class ApproveIn(BaseModel):
    numbers: list[RowId] = Field(default=[], description="Proposals to approve; empty: all")


class Approved(BaseModel):
    approved: int


def peer_router(pool: Pool, auth: Callable[..., None]) -> APIRouter:
    router = APIRouter(prefix="/api", dependencies=[Depends(auth)], tags=["peer support"])
    acting_member = Depends(acting_as_dependency(pool))

    async def run(command: object, by: Member | None) -> Any:
        return await run_command(pool, command, by)

    def session_out(session: Any, cls: type[GroupSessionOut] = GroupSessionOut, **extra: Any) -> Any:
        return cls(
            id=session.id,
            start=session.starts_at,
            end=session.ends_at,
            place=session.place,
            link=session.link,
            capacity=session.capacity,
            calendar=f"{pool.policy.public_url}{session.calendar_path}",
            **extra,
        )

    @router.post("/groups", status_code=status.HTTP_201_CREATED, response_model=GroupOut)
    async def create_group(body: GroupIn, by: Member | None = acting_member) -> GroupOut:
        group = await run(
            CreateGroup(
                body.name, body.kind, tuple(body.members), body.closed, body.lead, by.id if by else None
            ),
            by,
        )
        return GroupOut(id=group.id, name=group.name, kind=group.kind, closed=group.closed)

    @router.get("/groups/{group_id}", response_model=GroupViewOut)
    async def show_group(group_id: RowId, by: Member | None = acting_member) -> GroupViewOut:
        if await pool.store.reader().groups.peer_group(group_id) is None:
            raise HTTPException(status_code=404, detail="no such group")
        view = await run(ShowGroup(str(group_id), by.id if by else None), by)
        group = view.group
        return GroupViewOut(
            id=group.id,
            name=group.name,
            kind=group.kind,
            closed=group.closed,
            lead=view.lead,
            members=list(view.members),
            sessions=[
                session_out(
                    s.session,
                    SessionRsvps,
                    going=list(s.going),
                    waitlist=list(s.waitlist),
                    not_going=list(s.not_going),
                    no_answer=s.no_answer,
                    attended=list(s.attended),
                    missed=list(s.missed),
                )
                for s in view.sessions
            ],
        )

    @router.post("/groups/{group_id}/members", response_model=Added)
    async def add_members(group_id: RowId, body: MembersIn, by: Member | None = acting_member) -> Added:
        added = await run(AddGroupMembers(str(group_id), tuple(body.members), by.id if by else None), by)
        return Added(added=added)

    @router.post(
        "/groups/{group_id}/sessions",
        status_code=status.HTTP_201_CREATED,
        response_model=list[GroupSessionOut],
    )
    async def schedule(
        group_id: RowId, body: GroupSessionsIn, by: Member | None = acting_member
    ) -> list[GroupSessionOut]:
        command = ScheduleGroupSessions(
            str(group_id), body.start, body.end, body.place, body.link, body.capacity, body.every_weeks,
            body.times, by.id if by else None,
        )  # fmt: skip
        return [session_out(s) for s in await run(command, by)]

    @router.post("/group-sessions/{session_id}/cancel", response_model=GroupSessionOut)
    async def cancel(session_id: RowId, by: Member | None = acting_member) -> GroupSessionOut:
        return session_out(await run(CancelGroupSession(session_id, by.id if by else None), by))

    @router.post("/groups/{group_id}/coffee", response_model=CoffeeOut)
    async def coffee(group_id: RowId, body: CoffeeIn, by: Member | None = acting_member) -> CoffeeOut:
        result = await run(CoffeeRound(str(group_id), body.monthly, by.id if by else None), by)
        return CoffeeOut(pods=[list(p) for p in result.pods], repeats=result.repeats, monthly=result.monthly)

    @router.post("/mentoring/match", response_model=list[Proposal])
    async def match(by: Member | None = acting_member) -> list[Proposal]:
        proposals = await run(ProposeMatches(by.id if by else None), by)
        return [
            Proposal(number=number, mentee=mentee, mentor=mentor, fit=p.fit, why=p.why)
            for number, p, mentee, mentor in proposals
        ]

    @router.post("/mentoring/approve", response_model=Approved)
    async def approve(body: ApproveIn, by: Member | None = acting_member) -> Approved:
        return Approved(approved=await run(ApproveMatches(tuple(body.numbers), by.id if by else None), by))

    return router


def calendar_router(pool: Pool) -> APIRouter:
    """The calendar file linked from an invitation: no token, as a phone's calendar fetches it;
    the address itself is the secret (96 random bits)."""
    router = APIRouter(tags=["peer support"])

    @router.get("/calendar/{token}.ics", response_class=Response)
    async def calendar(token: str) -> Response:
        body = await pool.engine.execute(CalendarFile(token), actor="calendar")
        if body is None:
            raise HTTPException(status_code=404, detail="no such session")
        return Response(
            body,
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="peer-session.ics"'},
        )

    return router
