"""Invoices and credit notes: the list (newest first) with each one's state, its files (the
invoice as PDF or CSV, its Form A), and, as the role allows, *Mark paid*, *Cancel with a credit
note* and *Send* a draft; for coordinators, the overdue ones at the top and *Raise invoices now*.
Who sees which invoices and who may do what are the commands' (ListInvoices, MarkPaid,
CancelInvoice, SendInvoice, RaiseInvoices, InvoiceFile): this module reads forms and shows the
answers. Which forms a row offers is only a guess at what the commands allow; a form shown is no
promise. Bank details are printed on the invoice's PDF, for the practice to pay: no page shows
them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.console.auth import Console, actor_of, by_of, redirect
from adapters.console.views import attachment, page
from bot.clock import london_date
from bot.commands import CancelInvoice, InvoiceFile, ListInvoices, MarkPaid, RaiseInvoices, SendInvoice
from bot.domain import Member
from bot.errors import Refused
from bot.ports import InvoiceRow
from bot.ports.signin import SignedIn

# The filter: an invoice's state, or the credit notes (whose state is always "issued").
STATES = {
    "draft": "Draft",
    "sent": "Sent",
    "overdue": "Overdue",
    "paid": "Paid",
    "cancelled": "Cancelled",
    "credit_notes": "Credit notes",
}
NUMBER = re.compile(r"[0-9]{3,}-[0-9]{4}", re.ASCII)  # 012-0003: the person, then their invoice
MONTH_PERIOD = re.compile(r"[0-9]{4}-[0-9]{2}", re.ASCII)
PER_PAGE = 100
MAX_REASON = 40  # the core's too: the reason goes by text with the credit note
MAX_SHOWN_RAISED = 100  # the raised invoices named after "Raise invoices now" (the rest counted)
NAMES = ("paid_on", "reason")  # each row's form fields (their ids add the number: paid_on-012-0003)
FIELDS = {  # the command's field -> the form field's id (before the number); anything else: the row
    "paid": {"paid_on": "paid_on"},
    "cancel": {"reason": "reason"},
    "send": {},
}


class Unreadable(ValueError):
    """A form field the console cannot read as what it asks for (before any command runs)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Row:
    """An invoice or credit note as the page shows it, with what the person looking may do."""

    row: InvoiceRow
    period: str  # in words: January 2027, or Session BCDF
    credited_by: str | None  # a cancelled invoice: the credit note's number
    coordinator: bool  # the name links to the member's page
    pay: bool
    cancel: bool
    send: bool
    form_a: bool


@dataclass(frozen=True, slots=True)
class Overdue:
    row: InvoiceRow
    days: int  # since the due date (0: due today)


def shown_as(member: Member | None, row: InvoiceRow, credited_by: str | None) -> Row:
    found = row.invoice
    coordinator = member is None or member.is_coordinator
    own = member is not None and member.id == found.member_id
    manages = coordinator or (member is not None and f"practice:{found.practice}" in member.roles)
    invoice = found.kind == "invoice"
    return Row(
        row=row,
        period=period_words(found.period),
        credited_by=credited_by,
        coordinator=coordinator,
        pay=invoice and found.state in ("sent", "overdue") and (manages or own),
        cancel=invoice and found.state in ("draft", "sent", "overdue") and (coordinator or own),
        send=invoice and found.state == "draft" and (coordinator or own),
        form_a=invoice and found.pensions,
    )


def listed(rows: list[InvoiceRow], state: str) -> list[InvoiceRow]:
    if state == "credit_notes":
        return [r for r in rows if r.invoice.kind == "credit_note"]
    if state:
        return [r for r in rows if r.invoice.kind == "invoice" and r.invoice.state == state]
    return rows


def count_words(rows: list[InvoiceRow]) -> str:
    """'1 invoice', '2 invoices and 1 credit note', 'No invoices'."""
    credits = sum(r.invoice.kind == "credit_note" for r in rows)
    invoices = len(rows) - credits
    said = f"{invoices or 'No'} invoice{'' if invoices == 1 else 's'}"
    return said + (f" and {credits} credit note{'' if credits == 1 else 's'}" if credits else "")


def period_words(period: str) -> str:
    """'2027-01' -> 'January 2027'; a session's code -> 'Session BCDF'."""
    if MONTH_PERIOD.fullmatch(period):
        try:
            return f"{date.fromisoformat(period + '-01'):%B %Y}"
        except ValueError:
            return period
    return f"Session {period}"


def numbers_of(text: str) -> list[str]:
    """Invoice numbers from a query's comma-separated list; anything else left out."""
    return [n for n in text.split(",")[:MAX_SHOWN_RAISED] if NUMBER.fullmatch(n)]


def day_of(text: str) -> date | None:
    """'2027-02-10' -> that day; empty -> None (today, for the command)."""
    cleaned = text.strip()
    if not cleaned:
        return None
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", cleaned, re.ASCII):
        raise Unreadable("paid_on", "Enter the day it was paid as a date, like 2027-02-10.")
    try:
        return date.fromisoformat(cleaned)
    except ValueError:
        raise Unreadable("paid_on", "Enter the day it was paid as a real date, like 2027-02-10.") from None


def routes(console: Console) -> list[Route]:
    pool = console.pool
    engine = pool.engine

    def today() -> date:
        return london_date(pool.clock.now())

    def problem(request: Request, signed: SignedIn, status: int, title: str, message: str) -> Response:
        return page(request, "problem.html", status=status, signed=signed, nav="invoices", title=title,
                    message=message)  # fmt: skip

    def not_found(request: Request, signed: SignedIn, number: str) -> Response:
        return problem(request, signed, 404, "Invoice not found", f"No invoice has the number {number[:12]}.")

    def done_words(
        request: Request, rows: list[InvoiceRow], member: Member | None
    ) -> tuple[str | None, list[InvoiceRow] | None]:
        """What was just done, in words; after *Raise invoices now*, the invoices raised."""
        query = request.query_params
        done, number = query.get("done", ""), query.get("number", "")
        acted = next((r for r in rows if r.invoice.number == number), None)
        if done == "raised":
            wanted = numbers_of(query.get("numbers", ""))
            try:
                count = max(len(wanted), int(query.get("count", "0")))
            except ValueError:
                count = len(wanted)
            raised = [r for r in rows if r.invoice.number in wanted]
            if not count:
                return "Nothing to invoice: every signed-off session of those who invoice is invoiced.", []
            drafts = sum(r.invoice.state == "draft" for r in raised)
            words = f"Raised {count} invoice{'' if count == 1 else 's'}"
            if drafts:
                others = count - drafts
                words += (
                    f": {drafts} wait{'s' if drafts == 1 else ''} as {'a draft' if drafts == 1 else 'drafts'}"
                    " for an address or bank details (the person was told)"
                )
                if others:
                    words += f", the other{' was' if others == 1 else 's were'} sent"
            else:
                words += ", each sent to the practice and the person"
            return words + ".", raised
        if not NUMBER.fullmatch(number):
            return None, None
        if done == "paid":
            if acted is not None and (member is None or member.id != acted.invoice.member_id):
                return f"Invoice {number} is marked paid: {acted.member_name} is told.", None
            return f"Invoice {number} is marked paid.", None
        if done == "cancelled":
            credit = query.get("credit", "")
            if NUMBER.fullmatch(credit):
                sent = acted is not None and acted.invoice.sent_at is not None  # a draft went to nobody
                return (
                    f"Invoice {number} is cancelled by credit note {credit}: its sessions can be "
                    f"invoiced again.{' The practice and the person have been told.' if sent else ''}",
                    None,
                )
        if done == "sent":
            again = query.get("again", "")
            if NUMBER.fullmatch(again) and again != number:
                return (
                    f"Draft {number} was printed without the billing details, so it is cancelled by a "
                    f"credit note and issued again, complete, as invoice {again}: sent to the practice "
                    "and the person.",
                    None,
                )
            return f"Invoice {number} is sent to the practice and the person.", None
        return None, None

    async def show(
        request: Request,
        signed: SignedIn,
        state: str,
        number: int,
        *,
        status: int = 200,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        acted_on: str = "",
    ) -> Response:
        try:
            rows: list[InvoiceRow] = await engine.query(ListInvoices(by_of(signed)), actor_of(signed))
        except Refused as refusal:
            return problem(request, signed, 403, "Invoices", refusal.message)
        member = signed.member
        coordinator = member is None or member.is_coordinator
        credited = {r.credits: r.invoice.number for r in rows if r.credits}
        found = listed(rows, state)
        last = max(1, -(-len(found) // PER_PAGE))
        number = min(max(1, number), last)
        on_page = found[(number - 1) * PER_PAGE : number * PER_PAGE]
        # The row acted on stays in view whatever the filter or page, so its error is beside it.
        if acted_on and not any(r.invoice.number == acted_on for r in on_page):
            on_page = [r for r in rows if r.invoice.number == acted_on] + on_page
        shown = [shown_as(member, r, credited.get(r.invoice.number)) for r in on_page]
        day = today()
        overdue = (
            sorted(
                (
                    Overdue(r, (day - r.invoice.due_on).days if r.invoice.due_on else 0)
                    for r in rows
                    if r.invoice.kind == "invoice" and r.invoice.state == "overdue"
                ),
                key=lambda o: (-o.days, o.row.invoice.number),
            )
            if coordinator
            else []
        )
        done, raised = done_words(request, rows, member)
        if coordinator or member is None:  # (None: the admin, a coordinator)
            whose = "Every invoice and credit note in the pool."
        else:
            managed = [r for r in member.roles if r.startswith("practice:")]
            parts = (["you issued"] if member.is_clinician else []) + (
                [f"sent to your practice{'s' if len(managed) > 1 else ''}"] if managed else []
            )
            whose = f"The invoices and credit notes {' and those '.join(parts)}."
        query = urlencode({"state": state} if state else {})
        return page(
            request, "invoices.html", status=status, signed=signed, nav="invoices", title="Invoices",
            rows=shown, counted=count_words(rows), found=len(found), state=state, states=STATES,
            overdue=overdue,
            overdue_pence=sum(o.row.invoice.total_pence for o in overdue), coordinator_view=coordinator,
            done=done, raised=raised, today=day, whose=whose, invoice_days=engine.policy.invoice_days,
            number=number, last=last, query=query,
            acting=any(r.pay or r.cancel or r.send for r in shown),
            errors=errors or {}, values=values or {}, max_reason=MAX_REASON,
        )  # fmt: skip

    def page_number(text: str) -> int:
        try:
            return max(1, int(text))
        except ValueError:
            return 1

    async def invoices_page(request: Request) -> Response:
        signed = await console.require(request)
        state = request.query_params.get("state", "")
        number = page_number(request.query_params.get("page", "1")[:6])
        return await show(request, signed, state if state in STATES else "", number)

    async def act(request: Request, action: str, make: Any) -> Response:
        """Run one row's form as its command: an unreadable field or a refusal is shown beside
        its field (the whole page again, nothing changed); done, back to the page as it was."""
        signed = await console.require(request)
        form = await console.form(request, signed)
        state = str(form.get("state") or "")
        state = state if state in STATES else ""
        number = page_number(str(form.get("page") or "1")[:6])
        invoice = str(request.path_params["number"])
        if not NUMBER.fullmatch(invoice):
            return not_found(request, signed, invoice)
        values = {
            f"{name}-{invoice}": str(form.get(name) or "").strip()[:200] for name in NAMES if name in form
        }
        try:
            result = await engine.execute(make(invoice, form, by_of(signed)), actor_of(signed))
        except Unreadable as unread:
            errors = {f"{unread.field}-{invoice}": unread.message}
            return await show(request, signed, state, number, status=422, errors=errors, values=values,
                              acted_on=invoice)  # fmt: skip
        except Refused as refusal:
            if refusal.field == "role":
                return problem(request, signed, 403, "Not available", refusal.message)
            try:
                rows = await engine.query(ListInvoices(by_of(signed)), actor_of(signed))
            except Refused:
                rows = []
            if not any(r.invoice.number == invoice for r in rows):  # not one they see
                return problem(request, signed, 404, "Invoice not found", refusal.message)
            field = FIELDS[action].get(refusal.field or "", "row")
            errors = {f"{field}-{invoice}": refusal.message}
            return await show(request, signed, state, number, status=422, errors=errors, values=values,
                              acted_on=invoice)  # fmt: skip
        done = {"paid": "paid", "cancel": "cancelled", "send": "sent"}[action]
        back = {"state": state, "page": str(number) if number > 1 else "", "done": done, "number": invoice}
        if action == "cancel":
            back["credit"] = result.number
        elif action == "send":
            back["again"] = result.number
        back = {k: v for k, v in back.items() if v}
        anchor = result.number if action == "send" else invoice  # a draft reissued has a new number
        return redirect(f"/invoices?{urlencode(back)}#invoice-{anchor}")

    async def paid(request: Request) -> Response:
        def make(number: str, form: FormData, by: int | None) -> MarkPaid:
            return MarkPaid(number, day_of(str(form.get("paid_on") or "")), by, "console")

        return await act(request, "paid", make)

    async def cancel(request: Request) -> Response:
        def make(number: str, form: FormData, by: int | None) -> CancelInvoice:
            reason = " ".join(str(form.get("reason") or "").split())
            if not reason:
                raise Unreadable("reason", "Say why it is cancelled: the credit note and the texts say so.")
            if len(reason) > MAX_REASON:
                raise Unreadable("reason", f"Keep the reason to {MAX_REASON} characters: it goes by text.")
            return CancelInvoice(number, reason, by)

        return await act(request, "cancel", make)

    async def send(request: Request) -> Response:
        return await act(request, "send", lambda number, form, by: SendInvoice(number, by))

    async def raise_now(request: Request) -> Response:
        signed = await console.require(request)
        await console.form(request, signed)
        try:
            raised = await engine.execute(RaiseInvoices(by=by_of(signed)), actor_of(signed))
        except Refused as refusal:
            status = 403 if refusal.field == "role" else 422
            return problem(request, signed, status, "Invoices not raised", refusal.message)
        numbers = [i.number for i in raised]
        back = {"done": "raised", "count": str(len(numbers)), "numbers": ",".join(numbers[:MAX_SHOWN_RAISED])}
        return redirect(f"/invoices?{urlencode(back)}")

    async def file(request: Request, form: str, fmt: str) -> Response:
        signed = await console.require(request)
        number = str(request.path_params["number"])
        if not NUMBER.fullmatch(number):
            return not_found(request, signed, number)
        try:
            name, media_type, content = await engine.query(
                InvoiceFile(number, form, fmt, by_of(signed)), actor_of(signed)
            )
        except Refused as refusal:
            status = 403 if refusal.field == "role" else 404
            return problem(request, signed, status, "Not available", refusal.message)
        return attachment(name, media_type, content)

    async def pdf(request: Request) -> Response:
        return await file(request, "invoice", "pdf")

    async def csv(request: Request) -> Response:
        return await file(request, "invoice", "csv")

    async def form_a(request: Request) -> Response:
        return await file(request, "form_a", "pdf")

    return [
        Route("/invoices", invoices_page, methods=["GET"]),
        Route("/invoices/raise", raise_now, methods=["POST"]),
        Route("/invoices/{number}.pdf", pdf, methods=["GET"]),
        Route("/invoices/{number}.csv", csv, methods=["GET"]),
        Route("/invoices/{number}/form-a.pdf", form_a, methods=["GET"]),
        Route("/invoices/{number}/paid", paid, methods=["POST"]),
        Route("/invoices/{number}/cancel", cancel, methods=["POST"]),
        Route("/invoices/{number}/send", send, methods=["POST"]),
    ]
