"""Domain types shared by every layer. Plain data: no I/O, no channel, no SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from fractions import Fraction

from bot.clock import LONDON

# Every check any profession may need (which ones a member needs: bot/professions.py).
CHECK_KINDS = (
    "identity",
    "cct",
    "indemnity",
    "occupational_health",
    "performers_list",
    "gmc",
    "employment_history",
    "dbs",
    "nmc",
    "gphc",
    "hcpc",
    "swe",
)
# The phone of an erased member: no real number can match it (the column is unique, not null).
ERASED = "erased:"

# How texts and pages name each check.
CHECK_NAMES = {
    "identity": "ID check",
    "cct": "CCT",
    "indemnity": "indemnity",
    "occupational_health": "occupational health",
    "performers_list": "Performers List",
    "gmc": "GMC registration",
    "employment_history": "employment history",
    "dbs": "DBS check",
}


def check_words(check: str) -> str:
    """'dbs' -> 'DBS check'; a choice 'nmc|hcpc' -> 'NMC or HCPC registration' as named."""
    return " or ".join(CHECK_NAMES.get(k, k.upper()) for k in check.split("|"))


# The role of those offered sessions ("gp" is still read as it, in files and the API).
CLINICIAN = "clinician"
ROLE_ALIASES = {"gp": CLINICIAN}


def role_named(text: str) -> str:
    """A role as written in a file or a request: 'Practice:x10001' → 'practice:X10001',
    'GP' → 'clinician' (the old name of the role)."""
    kind, colon, ods = text.strip().partition(":")
    if colon:
        return f"{kind.lower()}:{ods.upper()}"
    return ROLE_ALIASES.get(kind.lower(), kind.lower())


GP_TYPES = ("salaried", "locum", "partner", "returner", "fellow", "retainer")
# How a person is engaged: employed (timesheets, no invoices), self_employed (a freelance locum:
# invoices, and pension forms when they pension their work), limited_company (invoices, never
# NHS pension forms).
ENGAGEMENTS = ("employed", "self_employed", "limited_company")


def default_engagement(is_clinician: bool, profession: str, gp_type: str | None) -> str | None:
    """How someone is engaged unless told: locum (and partner, or untyped) GPs self-employed,
    salaried, retainer, fellow and returner GPs employed, other professions employed; staff
    who take no sessions are not engaged for them (None)."""
    if not is_clinician:
        return None
    if profession == "gp" and (gp_type or "locum") in ("locum", "partner"):
        return "self_employed"
    return "employed"


CHANNELS = ("sms", "slack", "telegram", "sandbox")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HALVES = ("am", "pm")
# A session starting before noon takes up the morning; one ending after 14:00, the afternoon.
# (So 12:30-18:00 is an afternoon and 08:00-13:30 a morning, as practices mean them.)
MORNING_ENDS = time(12, 0)
AFTERNOON_STARTS = time(14, 0)


class SessionStatus(StrEnum):
    OPEN = "open"
    FILLED = "filled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    DELIVERED = "delivered"


class OfferState(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # the session filled, was cancelled or was re-offered
    EXPIRED = "expired"


class BookingState(StrEnum):
    BOOKED = "booked"
    DROPPED = "dropped"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Practice:
    ods_code: str
    name: str
    pcn: str = ""
    locality: str = ""
    address: str = ""
    clinical_system: str = ""
    info_pack: str = ""
    phone: str = ""  # E.164; "" when the pool has none


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    name: str
    phone: str
    email: str | None = None
    roles: frozenset[str] = frozenset({CLINICIAN})
    gp_type: str | None = None  # GPs only
    registration_number: str | None = None
    preferred_channel: str = "sms"
    slack_user_id: str | None = None
    telegram_chat_id: str | None = None
    localities: tuple[str, ...] = ()
    practices: tuple[str, ...] = ()
    days: tuple[str, ...] = ()
    max_sessions_per_week: int | None = None
    contracted_sessions_per_week: int = 0
    paused_until: date | None = None
    urgent_at_night: bool = False
    opted_out: frozenset[str] = frozenset()
    quiet_hours: str | None = None  # their own, like '22:00-07:00' or 'off'; None: the pool's
    profession: str = "gp"  # a key of config/professions.toml
    level: str | None = None  # a level within the profession: "advanced"
    # How a coordinator or practice manager hears about sessions: "now", or "daily 17:00"
    # (one digest a day at that London time; urgent events still come at once).
    alerts: str = "now"
    left_on: date | None = None  # the day they left the pool (None: still in it): no offers from then
    engagement: str | None = None  # one of ENGAGEMENTS; None: staff who take no sessions
    # A locum GP's NHS Pensions SD number (8 digits; None: they do not pension their locum
    # work), the employee contribution tier they chose for the scheme year (1 to 6), and how
    # they invoice: "month" (one invoice a practice a calendar month) or "session".
    pension_sd_number: str | None = None
    pension_tier: int | None = None
    invoice_by: str = "month"
    # Their WhatsApp number (E.164) when they opted in to WhatsApp and it is not known to be
    # off WhatsApp; None: WhatsApp does not reach them (an opt-in is recorded, never assumed).
    whatsapp: str | None = None

    @property
    def is_clinician(self) -> bool:
        """Offered sessions of their profession."""
        return CLINICIAN in self.roles

    @property
    def is_gp(self) -> bool:
        """Counts as a GP in the NHS return."""
        return self.is_clinician and self.profession == "gp"

    @property
    def is_coordinator(self) -> bool:
        return "coordinator" in self.roles

    def address_on(self, channel: str) -> str | None:
        """Where this member is reached on ``channel``, if they are linked there (an erased
        member nowhere: their placeholder phone is not a number)."""
        if self.phone.startswith(ERASED):
            return None
        return {
            "sms": self.phone,
            "sandbox": self.phone,
            "whatsapp": self.whatsapp,  # only once they opted in (see bot/ports/whatsapp.py)
            "slack": self.slack_user_id,
            "telegram": self.telegram_chat_id,
        }.get(channel)


@dataclass(frozen=True, slots=True)
class Session:
    id: int
    code: str
    practice: str
    starts_at: datetime
    ends_at: datetime
    rate_pence: int
    urgent: bool
    notes: str
    status: SessionStatus
    posted_by: int | None
    round: int = 1
    kind: str = "clinical"
    created_at: datetime | None = None
    filled_at: datetime | None = None
    delivered_hours: float | None = None
    professions: tuple[str, ...] = ("gp",)  # who it is for
    # Not stored: on the session a posting returns, when its first offers go if quiet hours
    # hold every one of them (None: they go now, or nobody was offered it).
    offers_from: datetime | None = field(default=None, compare=False)

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600

    @property
    def halves(self) -> frozenset[str]:
        """Which half days it takes up: {'am'}, {'pm'} or both (London time)."""
        start = self.starts_at.astimezone(LONDON)
        end = self.ends_at.astimezone(LONDON)
        covered = set()
        if start.time() < MORNING_ENDS:
            covered.add("am")
        if end.time() > AFTERNOON_STARTS or end.date() > start.date() or not covered:
            covered.add("pm")
        return frozenset(covered)


@dataclass(frozen=True, slots=True)
class Offer:
    id: int
    session_id: int
    member_id: int
    code: str
    round: int
    wave: int
    channel: str | None
    state: OfferState
    answer: str | None
    sent_at: datetime | None
    answered_at: datetime | None
    source: str = "wave"  # "wave", or "open": issued when they asked what is open
    notified_at: datetime | None = None  # when they were told of it (None: waiting for a batch)
    batch: str | None = None  # the topic of the message that told several offers at once


@dataclass(frozen=True, slots=True)
class Booking:
    id: int
    session_id: int
    member_id: int
    code: str
    state: BookingState
    booked_at: datetime
    offer_id: int | None = None


@dataclass(frozen=True, slots=True)
class BookedSlot:
    """A member's booking as eligibility needs it: when and where."""

    session_id: int
    practice: str
    starts_at: datetime
    ends_at: datetime


GROUP_KINDS = ("networking", "action_learning", "peer_support", "coaching")


@dataclass(frozen=True, slots=True)
class PeerGroup:
    """A peer group a lead runs. A closed group (an action learning set) invites its members
    only; an open one (networking) is open to anyone in the pool who asks."""

    id: int
    name: str
    kind: str
    closed: bool
    lead_id: int | None
    coffee: bool = False  # a monthly "coffee" pairing round


@dataclass(frozen=True, slots=True)
class GroupSession:
    """One meeting of a peer group: in a place, by video link, or both."""

    id: int
    group_id: int
    starts_at: datetime
    ends_at: datetime
    place: str
    link: str
    capacity: int | None
    calendar_token: str
    state: str
    series_id: int | None = None

    @property
    def calendar_path(self) -> str:
        """Where its calendar file is served (bot/peer_api.py), under the pool's public URL."""
        return f"/calendar/{self.calendar_token}.ics"

    @property
    def where(self) -> str:
        return ", ".join(part for part in (self.place, self.link) if part) or "place to be confirmed"


@dataclass(frozen=True, slots=True)
class Question:
    """An open question put to a member, answered by its code or as their only question."""

    kind: str
    code: str
    ref_id: int
    member_id: int


@dataclass(frozen=True, slots=True)
class Prompt:
    """A question put to a member that is not an offer ("did the session go ahead?")."""

    id: int
    kind: str
    member_id: int
    ref_id: int
    code: str
    state: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Choice:
    """A possible answer: a button on chat channels, a reply word on SMS. ``group``: which of
    several things in one message it answers (a row of buttons per session; by text, the
    message itself says each one's code)."""

    label: str
    value: str
    group: str | None = None


@dataclass(frozen=True, slots=True)
class Inbound:
    """A message from a person, as any channel hands it to the engine."""

    channel: str
    address: str
    text: str
    external_id: str
    received_at: datetime
    choice: str | None = None  # the value of a button the person pressed
    media_count: int = 0  # pictures and files attached (we take text only)
    # What the provider or carrier already did with this message itself: "opt_out", "opt_in"
    # (it blocked or unblocked the number and replied), "help" (it sent its own help text).
    carrier_action: str | None = None
    # A chat app's own account command: "link" (the text is the one-time code) or "unlink".
    chat_action: str | None = None
    # Forwarded from someone else (Telegram's forward_origin): their words, not this person's.
    forwarded: bool = False

    @property
    def said(self) -> str:
        return self.choice if self.choice is not None else self.text


@dataclass(frozen=True, slots=True)
class Outbound:
    """Something to say to a member (or, for unknown senders, to a bare address).

    ``topic`` ties messages about the same thing together (``offer:12``) so a chat channel
    can edit the original message instead of sending a new one (``supersedes``).
    """

    text: str
    member_id: int | None = None
    choices: tuple[Choice, ...] = ()
    channel: str | None = None
    address: str | None = None
    not_before: datetime | None = None
    topic: str | None = None
    kind: str = "reply"
    urgent: bool = False
    # Facts a chat channel lays out as fields (the text says them too, for SMS).
    details: tuple[tuple[str, str], ...] = ()
    # The topic's new state: a chat channel shows it in place of the topic's first message
    # (the offer with buttons), as the answer to a button press or a notice nobody asked for.
    supersedes: bool = False
    # The values of its WhatsApp template (config/whatsapp_templates.toml, by ``kind``, or the
    # one a "template" entry names), by the names given there ("practice", "code"; "first
    # name" the engine fills in): outside a member's 24-hour window only the template can go
    # on WhatsApp. None given: it cannot.
    variables: tuple[tuple[str, str], ...] = ()
    # A message standing for several (a batch of offers): each as its own message, for when
    # they must go one by one (one WhatsApp template an offer, outside the window).
    parts: tuple[Outbound, ...] = ()
    # WhatsApp said the window is closed (63016), whatever our record says: template or elsewhere.
    window_closed: bool = False


@dataclass(frozen=True, slots=True)
class Card:
    """One thing shown on a member's overview (a booking, an offer): text, facts, buttons."""

    text: str
    details: tuple[tuple[str, str], ...] = ()
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True, slots=True)
class Overview:
    bookings: tuple[Card, ...]
    offers: tuple[Card, ...]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    actor: str
    action: str
    subject: str
    channel: str | None = None
    detail: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GpFacts:
    """What eligibility and ranking need to know about one GP for one session."""

    member: Member
    checks: dict[str, date | None]  # kind -> expiry (None: never lapses)
    bookings: tuple[BookedSlot, ...]  # live bookings near the session's week
    worked_at_practice: bool
    recent_sessions: int  # booked sessions in the last four weeks
    offered_this_round: bool
    turned_down: bool  # declined this session, or booked it and gave it up
    available: bool = False  # said AVAILABLE for the session's date and half-days
    practice_preference: str | None = None  # the practice's "prefer" or "block"


@dataclass(frozen=True, slots=True)
class Cost:
    id: int
    day: date
    amount_pence: int
    what: str


# Sessions' pay: the session's rate whatever the hours, or pro rata to the hours worked
# (POOL_PAY); worked out once, when the practice signs the hours off, and kept.
PAY_RULES = ("session", "pro_rata")
# A delivered session's hours: waiting for the practice, queried by it, or agreed by both.
SIGNOFF_STATES = ("awaiting", "queried", "signed_off")
EXPENSE_KINDS = ("mileage", "other")


def pay_for(rule: str, rate_pence: int, planned_hours: float, hours: float) -> int:
    """A session's pay under ``rule``: its rate, or the rate pro rata to the hours worked, in
    whole minutes (a GP's "3h20" of a 3 h 20 min session is the whole rate), to the nearest
    penny, halves up."""
    planned, worked = round(planned_hours * 60), round(hours * 60)
    if rule == "session" or planned <= 0:
        return rate_pence
    return int(Fraction(rate_pence * worked, planned) + Fraction(1, 2))


@dataclass(frozen=True, slots=True)
class SignOff:
    """A delivered session's hours as the GP reported them, and the practice's answer.

    ``pay_pence`` is set once, when the hours are signed off (by the practice, or settled by
    a coordinator), and never worked out again: a later change to the pool's pay rule or the
    session's rate does not touch it."""

    session_id: int
    member_id: int  # the clinician who worked it
    practice: str
    hours: float  # as reported; once settled, as agreed
    state: str  # one of SIGNOFF_STATES
    reported_by: str  # "gp", "coordinator" or "practice"
    reported_at: datetime
    pay_pence: int | None = None
    pay_rule: str | None = None  # the rule it was worked out by (or "agreed": set by hand)
    signed_off_at: datetime | None = None
    signed_off_by: int | None = None  # a member; None with a time: the pool's admin
    query: str = ""  # the practice's words, when it queried the hours
    queried_at: datetime | None = None
    queried_by: int | None = None
    settled_note: str = ""  # the coordinator's note on what was agreed
    reported_hours: float | None = None  # what the GP said, when a settlement changed it
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Expense:
    """Money a clinician spent for a session, paid beside its fee and never pensionable:
    mileage at the pool's rate (kept with the line), or another cost with a note."""

    id: int
    session_id: int
    member_id: int
    kind: str  # one of EXPENSE_KINDS
    amount_pence: int
    note: str
    added_at: datetime
    miles: float | None = None
    added_by: int | None = None


INVOICE_BY = ("month", "session")
INVOICE_STATES = ("draft", "sent", "paid", "overdue", "cancelled", "issued")  # issued: a credit note


@dataclass(frozen=True, slots=True)
class Billing:
    """What an invoice prints about a person beyond their name: kept only for invoices."""

    member_id: int
    address: tuple[str, ...] = ()
    company_name: str = ""
    company_number: str = ""
    account_name: str = ""
    sort_code: str = ""
    account_number: str = ""

    @property
    def has_bank(self) -> bool:
        return bool(self.account_name and self.sort_code and self.account_number)


@dataclass(frozen=True, slots=True)
class Invoice:
    """An invoice or credit note as issued (its printed content: ``document``, JSON)."""

    id: int
    member_id: int
    practice: str
    seq: int
    number: str
    kind: str  # "invoice" or "credit_note"
    period: str  # YYYY-MM, or a session's code
    issued_on: date
    due_on: date | None
    state: str  # one of INVOICE_STATES
    fee_pence: int
    expenses_pence: int
    pensionable_pence: int
    employer_pence: int
    total_pence: int
    pensions: bool
    credits: int | None = None
    paid_on: date | None = None
    paid_by: int | None = None
    sent_at: datetime | None = None
    cancelled_at: datetime | None = None
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DeliveryChange:
    """A provider's delivery report that moved an outbound message on."""

    message_id: int
    member_id: int | None
    channel: str
    address: str
    kind: str
    topic: str | None
    text: str | None
    choices: tuple[Choice, ...]
    status: str
    error_code: str | None
    error: str | None = None  # why, in words: "blocked the bot", "not a mobile number"
    variables: tuple[tuple[str, str], ...] = ()  # its WhatsApp template's values (Outbound.variables)
    templated: bool = False  # it went as a WhatsApp template


@dataclass(frozen=True, slots=True)
class CheckRecord:
    """One recording of a check: its expiry, who verified it and when, and its evidence."""

    id: int
    member_id: int
    kind: str
    expires: date | None
    verified_on: date | None
    verified_by: str | None  # the verifier's name; None: the pool's admin, or before records were kept
    source: str  # console, api, cli, import; "before" for what was on record when history began
    document_id: int | None
    document_type: str | None
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class Document:
    """Evidence for a check: a PDF, JPEG or PNG, served only to coordinators."""

    id: int
    member_id: int
    content_type: str
    size: int
    content: bytes
    uploaded_at: datetime
