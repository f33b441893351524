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
from bot.commands import (
    AddExpense,
    BuildTimesheets,
    CancelInvoice,
    ConfirmHours,
    FormBFile,
    InvoiceFile,
    ListInvoices,
    ListSignOffs,
    MarkPaid,
    OpenDocumentLink,
    QueryHours,
    RaiseInvoices,
    SendInvoice,
    SetBilling,
    SetPensionDetails,
    SettleHours,
    ShowBilling,
)
from bot.domain import Billing, Expense, Member
from bot.errors import Refused
from bot.pool import Pool
from bot.ports import TIMESHEET_COLUMNS, InvoiceRow, SignOffRow, TimesheetLine, timesheet_rows

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


class InvoiceOut(BaseModel):
    number: str
    kind: Literal["invoice", "credit_note"]
    state: Literal["draft", "sent", "paid", "overdue", "cancelled", "issued"]
    name: str = Field(description="Who it is from")
    practice: str
    practice_name: str
    pcn: str
    period: str = Field(description="YYYY-MM, or the session's code for an invoice by session")
    issued_on: date
    due_on: date | None
    fee_pence: int
    expenses_pence: int
    pensionable_pence: int
    employer_pence: int = Field(description="The employer pension contribution charged on top")
    total_pence: int
    pensions: bool = Field(description="The GP pensions this work: it has a Form A")
    credits: str | None = Field(description="A credit note: the number of the invoice it cancels")
    paid_on: date | None


class PaidIn(BaseModel):
    paid_on: date | None = Field(default=None, description="Default today (London)")


class CancelInvoiceIn(BaseModel):
    reason: str = Field(default="", max_length=40, description="Printed on the credit note")


class RaiseIn(BaseModel):
    before: date | None = Field(
        default=None, description="Sessions started before this day (default: this month's 1st)"
    )
    phone: str | None = Field(default=None, description="One person only")


class BillingIn(BaseModel):
    address: list[str] = Field(default=[], max_length=5, description="Up to five lines of 60 characters")
    company_name: str = Field(default="", max_length=100, description="A limited company's full name")
    company_number: str = Field(default="", max_length=12)
    account_name: str = Field(default="", max_length=60)
    sort_code: str = Field(default="", max_length=8, examples=["12-34-56"])
    account_number: str = Field(default="", max_length=10, examples=["12345678"])


class BillingOut(BaseModel):
    phone: str
    address: list[str]
    company_name: str
    company_number: str
    account_name: str
    sort_code: str = Field(description="Masked: **-**-56")
    account_number: str = Field(description="Masked: ****5678")


class PensionIn(BaseModel):
    sd_number: str | None = Field(default=None, description="8 digits; empty: they do not pension locum work")
    tier: int | None = Field(default=None, ge=1, le=6)
    invoice_by: Literal["month", "session"] | None = None


class PensionOut(BaseModel):
    phone: str
    sd_number: str | None
    tier: int | None
    invoice_by: str


def invoice_out(row: InvoiceRow) -> InvoiceOut:
    i = row.invoice
    return InvoiceOut(
        number=i.number, kind=i.kind, state=i.state, name=row.member_name, practice=i.practice,  # type: ignore[arg-type]
        practice_name=row.practice_name, pcn=row.pcn, period=i.period, issued_on=i.issued_on, due_on=i.due_on,
        fee_pence=i.fee_pence, expenses_pence=i.expenses_pence, pensionable_pence=i.pensionable_pence,
        employer_pence=i.employer_pence, total_pence=i.total_pence, pensions=i.pensions, credits=row.credits,
        paid_on=i.paid_on,
    )  # fmt: skip


def file_response(found: tuple[str, str, bytes]) -> Response:
    name, media_type, content = found
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )


def expense_out(e: Expense) -> ExpenseOut:
    return ExpenseOut(
        id=e.id,
        kind=e.kind,
        miles=e.miles,
        amount_pence=e.amount_pence,
        note=e.note,
        added_at=e.added_at,  # type: ignore[arg-type]
    )


def signoff_out(row: SignOffRow, by: Member | None = None) -> SignOffOut:
    """``by``: who asks; the practice's words on a query are for the coordinators and the
    practice, not the clinician."""
    g, s = row.signoff, row.session
    query = g.query if by is None or by.is_coordinator or f"practice:{s.practice}" in by.roles else ""
    return SignOffOut(
        session_id=s.id, session_code=s.code, practice=s.practice, practice_name=row.practice_name,
        pcn=row.pcn, start=s.starts_at, end=s.ends_at, name=row.member_name, phone=row.member_phone,
        engagement=row.engagement, state=g.state, hours=g.hours, hours_booked=round(s.hours, 2),  # type: ignore[arg-type]
        reported_hours=g.reported_hours, reported_by=g.reported_by, reported_at=g.reported_at,
        rate_pence=s.rate_pence, pay_pence=g.pay_pence, pay_rule=g.pay_rule, signed_off_at=g.signed_off_at,
        query=query, queried_at=g.queried_at, settled_note=g.settled_note,
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
        return signoff_out(next(r for r in rows if r.session.id == session_id), by)

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
        return [signoff_out(row, by) for row in rows]

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

    @router.post("/invoices/raise", response_model=list[InvoiceOut], tags=["invoices"])
    async def raise_invoices(body: RaiseIn, by: Member | None = acting_member) -> list[InvoiceOut]:
        """Invoice signed-off sessions not yet invoiced (the 1st of each month does this by
        itself): coordinators for everyone, a clinician their own."""
        raised = await run(RaiseInvoices(body.before, body.phone, by.id if by else None), by)
        return await _rows_of([i.number for i in raised], by)

    async def _rows_of(numbers: list[str], by: Member | None) -> list[InvoiceOut]:
        rows: list[InvoiceRow] = await read(ListInvoices(by.id if by else None), by)
        return [invoice_out(r) for r in rows if r.invoice.number in numbers]

    @router.get("/invoices", response_model=list[InvoiceOut], tags=["invoices"])
    async def list_invoices(
        by: Member | None = acting_member,
        state: Annotated[
            list[Literal["draft", "sent", "paid", "overdue", "cancelled", "issued"]] | None, Query()
        ] = None,
        practice: Annotated[str | None, Query(max_length=10)] = None,
    ) -> list[InvoiceOut]:
        """Invoices and credit notes, newest first: coordinators all, a practice manager their
        practices', a clinician their own. Bank details are never in this list."""
        rows = await read(ListInvoices(by.id if by else None, tuple(state or ()), practice), by)
        return [invoice_out(r) for r in rows]

    @router.get("/invoices/{number}.{fmt}", response_class=Response, tags=["invoices"])
    async def invoice_file(
        number: str, fmt: Literal["pdf", "csv"], by: Member | None = acting_member
    ) -> Response:
        """The invoice as a PDF (with its Form A after it when pensioned) or CSV."""
        return file_response(await read(InvoiceFile(number, "invoice", fmt, by.id if by else None), by))

    @router.get("/invoices/{number}/form-a.pdf", response_class=Response, tags=["invoices"])
    async def form_a_file(number: str, by: Member | None = acting_member) -> Response:
        return file_response(await read(InvoiceFile(number, "form_a", "pdf", by.id if by else None), by))

    @router.post("/invoices/{number}/paid", response_model=InvoiceOut, tags=["invoices"])
    async def paid(number: str, body: PaidIn, by: Member | None = acting_member) -> InvoiceOut:
        """Mark paid (the person, a manager of the practice, a coordinator), on a day (default
        today): it goes on that month's Form B."""
        found = await run(MarkPaid(number, body.paid_on, by.id if by else None), by)
        return (await _rows_of([found.number], by))[0]

    @router.post("/invoices/{number}/send", response_model=InvoiceOut, tags=["invoices"])
    async def send(number: str, by: Member | None = acting_member) -> InvoiceOut:
        """Send a draft once the person's address and bank details are in."""
        found = await run(SendInvoice(number, by.id if by else None), by)
        return (await _rows_of([found.number], by))[0]

    @router.post("/invoices/{number}/cancel", response_model=InvoiceOut, tags=["invoices"])
    async def cancel(number: str, body: CancelInvoiceIn, by: Member | None = acting_member) -> InvoiceOut:
        """Cancel by a credit note (the answer); the sessions can be invoiced again."""
        credit = await run(CancelInvoice(number, body.reason, by.id if by else None), by)
        return (await _rows_of([credit.number], by))[0]

    @router.get("/members/{phone}/form-b.pdf", response_class=Response, tags=["invoices"])
    async def form_b(phone: str, month: Month, by: Member | None = acting_member) -> Response:
        """A GP's Form B for a month (pay received in it): the GP or a coordinator."""
        return file_response(await read(FormBFile(phone, first_of(month), by.id if by else None), by))

    @router.put("/members/{phone}/billing", response_model=BillingOut, tags=["invoices"])
    async def set_billing(phone: str, body: BillingIn, by: Member | None = acting_member) -> BillingOut:
        """What invoices print about the person (the person or a coordinator). The answer, like
        every other place, shows the bank details masked."""
        saved = await run(
            SetBilling(phone, tuple(body.address), body.company_name, body.company_number, body.account_name,
                       body.sort_code, body.account_number, by.id if by else None), by,
        )  # fmt: skip
        return billing_out(phone, saved)

    @router.get("/members/{phone}/billing", response_model=BillingOut, tags=["invoices"])
    async def show_billing(phone: str, by: Member | None = acting_member) -> BillingOut:
        return billing_out(phone, await read(ShowBilling(phone, by.id if by else None), by))

    @router.put("/members/{phone}/pension", response_model=PensionOut, tags=["invoices"])
    async def set_pension(phone: str, body: PensionIn, by: Member | None = acting_member) -> PensionOut:
        """A locum GP's SD number, contribution tier and how they invoice (them or a coordinator)."""
        member = await run(
            SetPensionDetails(phone, body.sd_number, body.tier, body.invoice_by, by.id if by else None), by
        )
        return PensionOut(phone=member.phone, sd_number=member.pension_sd_number, tier=member.pension_tier,
                          invoice_by=member.invoice_by)  # fmt: skip

    return router


def billing_out(phone: str, billing: Billing) -> BillingOut:
    return BillingOut(
        phone=phone, address=list(billing.address), company_name=billing.company_name,
        company_number=billing.company_number, account_name=billing.account_name, sort_code=billing.sort_code,
        account_number=billing.account_number,
    )  # fmt: skip


def documents_router(pool: Pool) -> APIRouter:
    """A document linked from a message (no bearer: the link is the key, 192 random bits, and
    expires)."""
    router = APIRouter(tags=["invoices"])

    @router.get("/documents/{token}", response_class=Response)
    async def document(token: str) -> Response:
        try:
            found = await pool.engine.query(OpenDocumentLink(token), actor="link")
        except Refused:
            raise HTTPException(status_code=404, detail="This link is not known or has expired.") from None
        return file_response(found)

    return router
