"""The JSON API for pay (under /api/, bearer token): delivered sessions' hours and their
sign-off by the practice, expenses, and payroll's timesheets.

Same rules as bot/api.py: ``X-Acting-As`` makes the call a member's, whose role decides (a
practice manager sees and confirms only their practice's sessions; a clinician sees only their
own); a refusal is 403 (role) or 422, changing nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from pydantic import BaseModel, Field

from bot import spreadsheet
from bot.api import RowId, acting_as_dependency, run_command
from bot.clock import london_date
from bot.commands import AddExpense, BuildTimesheets, ConfirmHours, ListSignOffs, QueryHours, SettleHours
from bot.domain import Expense, Member
from bot.errors import Refused
from bot.pool import Pool
from bot.ports import TIMESHEET_COLUMNS, SignOffRow, TimesheetLine, timesheet_rows

Month = Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM (London)")]
State = Literal["awaiting", "queried", "signed_off"]


class ExpenseIn(BaseModel):
    miles: float | None = Field(default=None, gt=0, le=500, description="Mileage, paid at POOL_MILEAGE_PENCE")
    amount_pence: int | None = Field(default=None, gt=0, le=50_000, description="Another cost, with a note")
    note: str = Field(default="", max_length=100, description="What it was for (needed with amount_pence)")


class ExpenseOut(BaseModel):
    id: int
    kind: Literal["mileage", "other"]
    miles: float | None
    amount_pence: int
    note: str
    added_at: datetime


class QueryIn(BaseModel):
    text: str = Field(
        default="", max_length=100, description="What is wrong, as the coordinators will read it"
    )


class SettleIn(BaseModel):
    hours: float = Field(gt=0, le=24, description="The hours agreed")
    pay_pence: int | None = Field(
        default=None, ge=0, le=10_000_000, description="The pay agreed; null: by POOL_PAY from the hours"
    )
    note: str = Field(
        default="", max_length=100, description="What was agreed (the clinician and practice see it)"
    )


class SignOffOut(BaseModel):
    session_id: int
    session_code: str
    practice: str
    practice_name: str
    pcn: str
    start: datetime
    end: datetime
    name: str = Field(description="Who worked it")
    phone: str
    engagement: str | None
    state: State
    hours: float = Field(description="As reported; once settled, as agreed")
    hours_booked: float
    reported_hours: float | None = Field(description="The first report, when a settlement changed it")
    reported_by: str = Field(description="gp, coordinator, practice, or before (delivered before sign-off)")
    reported_at: datetime
    rate_pence: int
    pay_pence: int | None = Field(description="Kept once signed off; null until then")
    pay_rule: str | None = Field(description="session, pro_rata, or agreed (set by a coordinator)")
    signed_off_at: datetime | None
    query: str
    queried_at: datetime | None
    settled_note: str
    expenses: list[ExpenseOut]
    expenses_pence: int


class TimesheetOut(BaseModel):
    month: str
    name: str
    phone: str
    profession: str
    registration_number: str
    contracted_sessions_per_week: int
    contracted_sessions: float
    sessions_worked: int
    sessions_signed_off: int
    sessions_awaiting: int
    sessions_queried: int
    sessions_not_reported: int
    hours_worked: float
    hours_signed_off: float
    pay_signed_off_pence: int
    miles: float
    mileage_pence: int
    other_expenses_pence: int
    expenses_pence: int


def expense_out(e: Expense) -> ExpenseOut:
    return ExpenseOut(
        id=e.id,
        kind=e.kind,
        miles=e.miles,
        amount_pence=e.amount_pence,
        note=e.note,
        added_at=e.added_at,  # type: ignore[arg-type]
    )


def signoff_out(row: SignOffRow) -> SignOffOut:
    g, s = row.signoff, row.session
    return SignOffOut(
        session_id=s.id, session_code=s.code, practice=s.practice, practice_name=row.practice_name,
        pcn=row.pcn, start=s.starts_at, end=s.ends_at, name=row.member_name, phone=row.member_phone,
        engagement=row.engagement, state=g.state, hours=g.hours, hours_booked=round(s.hours, 2),  # type: ignore[arg-type]
        reported_hours=g.reported_hours, reported_by=g.reported_by, reported_at=g.reported_at,
        rate_pence=s.rate_pence, pay_pence=g.pay_pence, pay_rule=g.pay_rule, signed_off_at=g.signed_off_at,
        query=g.query, queried_at=g.queried_at, settled_note=g.settled_note,
        expenses=[expense_out(e) for e in row.expenses], expenses_pence=row.expenses_pence,
    )  # fmt: skip


def timesheet_out(line: TimesheetLine) -> TimesheetOut:
    return TimesheetOut(**dict(zip(TIMESHEET_COLUMNS, line.as_row(), strict=True)))


def first_of(month: str) -> date:
    return date.fromisoformat(f"{month}-01")


def pay_router(pool: Pool, auth: Callable[..., None]) -> APIRouter:
    router = APIRouter(prefix="/api", dependencies=[Depends(auth)], tags=["pay"])
    acting_member = Depends(acting_as_dependency(pool))

    async def run(command: object, by: Member | None) -> Any:
        return await run_command(pool, command, by)

    async def read(command: object, by: Member | None) -> Any:
        try:
            return await pool.engine.query(command, actor=f"member:{by.id}" if by else "api")
        except Refused as refusal:
            code = 403 if refusal.field == "role" else 422
            raise HTTPException(
                status_code=code, detail=[{"field": refusal.field or "", "problem": refusal.message}]
            ) from None

    async def code_of(session_id: int) -> str:
        session = await pool.store.reader().sessions.session(session_id)
        if session is None:
            raise HTTPException(status_code=404, detail="no such session")
        return session.code

    async def row_of(session_id: int, by: Member | None) -> SignOffOut:
        session = await pool.store.reader().sessions.session(session_id)
        assert session is not None
        month = london_date(session.starts_at).replace(day=1)
        rows: list[SignOffRow] = await read(ListSignOffs(month, by.id if by else None), by)
        return signoff_out(next(r for r in rows if r.session.id == session_id))

    @router.get("/pay", response_model=list[SignOffOut])
    async def list_pay(
        month: Month,
        by: Member | None = acting_member,
        state: Annotated[list[State] | None, Query()] = None,
        practice: Annotated[str | None, Query(max_length=10)] = None,
    ) -> list[SignOffOut]:
        """Delivered sessions starting in the month, with their hours, sign-off, pay and expenses:
        all for coordinators, a practice manager's practices', a clinician's own."""
        rows = await read(
            ListSignOffs(first_of(month), by.id if by else None, tuple(state or ()), practice), by
        )
        return [signoff_out(row) for row in rows]

    @router.post("/sessions/{session_id}/hours/confirm", response_model=SignOffOut)
    async def confirm(session_id: RowId, by: Member | None = acting_member) -> SignOffOut:
        """The practice (a manager of it, or a coordinator) agrees the hours: the pay is worked
        out now by POOL_PAY and kept."""
        await run(ConfirmHours(await code_of(session_id), by.id if by else None), by)
        return await row_of(session_id, by)

    @router.post("/sessions/{session_id}/hours/query", response_model=SignOffOut)
    async def query(session_id: RowId, body: QueryIn, by: Member | None = acting_member) -> SignOffOut:
        """The practice disputes the hours; the coordinators hear both sides and settle it."""
        await run(QueryHours(await code_of(session_id), body.text, by.id if by else None), by)
        return await row_of(session_id, by)

    @router.post("/sessions/{session_id}/hours/settle", response_model=SignOffOut)
    async def settle(session_id: RowId, body: SettleIn, by: Member | None = acting_member) -> SignOffOut:
        """A coordinator settles the hours (and, if given, the pay) agreed; both sides are told."""
        command = SettleHours(
            await code_of(session_id), body.hours, body.pay_pence, body.note, by.id if by else None
        )
        await run(command, by)
        return await row_of(session_id, by)

    @router.post(
        "/sessions/{session_id}/expenses", status_code=status.HTTP_201_CREATED, response_model=ExpenseOut
    )
    async def add_expense(
        session_id: RowId, body: ExpenseIn, by: Member | None = acting_member
    ) -> ExpenseOut:
        """Mileage (miles) or another cost (amount_pence and a note) for a session worked: the
        clinician who worked it, or a coordinator. Never pensionable."""
        command = AddExpense(
            await code_of(session_id), body.miles, body.amount_pence, body.note, by.id if by else None
        )
        return expense_out(await run(command, by))

    @router.get("/timesheets", response_model=list[TimesheetOut])
    async def timesheets(month: Month, by: Member | None = acting_member) -> list[TimesheetOut]:
        """Payroll's month for each employed person: contracted sessions against sessions worked,
        hours, pay signed off and expenses."""
        lines = await read(BuildTimesheets(first_of(month), by.id if by else None), by)
        return [timesheet_out(line) for line in lines]

    @router.get("/timesheets.csv", response_class=Response)
    async def timesheets_csv(month: Month, by: Member | None = acting_member) -> Response:
        """The same as CSV for payroll, every cell spreadsheet-safe."""
        lines: list[TimesheetLine] = await read(BuildTimesheets(first_of(month), by.id if by else None), by)
        return Response(
            spreadsheet.text(timesheet_rows(lines)),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="timesheets-{month}.csv"'},
        )

    return router
