"""Shapes the store hands back that are not domain objects: timers, queued and sent messages, views."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.domain import (
    Booking,
    CheckRecord,
    Choice,
    DeliveryChange,
    Expense,
    GroupSession,
    Invoice,
    Member,
    Offer,
    PeerGroup,
    Practice,
    Session,
    SignOff,
)
from bot.ports.channels import TemplateSend

# ---------------------------------------------------------------------------------------------
# Store


@dataclass(frozen=True, slots=True)
class TimerRow:
    id: int
    kind: str
    subject: str
    due_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """An outbound row to write to the outbox, with its channel already chosen."""

    member_id: int | None
    channel: str
    address: str
    body: str
    choices: tuple[Choice, ...]
    topic: str | None
    kind: str
    not_before: datetime | None
    status: str = "queued"
    error: str | None = None
    details: tuple[tuple[str, str], ...] = ()
    supersedes: bool = False
    priority: int = 3  # bot/priority.py: lower goes first
    variables: tuple[tuple[str, str], ...] = ()  # its WhatsApp template's values, by name
    template: TemplateSend | None = None  # goes as this WhatsApp template (outside the window)


@dataclass(frozen=True, slots=True)
class DispatchOutcome:
    message_id: int
    status: str  # sent, queued (to retry), failed
    provider_id: str | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None
    opted_out_member: int | None = None
    error_code: str | None = None  # the provider's code for a failure
    segments: int | None = None
    attempted: bool = True  # False: put back in the queue unsent, to keep a person's order
    # The lease the message was claimed with: the outcome is written only while that claim
    # stands (another worker that took the message over after the lease ran out has it now).
    claimed_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class SessionView:
    """A session as coordinators and the API see it."""

    session: Session
    practice: Practice
    booked: Member | None
    offers: tuple[tuple[Offer, Member], ...]


@dataclass(frozen=True, slots=True)
class BoardRow:
    """A session as the fill board shows it: how its offers stand, who is booked, and how
    far its escalation has gone."""

    session: Session
    practice: Practice
    booked: str | None  # the booked person's name
    booked_at: datetime | None
    offers_made: int
    answered: int  # yes or no, in time or not
    declined: int
    waiting: int  # offers still open
    escalation_step: int  # the last escalation step that alerted someone (0: none yet)
    next_escalation: datetime | None

    @property
    def unanswered(self) -> int:
        return self.offers_made - self.answered


@dataclass(frozen=True, slots=True)
class BoardDay:
    day: date
    rows: tuple[BoardRow, ...]


@dataclass(frozen=True, slots=True)
class Board:
    """The fill board as one person sees it (their practices', for a practice manager)."""

    days: tuple[BoardDay, ...]  # every day of the board, those without sessions too
    practices: tuple[Practice, ...]  # what the filters offer: the practices this person sees
    pcns: tuple[str, ...]
    professions: tuple[tuple[str, str], ...]  # (key, name)
    open: int
    filled: int  # filled or delivered
    now: datetime


@dataclass(frozen=True, slots=True)
class SessionPage:
    """A session as its page shows it, with what the person looking may do."""

    view: SessionView
    may_manage: bool  # urgent, cancel, record delivery (its practice's managers, coordinators)
    may_book: bool  # book by hand (coordinators)


@dataclass(frozen=True, slots=True)
class CheckState:
    """One check a member's profession needs, as it stands today."""

    check: str  # a kind, or a choice of kinds: "nmc|hcpc"
    name: str  # in words: "DBS check", "NMC or HCPC registration"
    state: str  # valid, expiring (within 30 days), lapsed, missing
    expires: date | None


@dataclass(frozen=True, slots=True)
class PersonRow:
    """A member as the people list shows them."""

    member: Member
    reached_by: str | None  # the channel that reaches them now; None: nothing does
    checks: tuple[CheckState, ...]  # what their profession needs (none for staff)

    @property
    def worst(self) -> str:
        """missing, lapsed, expiring, valid, or "" for someone who needs no checks."""
        states = {c.state for c in self.checks}
        return next((s for s in ("missing", "lapsed", "expiring", "valid") if s in states), "")


@dataclass(frozen=True, slots=True)
class PersonPage:
    person: PersonRow
    bookings: tuple[tuple[Booking, Session, Practice], ...]
    offers: tuple[tuple[Offer, Session, Practice], ...]
    opt_outs: tuple[tuple[str, datetime, bool], ...]  # channel, when, by the provider
    undelivered: tuple[tuple[DeliveryChange, datetime], ...]
    history: tuple[CheckRecord, ...]


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """A peer group as the leads' list shows it."""

    group: PeerGroup
    lead: str | None  # the lead's name
    members: int
    next_session: GroupSession | None  # the next one scheduled, if any
    sessions_ahead: int  # scheduled sessions still to come


@dataclass(frozen=True, slots=True)
class MatchProposal:
    """One proposal of the last matching run, for a lead to approve (``number``: its id)."""

    number: int
    mentee: str
    mentor: str
    fit: int
    why: str


@dataclass(frozen=True, slots=True)
class PendingMentoring:
    proposals: tuple[MatchProposal, ...]
    waiting: int  # mentees on the waiting list (those proposed included)
    active: int  # pairs meeting now
    mentors: int  # on the register


@dataclass(frozen=True, slots=True)
class OfferTally:
    """How a session's current round stands: offers not yet answered, declined, and the
    names of the first few still waiting."""

    waiting: int
    declined: int
    first_waiting: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SentMessage:
    id: int
    channel: str
    address: str
    body: str | None
    choices: tuple[Choice, ...]
    kind: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    member_id: int | None = None
    due_at: datetime | None = None  # when it may go: created_at, or the end of quiet hours

    @property
    def went_at(self) -> datetime:
        """When it went to the person: sent, or (not yet sent) when it became due to go. A
        message held by quiet hours went in the morning, not when it was written."""
        return self.sent_at or self.due_at or self.created_at


@dataclass(frozen=True, slots=True)
class InboxItem:
    id: int
    message_id: int
    member: Member | None
    channel: str
    address: str
    body: str | None
    received_at: datetime
    state: str
    count: int = 1  # messages from this number folded into the item (the newest is shown)


@dataclass(frozen=True, slots=True)
class SignOffRow:
    """A sign-off as lists show it: the session, where, who worked it, and their expenses."""

    signoff: SignOff
    session: Session
    practice_name: str
    pcn: str
    member_name: str
    member_phone: str
    engagement: str | None
    expenses: tuple[Expense, ...] = ()

    @property
    def expenses_pence(self) -> int:
        return sum(e.amount_pence for e in self.expenses)


# The columns of payroll's timesheets CSV, in order (README: Timesheets).
TIMESHEET_COLUMNS = (
    "month", "name", "phone", "profession", "registration_number", "contracted_sessions_per_week",
    "contracted_sessions", "sessions_worked", "sessions_signed_off", "sessions_awaiting",
    "sessions_queried", "sessions_not_reported", "hours_worked", "hours_signed_off",
    "pay_signed_off_pence", "miles", "mileage_pence", "other_expenses_pence", "expenses_pence",
)  # fmt: skip


def timesheet_rows(lines: Iterable[TimesheetLine]) -> list[tuple[object, ...]]:
    """The timesheets CSV's rows, header first (write them with bot.spreadsheet)."""
    return [TIMESHEET_COLUMNS, *(line.as_row() for line in lines)]


@dataclass(frozen=True, slots=True)
class TimesheetLine:
    """One employed person's month for payroll: contracted sessions against sessions worked
    (hours reported, whether signed off yet), the pay signed off, and expenses."""

    month: str  # YYYY-MM
    member: Member
    contracted_sessions: float  # a week's contracted sessions over the month's working days
    sessions_worked: int
    sessions_signed_off: int
    sessions_awaiting: int
    sessions_queried: int
    sessions_not_reported: int  # booked, ended, hours not yet reported
    hours_worked: float
    hours_signed_off: float
    pay_signed_off_pence: int
    miles: float
    mileage_pence: int
    other_expenses_pence: int

    @property
    def expenses_pence(self) -> int:
        return self.mileage_pence + self.other_expenses_pence

    def as_row(self) -> tuple[object, ...]:
        m = self.member
        return (
            self.month, m.name, m.phone, m.profession, m.registration_number or "",
            m.contracted_sessions_per_week, f"{self.contracted_sessions:g}", self.sessions_worked,
            self.sessions_signed_off, self.sessions_awaiting, self.sessions_queried,
            self.sessions_not_reported, f"{self.hours_worked:g}", f"{self.hours_signed_off:g}",
            self.pay_signed_off_pence, f"{self.miles:g}", self.mileage_pence, self.other_expenses_pence,
            self.expenses_pence,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    """An invoice as lists show it: who issued it, to which practice (and its PCN)."""

    invoice: Invoice
    member_name: str
    practice_name: str
    pcn: str
    credits: str | None = None  # a credit note: the number of the invoice it cancels
