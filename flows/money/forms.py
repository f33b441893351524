"""NHS Pensions' GP locum Forms A and B, prefilled from the invoices, and their deadlines.

For a ``self_employed`` GP with an SD number (``pensions_the_work``), each invoice has a Form A:
part 1 complete (the GP checks, signs and dates it), part 2 left for the practice to certify;
it follows the invoice in the PDF the practice gets. Each month has a Form B listing the Form As
of invoices *paid* that month (the month the pay was received, not worked), with the employee
contribution at the GP's tier for the scheme year (config/pension_tiers.toml) and the employer
contributions received; its unique payment reference (SD number, LOC, month, year) goes on it,
on every Form A in it, and on the payment. It reaches PCSE by the 7th of the following month.

Deadlines: on the 1st, a GP with pay received last month is sent their Form B to send by the
7th. Work more than 10 weeks old cannot be pensioned: two weeks before the window closes on a
session not yet invoiced or not yet paid, the GP is told (and, for an unpaid invoice, the
practice).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

from bot.calendar import at_london, next_month
from bot.clock import london_date
from bot.commands import FormBFile, SetBilling, SetPensionDetails, ShowBilling
from bot.documents import FormA, FormB, FormBRow, form_a_from_json
from bot.domain import INVOICE_BY, Billing, Invoice, Member, Outbound, SessionStatus
from bot.engine import Engine, Turn
from bot.errors import Refused
from bot.pensions import (
    WARN_BEFORE,
    WINDOW,
    form_b_reference,
    pensions_the_work,
    scheme_year,
    scheme_year_name,
)
from bot.ports import TimerRow
from flows.conversation.messages import render
from flows.money import pdf
from flows.money.links import document_link
from flows.money.recipients import signers_of
from flows.people import roles

WINDOW_TIMER = "pension_window"  # daily: work whose 10-week window closes in two weeks
WINDOW_AT = time(10, 0)
MAX_ADDRESS_LINES = 5
MAX_LINE = 60


def register(engine: Engine) -> None:
    engine.on_standing(WINDOW_TIMER, window_warnings, next_window_check)
    engine.on_command(FormBFile, form_b_command)
    engine.on_command(SetBilling, set_billing)
    engine.on_command(ShowBilling, show_billing)
    engine.on_command(SetPensionDetails, set_pension)


# -- Form A -----------------------------------------------------------------------------------------


async def form_a(turn: Turn, found: Invoice) -> FormA:
    """The invoice's Form A as it was issued with it, with its reference once it is paid (the
    reference of the Form B it goes on)."""
    stored = await turn.uow.invoices.form_a(found.id)
    if stored is None:
        raise Refused(f"Invoice {found.number} is not pensioned, so it has no Form A.", field="form")
    issued = form_a_from_json(stored)
    if found.paid_on is None:
        return issued
    month = form_b_month(issued.periods[0].first_day, found.paid_on)
    return replace(issued, upr=form_b_reference(issued.sd_number, month), paid_on=found.paid_on)


def form_b_month(first_day: date, paid_on: date) -> date:
    """The month whose Form B a payment goes on: the month it was received, except that work
    of one scheme year paid in the next goes on that year's March Form B."""
    if scheme_year(paid_on) > scheme_year(first_day):
        return date(scheme_year(first_day) + 1, 3, 1)
    return paid_on.replace(day=1)


# -- Form B -----------------------------------------------------------------------------------------


async def form_b(turn: Turn, member: Member, month: date) -> FormB:
    """The month's Form B: the Form As of the invoices paid in it."""
    if not pensions_the_work(member.engagement, member.profession, member.pension_sd_number):
        raise Refused(
            f"{member.name} does not pension locum work through Forms A and B (a self-employed GP with an "
            "NHS Pensions SD number does).",
            field="phone",
        )
    if member.pension_tier is None:
        raise Refused(f"{member.name}'s contribution tier is not set yet (1 to 6).", field="tier")
    assert member.pension_sd_number is not None
    first = month.replace(day=1)
    last = next_month(first) - timedelta(days=1)
    year = scheme_year(first)
    # Paid in the month; a March form also takes the year's work paid after March.
    until = date(9999, 12, 31) if first.month == 3 else last
    rows = [row for row, month in await _paid_forms(turn, member, first, until) if month == first]
    year_start = date(year, 4, 1)
    so_far = [
        row
        for row, month in await _paid_forms(turn, member, year_start, date(9999, 12, 31))
        if year_start <= month <= first
    ]
    pensionable = sum(r.pensionable_pence for r in rows)
    try:
        employee = turn.policy.pensions.employee(pensionable, year, member.pension_tier)
        employee_rate = turn.policy.pensions.rate(year, member.pension_tier)
    except LookupError:
        raise Refused(
            f"the pool has no contribution table for {scheme_year_name(year)} (config/pension_tiers.toml).",
            field="month",
        ) from None
    employer = sum(r.employer_pence for r in rows)
    billing = await turn.uow.invoices.billing(member.id) or Billing(member.id)
    return FormB(
        scheme_year=scheme_year_name(year), month=first,
        upr=form_b_reference(member.pension_sd_number, first), name=member.name,
        sd_number=member.pension_sd_number, registration_number=member.registration_number or "",
        address=billing.address, email=member.email or "", tier=member.pension_tier,
        tier_rate=f"{employee_rate}", rows=tuple(rows),
        pensionable_pence=pensionable, employee_pence=employee, employer_pence=employer,
        total_pence=employee + employer, cumulative_pence=sum(r.pensionable_pence for r in so_far),
        due_on=next_month(first) + timedelta(days=6),
    )  # fmt: skip


async def _paid_forms(turn: Turn, member: Member, first: date, last: date) -> list[tuple[FormBRow, date]]:
    """Each pensioned invoice paid in [first, last] as its Form B row, with the month of the
    Form B it goes on."""
    found = []
    for paid in await turn.uow.invoices.paid_between(member.id, first, last):
        stored = await turn.uow.invoices.form_a(paid.id) if paid.pensions else None
        if stored is None or paid.paid_on is None:
            continue
        issued = form_a_from_json(stored)
        days = sorted(d for p in issued.periods for d in (p.first_day, p.last_day))
        row = FormBRow(issued.practice_code, issued.practice_name, days[0], days[-1], paid.paid_on,
                       paid.pensionable_pence, paid.employer_pence, paid.number)  # fmt: skip
        found.append((row, form_b_month(days[0], paid.paid_on)))
    return found


async def form_b_file(turn: Turn, member: Member, month: date) -> tuple[str, str, bytes]:
    found = await form_b(turn, member, month)
    return f"form-b-{found.upr}.pdf", "application/pdf", pdf.form_b_pdf(found)


async def form_b_command(turn: Turn, command: FormBFile) -> tuple[str, str, bytes]:
    """A GP's own Form B, or any GP's for a coordinator (practices never see Form B)."""
    by = await roles.actor(turn, command.by)
    member = await roles.member_by_phone(turn, command.phone)
    if not (roles.is_coordinator(by) or (by is not None and by.id == member.id)):
        raise Refused("Sorry, a Form B is the GP's own (and the coordinators').", field="role")
    return await form_b_file(turn, member, command.month)


async def remind_form_b(turn: Turn, last_month: date, only: Member | None = None) -> None:
    """The 1st: each GP (or ``only`` this one) with pensioned pay received last month gets
    their Form B's link."""
    first, last = last_month, next_month(last_month) - timedelta(days=1)
    for member in [only] if only else await turn.uow.members.all_members():
        if not pensions_the_work(member.engagement, member.profession, member.pension_sd_number):
            continue
        until = date(9999, 12, 31) if first.month == 3 else last
        if not [row for row, month in await _paid_forms(turn, member, first, until) if month == first]:
            continue
        try:
            found = await form_b(turn, member, first)
        except Refused as refusal:  # no tier yet: they are told what is missing
            turn.say(Outbound(text=render("form_b_blocked", month=first, reason=refusal.message),
                              member_id=member.id, kind="form_b_reminder"))  # fmt: skip
            continue
        link = await document_link(turn, "form_b", f"{member.id}:{first:%Y-%m}")
        turn.say(
            Outbound(
                text=render("form_b_reminder", form=found, link=link),
                member_id=member.id,
                kind="form_b_reminder",
                topic=f"form_b:{first:%Y-%m}",
            )
        )


# -- the 10-week window -----------------------------------------------------------------------------


def next_window_check(now: datetime) -> datetime:
    today = london_date(now)
    due = at_london(today, WINDOW_AT)
    return due if due > now else at_london(today + timedelta(days=1), WINDOW_AT)


async def window_warnings(turn: Turn, timer: TimerRow) -> None:
    """Sessions worked exactly eight weeks ago (their window closes in two) by GPs who pension
    their work, not yet on a paid invoice: the GP is told; for an unpaid invoice, the practice
    too (once per invoice)."""
    today = london_date(turn.now)
    worked_on = today - (WINDOW - WARN_BEFORE)
    closes = worked_on + WINDOW
    start, end = at_london(worked_on, time(0, 0)), at_london(worked_on + timedelta(days=1), time(0, 0))
    told: set[int] = set()
    # Every session booked that day, hours reported or not: work not even signed off yet is
    # not invoiced yet either.
    for _, session, member in await turn.uow.bookings.bookings_between(start, end):
        if session.status not in (SessionStatus.FILLED, SessionStatus.DELIVERED) or not pensions_the_work(
            member.engagement, member.profession, member.pension_sd_number
        ):
            continue
        practice_here = await turn.uow.practices.practice(session.practice)
        assert practice_here is not None
        live = ("draft", "sent", "overdue", "paid")
        on = [
            r
            for r in await turn.uow.invoices.invoice_rows(member_id=member.id, states=live)
            if session.id in await turn.uow.invoices.sessions_of(r.invoice.id)
        ]
        unpaid = [r.invoice for r in on if r.invoice.state != "paid"]
        if on and not unpaid:
            continue  # paid: in time for its Form B
        invoice = unpaid[0] if unpaid else None
        turn.say(
            Outbound(
                text=render("pension_window_gp", session=session, practice_name=practice_here.name,
                            closes=closes, invoice=invoice),
                member_id=member.id, kind="pension_window", topic=f"window:{session.id}",
            )
        )  # fmt: skip
        if (
            invoice is not None
            and invoice.state in ("sent", "overdue")
            and invoice.id not in told
            and not await turn.uow.invoices.window_warned(invoice.id)
        ):
            told.add(invoice.id)
            await turn.uow.invoices.change_state(
                invoice.id, invoice.state, expect=(invoice.state,), now=turn.now, field="window_warned_at"
            )
            practice = await turn.uow.practices.practice(invoice.practice)
            assert practice is not None
            signers, _ = await signers_of(turn, practice, worker=member.id)
            for signer in signers:
                turn.say(
                    Outbound(
                        text=render("pension_window_practice", invoice=invoice, gp=member, closes=closes,
                                    session=session),
                        member_id=signer.id, kind="pension_window", topic=f"invoice:{invoice.id}",
                    )
                )  # fmt: skip
    await turn.uow.timers.add_timer(WINDOW_TIMER, "pool", next_window_check(turn.now), {}, turn.now)


# -- the person's details ---------------------------------------------------------------------------


def _own_or_coordinator(by: Member | None, member: Member) -> None:
    if not (roles.is_coordinator(by) or (by is not None and by.id == member.id)):
        raise Refused("Sorry, only the person or a coordinator can do that.", field="role")


async def set_billing(turn: Turn, command: SetBilling) -> Billing:
    """Checked as invoices print them: up to five address lines of 60 characters, a sort code
    of six digits, an account number of eight."""
    turn.by = command.by
    by = await roles.actor(turn, command.by)
    member = await roles.member_by_phone(turn, command.phone)
    _own_or_coordinator(by, member)
    address = tuple(" ".join(line.split()) for line in command.address if line.strip())
    if len(address) > MAX_ADDRESS_LINES or any(len(line) > MAX_LINE for line in address):
        raise Refused(
            f"An address is up to {MAX_ADDRESS_LINES} lines of {MAX_LINE} characters.", field="address"
        )
    sort_code = "".join(ch for ch in command.sort_code if ch in "0123456789")
    account = "".join(ch for ch in command.account_number if ch in "0123456789")
    if command.sort_code.strip() and len(sort_code) != 6:
        raise Refused("A sort code is six digits, like 12-34-56.", field="sort_code")
    if command.account_number.strip() and len(account) != 8:
        raise Refused("An account number is eight digits.", field="account_number")
    if bool(sort_code) != bool(account) or (bool(account) != bool(command.account_name.strip())):
        raise Refused("Give the account name, sort code and account number together.", field="account_number")
    limits = (
        (command.account_name, 60, "account_name"),
        (command.company_name, 100, "company_name"),
        (command.company_number, 12, "company_number"),
    )
    for value, limit, field in limits:
        if len(value.strip()) > limit:
            raise Refused(f"That is longer than {limit} characters.", field=field)
    billing = Billing(
        member.id,
        address,
        " ".join(command.company_name.split()),
        command.company_number.strip().upper(),
        " ".join(command.account_name.split()),
        f"{sort_code[:2]}-{sort_code[2:4]}-{sort_code[4:]}" if sort_code else "",
        account,
    )
    await turn.uow.invoices.save_billing(billing, turn.now)
    await turn.audit("billing_set", f"member:{member.id}", None)  # never what the details are
    return _masked(billing)


def _masked(billing: Billing) -> Billing:
    """Bank details as every page shows them: the last digits only."""
    if not billing.has_bank:
        return billing
    return replace(
        billing,
        sort_code=f"**-**-{billing.sort_code[-2:]}",
        account_number=f"****{billing.account_number[-4:]}",
    )


async def show_billing(turn: Turn, command: ShowBilling) -> Billing:
    by = await roles.actor(turn, command.by)
    member = await roles.member_by_phone(turn, command.phone)
    _own_or_coordinator(by, member)
    return _masked(await turn.uow.invoices.billing(member.id) or Billing(member.id))


async def set_pension(turn: Turn, command: SetPensionDetails) -> Member:
    turn.by = command.by
    by = await roles.actor(turn, command.by)
    member = await roles.member_by_phone(turn, command.phone)
    _own_or_coordinator(by, member)
    fields: dict[str, object] = {}
    if command.sd_number is not None:
        number = command.sd_number.replace(" ", "")
        if number and not (number.isascii() and number.isdigit() and len(number) == 8):
            raise Refused("An NHS Pensions SD number is 8 digits.", field="sd_number")
        fields["pension_sd_number"] = number or None
    if command.tier is not None:
        if command.tier not in range(1, 7):
            raise Refused("The contribution tier is 1 to 6.", field="tier")
        fields["pension_tier"] = command.tier
    if command.invoice_by is not None:
        if command.invoice_by not in INVOICE_BY:
            raise Refused(f"Invoices go by {' or '.join(INVOICE_BY)}.", field="invoice_by")
        fields["invoice_by"] = command.invoice_by
    updated = await turn.uow.members.update_member(member.id, **fields) if fields else member
    await turn.audit("pension_details_set", f"member:{member.id}", None, fields=sorted(fields))
    return updated
