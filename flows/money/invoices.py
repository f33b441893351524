"""Invoices the practice can pay, from the hours it signed off, with nothing typed twice.

For people who invoice (``self_employed`` and ``limited_company``): on the 1st of each month,
one invoice a person a practice for the previous month's signed-off sessions (and any earlier
ones signed off late), or, for those who invoice by session, one as each session is signed
off. Numbered without gaps per person (``012-0003``: the person, then their invoice), never
edited or deleted: a wrong one is cancelled by a credit note, which releases its sessions to be
invoiced again. What was printed is kept whole with the invoice.

An invoice prints both parties' names and addresses, the person's registration number, their
bank details (only ever on their own invoices), each session's date, times, hours and fee,
expenses (never pensionable), and, where the GP pensions the work, the employer contribution
charged on top (14.38% of 90% of the fees) with its Form A. It is sent as an expiring link to
the practice (its managers in the pool, else the coordinators) and to the person; without an
address or bank details it waits as a draft until they are added.

States: draft, sent, paid, overdue, cancelled (a credit note is "issued"). ``PAID 012-0003`` by
text (the person, a manager of the practice, a coordinator), or the CLI, API or console, marks
it paid on the day. Unpaid by its due day (POOL_INVOICE_DAYS after issue), it is overdue the
next morning: the practice is reminded; a week on, the coordinators are told.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from pypdf import PdfWriter

from bot import spreadsheet
from bot.calendar import at_london, month_bounds, next_month
from bot.clock import LONDON, london_date
from bot.commands import (
    CancelInvoice,
    InvoiceFile,
    ListInvoices,
    MarkPaid,
    OpenDocumentLink,
    RaiseInvoices,
    SendInvoice,
)
from bot.documents import (
    BankDetails,
    FormA,
    FormAPeriod,
    InvoiceDocument,
    InvoiceLine,
    Party,
    form_a_to_json,
    invoice_from_json,
    invoice_to_json,
)
from bot.domain import Billing, Invoice, Member, Outbound, Practice
from bot.engine import Engine, Turn
from bot.errors import Refused
from bot.pensions import pensions_the_work, scheme_year, scheme_year_name, window_closes
from bot.ports import InvoiceRow, SignOffRow, TimerRow
from flows.conversation.messages import clock_time, render
from flows.money import forms, pdf
from flows.money.links import document_link, token_hash
from flows.money.recipients import signers_of, tell_coordinators
from flows.people import roles

RUN_TIMER = "invoices_monthly"  # the 1st of each month: a job for each person who invoices
PERSON_TIMER = "invoices_person"  # subject: the member's id; their invoices, then their Form B
DUE_TIMER = "invoice_due"  # subject: the invoice's id
ESCALATE_TIMER = "invoice_unpaid"
RUN_AT = time(9, 0)
ESCALATE_AFTER = timedelta(days=7)
INVOICING = ("self_employed", "limited_company")
NUMBER = re.compile(r"^\d{3,}-\d{4}$")
VAT_NOTE = (
    "No VAT is charged: medical services by a registered practitioner are exempt (HMRC VAT Notice 701/57)."
)
MAX_REASON = 40  # the reason on a credit note, as it goes by text


def register(engine: Engine) -> None:
    engine.on_standing(RUN_TIMER, monthly_run, next_run)
    engine.on_timer(PERSON_TIMER, person_month)
    engine.on_timer(DUE_TIMER, on_due)
    engine.on_timer(ESCALATE_TIMER, on_unpaid)
    engine.on_command(RaiseInvoices, raise_command)
    engine.on_command(SendInvoice, send_command)
    engine.on_command(MarkPaid, paid_command)
    engine.on_command(CancelInvoice, cancel_command)
    engine.on_command(ListInvoices, list_command)
    engine.on_command(InvoiceFile, file_command)
    engine.on_command(OpenDocumentLink, open_link)


# -- raising ------------------------------------------------------------------------------------


def next_run(now: datetime) -> datetime:
    """09:00 on the 1st of next month (or of this one, on the 1st before nine)."""
    today = london_date(now)
    due = at_london(today.replace(day=1), RUN_AT)
    return due if due > now else at_london(next_month(today), RUN_AT)


async def monthly_run(turn: Turn, timer: TimerRow) -> None:
    """The 1st: a job of its own for each person who invoices or pensions, so one person's
    trouble (a failure in their unit of work) never holds back anyone else's month."""
    today = london_date(turn.now)
    month = today.replace(day=1)
    for member in await turn.uow.members.all_members():
        pensions = pensions_the_work(member.engagement, member.profession, member.pension_sd_number)
        if member.is_clinician and (member.engagement in INVOICING or pensions):
            await turn.uow.timers.add_timer(
                PERSON_TIMER, str(member.id), turn.now, {"month": month.isoformat()}, turn.now
            )
    await turn.uow.timers.add_timer(
        RUN_TIMER, "pool", next_run(turn.now + timedelta(minutes=1)), {}, turn.now
    )


async def person_month(turn: Turn, timer: TimerRow) -> None:
    """One person's 1st: their invoices for the months before, then last month's Form B."""
    member = await turn.uow.members.member(int(timer.subject))
    if member is None:
        return
    month = date.fromisoformat(timer.payload["month"])
    if member.engagement in INVOICING:
        await raise_invoices(turn, before=month, only=member)
    await forms.remind_form_b(turn, last_month=(month - timedelta(days=1)).replace(day=1), only=member)


async def raise_invoices(turn: Turn, before: date, only: Member | None) -> list[Invoice]:
    """Every signed-off session started before ``before`` and not yet invoiced, and every
    expense not yet invoiced (one claimed after its session's invoice went), of people who
    invoice: grouped a person a practice a month (or a session), and invoiced."""
    start, _ = month_bounds(before)
    rows = await turn.uow.pay.signoff_rows(
        start=datetime(2000, 1, 1, tzinfo=start.tzinfo),
        end=start,
        states=("signed_off",),
        member_id=only.id if only else None,
    )
    rows = [r for r in rows if r.engagement in INVOICING]
    done = await turn.uow.invoices.invoiced_sessions(r.session.id for r in rows)
    billed = await turn.uow.invoices.invoiced_expenses(e.id for r in rows for e in r.expenses)
    groups: dict[tuple[int, str, str], list[SignOffRow]] = defaultdict(list)
    members: dict[int, Member] = {}
    for row in rows:
        if row.session.id in done and all(e.id in billed for e in row.expenses):
            continue
        member = members.get(row.signoff.member_id) or await turn.uow.members.member(row.signoff.member_id)
        assert member is not None
        members[member.id] = member
        by_session = member.invoice_by == "session"
        period = row.session.code if by_session else f"{london_date(row.session.starts_at):%Y-%m}"
        groups[(member.id, row.session.practice, period)].append(row)
    raised = []
    for (member_id, _, period), theirs in sorted(groups.items()):
        raised.append(await invoice(turn, members[member_id], theirs, period))
    return raised


async def after_signoff(turn: Turn, session_id: int) -> None:
    """Someone who invoices by session: their invoice goes as the hours are agreed."""
    signoff = await turn.uow.pay.signoff(session_id)
    if signoff is None or signoff.state != "signed_off":
        return
    member = await turn.uow.members.member(signoff.member_id)
    if member is None or member.invoice_by != "session" or member.engagement not in INVOICING:
        return
    session = await turn.uow.sessions.session(session_id)
    assert session is not None
    day = london_date(session.starts_at)
    start, end = month_bounds(day)
    rows = [
        r
        for r in await turn.uow.pay.signoff_rows(start=start, end=end, member_id=member.id)
        if r.session.id == session_id
    ]
    if rows and not await turn.uow.invoices.invoiced_sessions([session_id]):
        await invoice(turn, member, rows, session.code)


async def invoice(turn: Turn, member: Member, rows: list[SignOffRow], period: str) -> Invoice:
    """One invoice for these sessions (one practice): the fees of those not yet invoiced and the
    expenses not yet billed; sent unless the details it prints are missing. Work past its
    10-week window by the day of issue is not pensioned (no employer contribution, not on the
    Form A)."""
    practice = await turn.uow.practices.practice(rows[0].session.practice)
    assert practice is not None
    billing = await turn.uow.invoices.billing(member.id) or Billing(member.id)
    on_invoices = await turn.uow.invoices.invoiced_sessions(r.session.id for r in rows)
    fees = [r for r in rows if r.session.id not in on_invoices]
    expenses = [e for r in rows for e in r.expenses]
    billed = await turn.uow.invoices.invoiced_expenses(e.id for e in expenses)
    expenses = [e for e in expenses if e.id not in billed]
    today = london_date(turn.now)
    fee = sum(r.signoff.pay_pence or 0 for r in fees)
    spent = sum(e.amount_pence for e in expenses)
    pensioner = pensions_the_work(member.engagement, member.profession, member.pension_sd_number)
    in_window = [r for r in fees if pensioner and window_closes(london_date(r.session.starts_at)) >= today]
    too_late = [r for r in fees if pensioner and r not in in_window]
    pensions = bool(in_window)
    pensionable = turn.policy.pensions.pensionable(sum(r.signoff.pay_pence or 0 for r in in_window))
    employer = turn.policy.pensions.employer(pensionable) if pensions else 0
    pensionable = pensionable if pensions else 0
    due = today + timedelta(days=turn.policy.invoice_days)
    _, number = await turn.uow.invoices.next_number(member.id)
    lines = [
        InvoiceLine(
            day=london_date(r.session.starts_at),
            description=f"{_who(member)} session {r.session.code}",
            amount_pence=r.signoff.pay_pence or 0,
            times=f"{clock_time(r.session.starts_at)}-{clock_time(r.session.ends_at)}",
            hours=r.signoff.hours,
        )
        for r in fees
    ]
    by_session = {r.session.id: r.session for r in rows}
    for expense in expenses:
        what = (
            f"Mileage: {expense.miles:g} miles at {turn.policy.mileage_pence}p"
            if expense.miles
            else expense.note
        )
        day = london_date(by_session[expense.session_id].starts_at)
        late = (
            ""
            if expense.session_id not in on_invoices
            else f", session {by_session[expense.session_id].code}"
        )
        lines.append(
            InvoiceLine(day=day, description=f"{what} (expense{late})", amount_pence=expense.amount_pence)
        )
    notes = [VAT_NOTE, f"Payment due within {turn.policy.invoice_days} days, by {due:%-d %B %Y}."]
    if pensions:
        notes.append(
            f"Pensionable pay {_pounds(pensionable)} (90% of the fees); the employer pension contribution "
            "is paid to the GP, who sends it to PCSE with their Form B. Form A for the practice to certify "
            "follows this invoice."
        )
    if too_late:
        days = ", ".join(f"{london_date(r.session.starts_at):%-d %b}" for r in too_late)
        notes.append(f"Work on {days} is more than 10 weeks old, so it cannot be pensioned.")
    document = InvoiceDocument(
        number=number, kind="invoice", issued_on=today, due_on=due, period=_period_words(period, rows),
        supplier=_supplier(member, billing), customer=_customer(practice), lines=tuple(lines), fee_pence=fee,
        expenses_pence=spent, employer_pence=employer, total_pence=fee + spent + employer,
        pensionable_pence=pensionable, bank=_bank(billing), notes=tuple(notes),
    )  # fmt: skip
    form_a = None
    if pensions:
        assert member.pension_sd_number is not None
        first = min(london_date(r.session.starts_at) for r in in_window)
        form_a = FormA(
            scheme_year=scheme_year_name(scheme_year(first)), upr=None, name=member.name,
            sd_number=member.pension_sd_number, registration_number=member.registration_number or "",
            address=billing.address, practice_name=practice.name, practice_code=practice.ods_code,
            invoice_number=number,
            periods=tuple(FormAPeriod(london_date(r.session.starts_at), london_date(r.session.starts_at),
                                      r.signoff.pay_pence or 0) for r in in_window),
            fee_pence=sum(r.signoff.pay_pence or 0 for r in in_window), pensionable_pence=pensionable,
            employer_pence=employer,
        )  # fmt: skip
    ready = bool(billing.address) and billing.has_bank
    found = await turn.uow.invoices.add_invoice(
        member_id=member.id, practice=practice.ods_code, kind="invoice", period=period, issued_on=today,
        due_on=due, state="sent" if ready else "draft", fee_pence=fee, expenses_pence=spent,
        pensionable_pence=pensionable, employer_pence=employer, total_pence=fee + spent + employer,
        pensions=pensions, document=invoice_to_json(document), credits=None,
        lines=[(r.session.id, None, r.signoff.pay_pence or 0) for r in fees]
        + [(e.session_id, e.id, e.amount_pence) for e in expenses],
        now=turn.now, form_a=form_a_to_json(form_a) if form_a else None,
    )  # fmt: skip
    assert found.number == number
    await turn.audit("invoice_raised", f"invoice:{found.id}", None, total_pence=found.total_pence)
    if ready:
        await _send(turn, found, member, practice)
    else:
        missing = " and ".join(
            what
            for what, lacking in (("address", not billing.address), ("bank details", not billing.has_bank))
            if lacking
        )
        turn.say(
            Outbound(
                text=render("invoice_draft", invoice=found, practice=practice, missing=missing),
                member_id=member.id,
                kind="invoice_draft",
                topic=f"invoice:{found.id}",
            )
        )
    return found


async def _send(turn: Turn, found: Invoice, member: Member, practice: Practice) -> None:
    """The practice and the person each get a link; the due date is watched."""
    await turn.uow.invoices.change_state(
        found.id, "sent", expect=("draft", "sent"), now=turn.now, field="sent_at"
    )
    signers, _ = await signers_of(turn, practice, worker=member.id)
    await _with_links(turn, signers, "invoice_to_practice", found, found, practice=practice, gp=member)
    await _with_links(turn, [member], "invoice_to_gp", found, found, practice=practice)
    assert found.due_on is not None
    # Due "by" its day: overdue from the next morning.
    overdue_from = at_london(found.due_on + timedelta(days=1), time(10, 0))
    await turn.uow.timers.add_timer(DUE_TIMER, str(found.id), overdue_from, {}, turn.now)


async def _with_links(
    turn: Turn, people: list[Member], template: str, about: Invoice, opens: Invoice, **values: object
) -> None:
    """``template`` about an invoice to each of ``people``, each with a link of their own to
    the document ``opens`` (the invoice, or the credit note that cancels it)."""
    for person in people:
        link = await document_link(turn, "invoice", str(opens.id))
        turn.say(
            Outbound(
                text=render(template, invoice=about, link=link, **values),
                member_id=person.id,
                kind=template,
                topic=f"invoice:{about.id}",
            )
        )


# -- links ---------------------------------------------------------------------------------------


async def open_link(turn: Turn, command: OpenDocumentLink) -> tuple[str, str, bytes]:
    found = await turn.uow.invoices.link(token_hash(command.token)) if len(command.token) <= 64 else None
    if found is None or found[2] <= turn.now:
        raise Refused("This link is not known or has expired: ask for the document again.", field="token")
    kind, ref, _ = found
    if kind == "form_b":
        member_id, month = ref.split(":")
        member = await turn.uow.members.member(int(member_id))
        assert member is not None
        return await forms.form_b_file(turn, member, date.fromisoformat(f"{month}-01"))
    invoice_found = await turn.uow.invoices.invoice(int(ref))
    assert invoice_found is not None
    return await _file(turn, invoice_found, "invoice" if kind == "invoice" else "form_a", "pdf")


# -- the document -------------------------------------------------------------------------------


def _who(member: Member) -> str:
    return "GP" if member.profession == "gp" else member.profession.replace("_", " ").capitalize()


def _pounds(pence: int) -> str:
    return f"£{pence / 100:,.2f}"


def _period_words(period: str, rows: list[SignOffRow]) -> str:
    if re.fullmatch(r"\d{4}-\d{2}", period):
        return f"{date.fromisoformat(period + '-01'):%B %Y}"
    session = rows[0].session
    return f"Session {session.code}, {london_date(session.starts_at):%a %-d %b %Y}"


def _supplier(member: Member, billing: Billing) -> Party:
    details = []
    if member.registration_number:
        details.append(f"Registration: {member.registration_number}")
    if billing.company_name:
        details.append(f"Company number: {billing.company_number}" if billing.company_number else "")
        return Party(
            billing.company_name, billing.address, (f"{member.name}, director", *filter(None, details))
        )
    return Party(member.name, billing.address, (*details, *([member.email] if member.email else [])))


def _customer(practice: Practice) -> Party:
    address = tuple(part.strip() for part in (practice.address or "").split(",") if part.strip())
    return Party(practice.name, address, (f"ODS code {practice.ods_code}",))


def _bank(billing: Billing) -> BankDetails | None:
    if not billing.has_bank:
        return None
    return BankDetails(billing.account_name, billing.sort_code, billing.account_number)


async def _file(turn: Turn, found: Invoice, form: str, fmt: str) -> tuple[str, str, bytes]:
    document = invoice_from_json(await turn.uow.invoices.document(found.id))
    if form == "form_a":
        if not found.pensions:
            raise Refused(f"Invoice {found.number} is not pensioned, so it has no Form A.", field="form")
        return (
            f"form-a-{found.number}.pdf",
            "application/pdf",
            pdf.form_a_pdf(await forms.form_a(turn, found)),
        )
    if fmt == "csv":
        return f"invoice-{found.number}.csv", "text/csv; charset=utf-8", _csv(document).encode()
    content = pdf.invoice_pdf(document)
    if found.pensions and found.kind == "invoice":  # its Form A follows, for the practice to certify
        content = _joined(content, pdf.form_a_pdf(await forms.form_a(turn, found)))
    return f"invoice-{found.number}.pdf", "application/pdf", content


def _joined(*parts: bytes) -> bytes:
    writer = PdfWriter()
    for part in parts:
        writer.append(io.BytesIO(part))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _csv(document: InvoiceDocument) -> str:
    rows: list[tuple[object, ...]] = [("number", "date", "description", "times", "hours", "amount_pence")]
    rows += [
        (document.number, line.day.isoformat(), line.description, line.times,
         "" if line.hours is None else f"{line.hours:g}", line.amount_pence)
        for line in document.lines
    ]  # fmt: skip
    rows += [
        (document.number, "", "fees", "", "", document.fee_pence),
        (document.number, "", "expenses", "", "", document.expenses_pence),
        (document.number, "", "employer pension contribution", "", "", document.employer_pence),
        (document.number, "", "total", "", "", document.total_pence),
    ]
    return spreadsheet.text(rows)


# -- who may ------------------------------------------------------------------------------------


def _current(turn: Turn, by: Member | None) -> bool:
    """Still in the pool (a manager who has left keeps no say over the practice's invoices)."""
    return by is None or by.left_on is None or by.left_on > london_date(turn.now)


async def _may_see(turn: Turn, found: Invoice, by: Member | None) -> None:
    """Coordinators, the person it is from, a manager of the practice it is to (still in the
    pool)."""
    if by is not None and by.id == found.member_id:
        return
    if _current(turn, by) and (roles.is_coordinator(by) or roles.manages(by, found.practice)):
        return
    raise Refused("Sorry, you can only see your own invoices, or your practice's.", field="role")


async def _by_number(turn: Turn, number: str) -> Invoice:
    found = await turn.uow.invoices.invoice_by_number(number.strip())
    if found is None:
        raise Refused(f"No invoice has the number {number.strip()[:20]}.", field="number")
    return found


# -- commands -----------------------------------------------------------------------------------


async def raise_command(turn: Turn, command: RaiseInvoices) -> list[Invoice]:
    turn.by = command.by
    by = await roles.actor(turn, command.by)
    only = None
    if command.phone is not None:
        only = await roles.member_by_phone(turn, command.phone)
    if not roles.is_coordinator(by):
        assert by is not None
        if only is not None and only.id != by.id:
            raise Refused("Sorry, only coordinators raise other people's invoices.", field="role")
        only = by
    before = command.before or london_date(turn.now).replace(day=1)
    return await raise_invoices(turn, before, only)


async def send_command(turn: Turn, command: SendInvoice) -> Invoice:
    turn.by = command.by
    by = await roles.actor(turn, command.by)
    found = await _by_number(turn, command.number)
    if not (roles.is_coordinator(by) or (by is not None and by.id == found.member_id)):
        raise Refused("Sorry, only the person or a coordinator can send their invoice.", field="role")
    if found.state != "draft":
        raise Refused(f"Invoice {found.number} is {found.state}, not a draft.", field="number")
    billing = await turn.uow.invoices.billing(found.member_id) or Billing(found.member_id)
    if not (billing.address and billing.has_bank):
        raise Refused(
            "Add the address and bank details first: they are printed on the invoice.", field="number"
        )
    # A draft was printed without the details it lacked, and with the day it was made: cancel
    # it by a credit note and issue its own sessions and expenses again, whole, dated today.
    member = await turn.uow.members.member(found.member_id)
    assert member is not None
    sessions = set(await turn.uow.invoices.sessions_of(found.id))
    await _credit(turn, found, "reissued with the person's details")
    rows = [
        r
        for r in await turn.uow.pay.signoff_rows(
            start=datetime(2000, 1, 1, tzinfo=LONDON), end=datetime(2100, 1, 1, tzinfo=LONDON),
            states=("signed_off",), member_id=member.id,
        )
        if r.session.id in sessions
    ]  # fmt: skip
    return await invoice(turn, member, rows, found.period)


async def paid_command(turn: Turn, command: MarkPaid) -> Invoice:
    turn.by = command.by
    by = await roles.actor(turn, command.by)
    found = await _by_number(turn, command.number)
    await _may_see(turn, found, by)
    return await _mark_paid(turn, found, command.paid_on or london_date(turn.now))


async def _mark_paid(turn: Turn, found: Invoice, paid_on: date) -> Invoice:
    if found.kind != "invoice" or found.state not in ("sent", "overdue"):
        raise Refused(
            f"Invoice {found.number} is {found.state}: only a sent invoice is paid.", field="number"
        )
    if paid_on > london_date(turn.now) or paid_on < found.issued_on:
        raise Refused("The day paid must be between the invoice's date and today.", field="paid_on")
    await turn.uow.invoices.mark_paid(found.id, paid_on, turn.acting_member_id, turn.now)
    await turn.uow.timers.cancel_timers(DUE_TIMER, str(found.id))
    await turn.uow.timers.cancel_timers(ESCALATE_TIMER, str(found.id))
    await turn.audit("invoice_paid", f"invoice:{found.id}", None, paid_on=paid_on.isoformat())
    practice = await turn.uow.practices.practice(found.practice)
    assert practice is not None
    if turn.acting_member_id != found.member_id:
        turn.say(
            Outbound(
                text=render("invoice_paid_gp", invoice=found, practice=practice, paid_on=paid_on),
                member_id=found.member_id,
                kind="invoice_paid",
                topic=f"invoice:{found.id}",
            )
        )
    updated = await turn.uow.invoices.invoice(found.id)
    assert updated is not None
    return updated


async def paid_by_text(turn: Turn, argument: str) -> bool:
    """PAID 012-0003: False when the words are not an invoice number (read as any message)."""
    assert turn.member is not None
    number = argument.strip().upper()
    if not NUMBER.match(number):
        return False
    found = await turn.uow.invoices.invoice_by_number(number)
    try:
        if found is None:
            raise Refused(f"No invoice has the number {number}.")
        await _may_see(turn, found, turn.member)
        updated = await _mark_paid(turn, found, london_date(turn.now))
    except Refused as refusal:
        turn.reply(render("invoice_not_paid", reason=refusal.message), kind="invoice_not_paid")
        return True
    turn.reply(render("invoice_paid_noted", invoice=updated), kind="invoice_paid_noted")
    return True


async def cancel_command(turn: Turn, command: CancelInvoice) -> Invoice:
    turn.by = command.by
    by = await roles.actor(turn, command.by)
    found = await _by_number(turn, command.number)
    if not (roles.is_coordinator(by) or (by is not None and by.id == found.member_id)):
        raise Refused("Sorry, only the person or a coordinator can cancel their invoice.", field="role")
    reason = " ".join(command.reason.split())
    if len(reason) > MAX_REASON:
        raise Refused(f"Keep the reason to {MAX_REASON} characters: it goes by text.", field="reason")
    return await _credit(turn, found, reason)


async def _credit(turn: Turn, found: Invoice, reason: str) -> Invoice:
    """Cancel by a credit note: the next number, the same lines negated; the sessions and
    expenses may be invoiced again."""
    if found.kind != "invoice" or found.state not in ("draft", "sent", "overdue"):
        raise Refused(f"Invoice {found.number} is {found.state}: it cannot be cancelled.", field="number")
    if not await turn.uow.invoices.change_state(
        found.id, "cancelled", expect=("draft", "sent", "overdue"), now=turn.now, field="cancelled_at"
    ):
        raise Refused(f"Invoice {found.number} changed meanwhile: try again.", field="number")
    await turn.uow.invoices.release_lines(found.id)
    await turn.uow.timers.cancel_timers(DUE_TIMER, str(found.id))
    await turn.uow.timers.cancel_timers(ESCALATE_TIMER, str(found.id))
    original = invoice_from_json(await turn.uow.invoices.document(found.id))
    _, number = await turn.uow.invoices.next_number(found.member_id)
    today = london_date(turn.now)
    note = f"Cancels invoice {found.number}" + (f": {reason}." if reason else ".")
    document = InvoiceDocument(
        number=number, kind="credit_note", issued_on=today, due_on=None, period=original.period,
        supplier=original.supplier, customer=original.customer,
        lines=tuple(InvoiceLine(line.day, line.description, -line.amount_pence, line.times, line.hours)
                    for line in original.lines),
        fee_pence=-original.fee_pence, expenses_pence=-original.expenses_pence,
        employer_pence=-original.employer_pence, total_pence=-original.total_pence,
        pensionable_pence=-original.pensionable_pence, bank=None, credits=found.number,
        notes=(note, VAT_NOTE),
    )  # fmt: skip
    credit = await turn.uow.invoices.add_invoice(
        member_id=found.member_id, practice=found.practice, kind="credit_note", period=found.period,
        issued_on=today, due_on=None, state="issued", fee_pence=document.fee_pence,
        expenses_pence=document.expenses_pence, pensionable_pence=document.pensionable_pence,
        employer_pence=document.employer_pence, total_pence=document.total_pence, pensions=found.pensions,
        document=invoice_to_json(document), credits=found.id, lines=[], now=turn.now,
    )  # fmt: skip
    await turn.audit("invoice_cancelled", f"invoice:{found.id}", None, credit_note=credit.number)
    if found.state != "draft":  # those who had it are told, with the credit note
        practice = await turn.uow.practices.practice(found.practice)
        member = await turn.uow.members.member(found.member_id)
        assert practice is not None and member is not None
        signers, _ = await signers_of(turn, practice, worker=member.id)
        await _with_links(
            turn, [*signers, member], "invoice_credited", found, credit, credit=credit, reason=reason
        )
    return credit


async def list_command(turn: Turn, command: ListInvoices) -> list[InvoiceRow]:
    by = await roles.actor(turn, command.by)
    wanted = command.practice.strip().upper() if command.practice else None
    if roles.is_coordinator(by) and _current(turn, by):
        return await turn.uow.invoices.invoice_rows(
            states=command.states, practices=[wanted] if wanted else None
        )
    assert by is not None
    managed = roles.managed_practices(by) if _current(turn, by) else []
    if wanted is not None and wanted not in managed:
        raise Refused("Sorry, you can only see your own practice's invoices.", field="practice")
    found: dict[int, InvoiceRow] = {}
    if managed:
        for row in await turn.uow.invoices.invoice_rows(
            states=command.states, practices=[wanted] if wanted else managed
        ):
            found[row.invoice.id] = row
    if by.is_clinician and wanted is None:
        for row in await turn.uow.invoices.invoice_rows(states=command.states, member_id=by.id):
            found[row.invoice.id] = row
    if not managed and not by.is_clinician:
        raise Refused(
            "Sorry, only coordinators, practice managers and clinicians see invoices.", field="role"
        )
    return sorted(found.values(), key=lambda r: (r.invoice.issued_on, r.invoice.id), reverse=True)


async def file_command(turn: Turn, command: InvoiceFile) -> tuple[str, str, bytes]:
    by = await roles.actor(turn, command.by)
    found = await _by_number(turn, command.number)
    await _may_see(turn, found, by)
    if command.form not in ("invoice", "form_a") or command.fmt not in ("pdf", "csv"):
        raise Refused("Ask for the invoice (PDF or CSV) or its Form A (PDF).", field="form")
    return await _file(turn, found, command.form, command.fmt)


# -- unpaid ---------------------------------------------------------------------------------------


async def on_due(turn: Turn, timer: TimerRow) -> None:
    """Due and unpaid: overdue, and the practice reminded; a week on, the coordinators."""
    found = await turn.uow.invoices.invoice(int(timer.subject))
    if found is None or found.state != "sent":
        return
    await turn.uow.invoices.change_state(
        found.id, "overdue", expect=("sent",), now=turn.now, field="reminded_at"
    )
    practice = await turn.uow.practices.practice(found.practice)
    member = await turn.uow.members.member(found.member_id)
    assert practice is not None and member is not None
    signers, _ = await signers_of(turn, practice, worker=member.id)
    await _with_links(turn, signers, "invoice_overdue", found, found, practice=practice, gp=member)
    await turn.uow.timers.add_timer(ESCALATE_TIMER, str(found.id), turn.now + ESCALATE_AFTER, {}, turn.now)


async def on_unpaid(turn: Turn, timer: TimerRow) -> None:
    found = await turn.uow.invoices.invoice(int(timer.subject))
    if found is None or found.state != "overdue" or found.escalated_at is not None:
        return
    practice = await turn.uow.practices.practice(found.practice)
    member = await turn.uow.members.member(found.member_id)
    assert practice is not None and member is not None
    text = render("invoice_unpaid_alert", invoice=found, practice=practice, gp=member)
    await tell_coordinators(turn, text, "invoice_unpaid_alert", f"invoice:{found.id}")
    await turn.uow.invoices.change_state(
        found.id, "overdue", expect=("overdue",), now=turn.now, field="escalated_at"
    )
