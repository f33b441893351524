"""Hours and pay: a month's delivered sessions with their sign-off, pay and expenses; the practice
confirms or queries the hours, a coordinator settles a query, a clinician adds their expenses;
payroll's timesheets and their CSV. Who sees which sessions and who may do what are the
commands' (ListSignOffs, ConfirmHours, QueryHours, SettleHours, AddExpense, BuildTimesheets):
this module reads forms, turns pounds into pence exactly, and shows the answers. Which forms a
row offers is only a guess at what the commands allow; a form shown is no promise."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.console.auth import Console, actor_of, by_of, redirect
from adapters.console.views import SECURITY_HEADERS, page
from bot import spreadsheet
from bot.clock import london_date
from bot.commands import AddExpense, BuildTimesheets, ConfirmHours, ListSignOffs, QueryHours, SettleHours
from bot.domain import Member
from bot.errors import Refused
from bot.ports import SignOffRow, timesheet_rows
from bot.ports.signin import SignedIn

STATES = {"awaiting": "Awaiting sign-off", "queried": "Queried", "signed_off": "Signed off"}
MONTH = re.compile(r"([0-9]{4})-([0-9]{2})", re.ASCII)
FIRST_YEAR, LAST_YEAR = 2000, 2100
CODE = re.compile(r"[A-Za-z]{4}", re.ASCII)  # a session's code: BCDF
# Pounds as people type them: 12, 12.5, 12.50, £1,200.50 (never more than two places of pence).
POUNDS = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,7})(?:\.[0-9]{1,2})?", re.ASCII)
DECIMAL = re.compile(r"[0-9]{1,4}(?:\.[0-9]{1,2})?", re.ASCII)  # hours and miles: 4, 3.5, 12.25
MAX_WORDS = 100  # the query and notes go by text: the commands refuse more, this says so first
DONE = {
    "confirm": "Hours confirmed for session {code}: the pay is worked out and kept, and the clinician told.",
    "query": "Hours queried for session {code}: the coordinators have been told and will settle them.",
    "settle": "Session {code} settled: the clinician and the practice have been told.",
    "mileage": "Mileage added to session {code}.",
    "expense": "Expense added to session {code}.",
}
# The form's fields (each row's id is the name and the session's code: query-BCDF).
NAMES = ("query", "hours", "pay", "settle-note", "miles", "amount", "expense-note")
# Where each action's refusals are shown: the command's field -> the form field's id (before the code).
FIELDS = {
    "confirm": {},
    "query": {"text": "query"},
    "settle": {"hours": "hours", "pay_pence": "pay", "note": "settle-note"},
    "mileage": {"miles": "miles", "note": "miles"},
    "expense": {"amount_pence": "amount", "miles": "amount", "note": "expense-note"},
}


class Unreadable(ValueError):
    """A form field the console cannot read as what it asks for (before any command runs)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def pence_of(text: str) -> int | None:
    """'£1,200.50' -> 120050, exactly (Decimal, never a float); None when it is not pounds and
    pence."""
    cleaned = text.strip().removeprefix("£").strip()
    if not POUNDS.fullmatch(cleaned):
        return None
    return int(Decimal(cleaned.replace(",", "")) * 100)


def decimal_of(text: str) -> float | None:
    """'3.5' -> 3.5; None when it is not a plain number (at most two decimal places)."""
    cleaned = text.strip()
    return float(cleaned) if DECIMAL.fullmatch(cleaned) else None


def month_of(text: str | None, today: date) -> date | None:
    """'2026-12' -> 1 December 2026; empty means this month; None when it is no month."""
    if not text:
        return today.replace(day=1)
    found = MONTH.fullmatch(text.strip())
    if not found or not FIRST_YEAR <= int(found[1]) <= LAST_YEAR or not 1 <= int(found[2]) <= 12:
        return None
    return date(int(found[1]), int(found[2]), 1)


def next_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


def previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


@dataclass(frozen=True, slots=True)
class Row:
    """A sign-off as the page shows it, with the forms it offers the person looking."""

    row: SignOffRow
    manages: bool  # a coordinator, or a manager of its practice: the session's page, the query's words
    sign: bool  # confirm or query
    settle: bool
    expenses: bool


@dataclass(frozen=True, slots=True)
class Totals:
    signed_off: int
    signed_off_pence: int
    awaiting: int
    awaiting_pence: int  # as booked: the sessions' rates
    queried: int
    queried_pence: int
    expenses_pence: int


def shown_as(member: Member | None, row: SignOffRow) -> Row:
    coordinator = member is None or member.is_coordinator
    manages = coordinator or (member is not None and f"practice:{row.signoff.practice}" in member.roles)
    own = member is not None and member.id == row.signoff.member_id
    state = row.signoff.state
    return Row(
        row=row,
        manages=manages,
        sign=state == "awaiting" and manages and not own,
        settle=state == "queried" and coordinator and not own,
        expenses=own,
    )


def totals_of(rows: list[SignOffRow]) -> Totals:
    def of(state: str) -> list[SignOffRow]:
        return [r for r in rows if r.signoff.state == state]

    signed, awaiting, queried = of("signed_off"), of("awaiting"), of("queried")
    return Totals(
        signed_off=len(signed),
        signed_off_pence=sum(r.signoff.pay_pence or 0 for r in signed),
        awaiting=len(awaiting),
        awaiting_pence=sum(r.session.rate_pence for r in awaiting),
        queried=len(queried),
        queried_pence=sum(r.session.rate_pence for r in queried),
        expenses_pence=sum(r.expenses_pence for r in rows),
    )


def routes(console: Console) -> list[Route]:
    pool = console.pool
    engine = pool.engine

    def today() -> date:
        return london_date(pool.clock.now())

    def problem(request: Request, signed: SignedIn, status: int, title: str, message: str) -> Response:
        return page(request, "problem.html", status=status, signed=signed, nav="pay", title=title,
                    message=message)  # fmt: skip

    def no_month(request: Request, signed: SignedIn) -> Response:
        message = f"Ask for a month by its year and number, like 2026-12, from {FIRST_YEAR} to {LAST_YEAR}."
        return problem(request, signed, 400, "No such month", message)

    async def show(
        request: Request,
        signed: SignedIn,
        month: date,
        state: str,
        *,
        status: int = 200,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        acted_on: str = "",
    ) -> Response:
        try:
            rows: list[SignOffRow] = await engine.query(ListSignOffs(month, by_of(signed)), actor_of(signed))
        except Refused as refusal:
            return problem(request, signed, 403, "Hours and pay", refusal.message)
        member = signed.member
        # The row acted on stays in view whatever the filter, so its error is beside it.
        listed = [r for r in rows if not state or r.signoff.state == state or r.session.code == acted_on]
        shown = [shown_as(member, r) for r in listed]
        done = DONE.get(request.query_params.get("done", ""))
        code = request.query_params.get("code", "")
        done = done.format(code=code) if done and CODE.fullmatch(code) else None
        return page(
            request, "pay.html", status=status, signed=signed, nav="pay", title="Hours and pay",
            month=month, month_key=f"{month:%Y-%m}", previous=f"{previous_month(month):%Y-%m}",
            following=f"{next_month(month):%Y-%m}", state=state, states=STATES, rows=shown,
            total=len(rows), totals=totals_of(rows), done=done,
            acting=any(r.sign or r.settle or r.expenses for r in shown),
            errors=errors or {}, values=values or {}, max_words=MAX_WORDS,
            mileage_pence=engine.policy.mileage_pence,
        )  # fmt: skip

    async def pay_page(request: Request) -> Response:
        signed = await console.require(request)
        month = month_of(request.query_params.get("month"), today())
        if month is None:
            return no_month(request, signed)
        state = request.query_params.get("state", "")
        return await show(request, signed, month, state if state in STATES else "")

    async def act(request: Request, action: str, make: Any) -> Response:
        """Run one row's form as its command: an unreadable field or a refusal is shown beside
        its field (the whole page again, nothing changed); done, back to the page as it was."""
        signed = await console.require(request)
        form = await console.form(request, signed)
        month = month_of(str(form.get("month") or ""), today()) or today().replace(day=1)
        state = str(form.get("state") or "")
        state = state if state in STATES else ""
        code = str(request.path_params["code"]).upper()
        if not CODE.fullmatch(code):
            return problem(request, signed, 404, "Session not found", f"No session has the code {code[:8]}.")
        values = {f"{name}-{code}": str(form.get(name) or "").strip()[:999] for name in NAMES if name in form}
        try:
            await engine.execute(make(code, form, by_of(signed)), actor_of(signed))
        except Unreadable as unread:
            errors = {f"{unread.field}-{code}": unread.message}
            return await show(request, signed, month, state, status=422, errors=errors, values=values,
                              acted_on=code)  # fmt: skip
        except Refused as refusal:
            if refusal.field == "role":
                return problem(request, signed, 403, "Not available", refusal.message)
            field = FIELDS[action].get(refusal.field or "", "row")
            try:
                rows = await engine.query(ListSignOffs(month, by_of(signed)), actor_of(signed))
            except Refused:
                rows = []
            if not any(r.session.code == code for r in rows):  # not one of this month's they see
                return problem(request, signed, 404, "Session not found", refusal.message)
            errors = {f"{field}-{code}": refusal.message}
            return await show(request, signed, month, state, status=422, errors=errors, values=values,
                              acted_on=code)  # fmt: skip
        back = {"month": f"{month:%Y-%m}", "state": state, "done": action, "code": code}
        back = {k: v for k, v in back.items() if v}
        return redirect(f"/pay?{urlencode(back)}#row-{code}")

    async def confirm(request: Request) -> Response:
        return await act(request, "confirm", lambda code, form, by: ConfirmHours(code, by, "console"))

    async def query(request: Request) -> Response:
        def make(code: str, form: FormData, by: int | None) -> QueryHours:
            text = " ".join(str(form.get("query") or "").split())
            if not text:
                raise Unreadable("query", "Say what is wrong with the hours, for a coordinator to settle.")
            if len(text) > MAX_WORDS:
                raise Unreadable("query", f"Keep the query to {MAX_WORDS} characters: it goes by text.")
            return QueryHours(code, text, by, "console")

        return await act(request, "query", make)

    async def settle(request: Request) -> Response:
        def make(code: str, form: FormData, by: int | None) -> SettleHours:
            hours = decimal_of(str(form.get("hours") or ""))
            if hours is None:
                raise Unreadable("hours", "Enter the hours agreed as a number, like 4 or 3.5.")
            given = str(form.get("pay") or "").strip()
            pay = pence_of(given) if given else None
            if given and pay is None:
                raise Unreadable(
                    "pay", "Enter the pay agreed in pounds and pence, like 320 or 320.50, or leave it empty."
                )
            note = " ".join(str(form.get("settle-note") or "").split())
            if len(note) > MAX_WORDS:
                raise Unreadable("settle-note", f"Keep the note to {MAX_WORDS} characters: it goes by text.")
            return SettleHours(code, hours, pay, note, by)

        return await act(request, "settle", make)

    async def mileage(request: Request) -> Response:
        def make(code: str, form: FormData, by: int | None) -> AddExpense:
            miles = decimal_of(str(form.get("miles") or ""))
            if miles is None:
                raise Unreadable("miles", "Enter the miles as a number, like 12 or 12.5.")
            return AddExpense(code, miles=miles, by=by, via="console")

        return await act(request, "mileage", make)

    async def expense(request: Request) -> Response:
        def make(code: str, form: FormData, by: int | None) -> AddExpense:
            pence = pence_of(str(form.get("amount") or ""))
            if pence is None:
                raise Unreadable("amount", "Enter the amount in pounds and pence, like 12.50.")
            note = " ".join(str(form.get("expense-note") or "").split())
            if not note:
                raise Unreadable("expense-note", "Say what the expense was for, like parking.")
            if len(note) > MAX_WORDS:
                raise Unreadable("expense-note", f"Keep the note to {MAX_WORDS} characters.")
            return AddExpense(code, amount_pence=pence, note=note, by=by, via="console")

        return await act(request, "expense", make)

    # -- timesheets -------------------------------------------------------------------------------

    async def timesheets_of(request: Request) -> tuple[SignedIn, date | None, Any]:
        """The month asked for and its timesheets (a list of TimesheetLine),
        or the refusal."""
        signed = await console.require(request)
        month = month_of(request.query_params.get("month"), today())
        if month is None:
            return signed, None, None
        try:
            return signed, month, await engine.query(BuildTimesheets(month, by_of(signed)), actor_of(signed))
        except Refused as refusal:
            return signed, month, refusal

    async def timesheets(request: Request) -> Response:
        signed, month, found = await timesheets_of(request)
        if month is None:
            return no_month(request, signed)
        refused = found.message if isinstance(found, Refused) else ""
        return page(
            request, "timesheets.html", status=403 if refused else 200, signed=signed, nav="pay",
            title="Timesheets", month=month, month_key=f"{month:%Y-%m}",
            previous=f"{previous_month(month):%Y-%m}", following=f"{next_month(month):%Y-%m}",
            lines=[] if refused else found, refused=refused,
        )  # fmt: skip

    async def download(request: Request) -> Response:
        signed, month, found = await timesheets_of(request)
        if month is None:
            return no_month(request, signed)
        if isinstance(found, Refused):
            return problem(request, signed, 403, "Timesheets", found.message)
        return Response(
            spreadsheet.text(timesheet_rows(found)),
            media_type="text/csv; charset=utf-8",
            headers={
                **SECURITY_HEADERS,
                "Content-Disposition": f'attachment; filename="timesheets-{month:%Y-%m}.csv"',
            },
        )

    return [
        Route("/pay", pay_page, methods=["GET"]),
        Route("/pay/timesheets", timesheets, methods=["GET"]),
        Route("/pay/timesheets.csv", download, methods=["GET"]),
        Route("/pay/{code}/confirm", confirm, methods=["POST"]),
        Route("/pay/{code}/query", query, methods=["POST"]),
        Route("/pay/{code}/settle", settle, methods=["POST"]),
        Route("/pay/{code}/mileage", mileage, methods=["POST"]),
        Route("/pay/{code}/expense", expense, methods=["POST"]),
    ]
