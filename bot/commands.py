"""Commands the outside world gives the core (JSON API, CLI, coordinators' chat commands).

The core defines their shape; the flows register the handlers at wiring time. ``by`` is the
member acting (their role decides what they may do); None is the pool's admin (the API's
bearer token, or the CLI without --as), who may do everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class PostSession:
    practice: str
    starts_at: datetime
    ends_at: datetime
    rate_pence: int
    urgent: bool = False
    notes: str = ""
    posted_by: int | None = None  # a member; None: the admin token
    via: str = "api"
    professions: tuple[str, ...] = ("gp",)  # who it is for: keys of config/professions.toml
    repeat_weeks: int = 1  # posted this many weeks running, as the CSV's repeat_weeks (1: once)


@dataclass(frozen=True, slots=True)
class CancelSession:
    code: str
    by: int | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class BookByHand:
    """A coordinator books a named GP after a phone call: the same atomic checks apply."""

    code: str
    phone: str  # their phone number, or their name when exactly one clinician has it
    by: int | None = None
    phone_only: bool = False  # a phone number and nothing else (the API's "phone")


@dataclass(frozen=True, slots=True)
class BroadcastUrgent:
    code: str
    by: int | None = None


@dataclass(frozen=True, slots=True)
class RecordDelivery:
    code: str
    hours: float
    by: int | None = None


@dataclass(frozen=True, slots=True)
class AnswerInbox:
    item_id: int
    text: str
    by: int | None = None


@dataclass(frozen=True, slots=True)
class CloseInbox:
    item_id: int
    by: int | None = None


@dataclass(frozen=True, slots=True)
class SetPracticePreference:
    practice: str
    phone: str
    kind: str | None  # "prefer", "block", or None to clear
    by: int | None = None


@dataclass(frozen=True, slots=True)
class AddCost:
    day: date
    amount_pence: int
    what: str
    by: int | None = None


@dataclass(frozen=True, slots=True)
class BuildReport:
    """The pool's figures for the financial year starting in April of ``year`` (None: now)."""

    year: int | None = None
    by: int | None = None


@dataclass(frozen=True, slots=True)
class RecordSlackLookups:
    """What users.lookupByEmail answered for members not yet linked: (member id, Slack user
    id or None). Found users are linked once; everyone looked up is not asked about again
    for a day."""

    found: tuple[tuple[int, str | None], ...]


@dataclass(frozen=True, slots=True)
class MemberOverview:
    """A member's upcoming bookings and open offers, as cards (a chat app's home page)."""

    member_id: int


@dataclass(frozen=True, slots=True)
class SavePractice:
    """Add a practice or change some of its fields (as a one-row practices import would)."""

    ods_code: str
    fields: tuple[tuple[str, str], ...]  # (column, value): only those given change
    by: int | None = None


@dataclass(frozen=True, slots=True)
class SetAlerts:
    """How a coordinator or practice manager hears about sessions: "now" or "daily 17:00"."""

    phone: str
    alerts: str
    by: int | None = None


@dataclass(frozen=True, slots=True)
class OpenSessionsFor:
    """The open sessions a member can take now, each with the answer code issued for them
    (what OPEN lists; for a chat front end or a coordinator on the phone)."""

    phone: str
    by: int | None = None


@dataclass(frozen=True, slots=True)
class DeskStatus:
    """Today's and upcoming sessions with their fill state and who has not answered."""

    by: int | None = None
    days: int = 7


@dataclass(frozen=True, slots=True)
class ListInbox:
    by: int | None = None


@dataclass(frozen=True, slots=True)
class DeskChat:
    """A coordinator's or practice manager's command typed in a chat app (Slack's /pool,
    Telegram): "urgent ABCD", "cancel ABCD <reason>", "book ABCD <phone or name>", "status",
    "help". Answers with the text to show them."""

    by: int
    text: str


@dataclass(frozen=True, slots=True)
class IssueLinkCode:
    """A one-time link for a member to connect a chat app (Telegram): returns the link;
    ``send``: also send it to them on the channel that reaches them now."""

    phone: str
    bot_username: str
    send: bool = False
    by: int | None = None


@dataclass(frozen=True, slots=True)
class AddMentor:
    """Put a member on the mentor register (or change their entry)."""

    phone: str
    capacity: int
    hours: float = 1.0
    interests: tuple[str, ...] = ()
    localities: tuple[str, ...] = ()
    trained: bool = False
    by: int | None = None


@dataclass(frozen=True, slots=True)
class ProposeMatches:
    """A matching run: proposals for the lead to approve; nobody is told yet."""

    by: int | None = None


@dataclass(frozen=True, slots=True)
class ApproveMatches:
    """Approve proposals (their numbers; empty: all of them): both sides are introduced."""

    ids: tuple[int, ...] = ()
    by: int | None = None


@dataclass(frozen=True, slots=True)
class MentorLeaves:
    """A mentor steps down: their mentees wait for the next matching run, and are told who
    takes over once it is approved."""

    phone: str
    by: int | None = None


@dataclass(frozen=True, slots=True)
class PracticesToPost:
    """The practices a member may post sessions for (a form's choices); refused if none."""

    by: int | None = None


@dataclass(frozen=True, slots=True)
class CreateGroup:
    """A peer group with its members (phones). ``closed`` None: as the kind suggests (action
    learning sets and coaching circles closed, networking and peer support open)."""

    name: str
    kind: str
    members: tuple[str, ...] = ()
    closed: bool | None = None
    lead: str | None = None  # the lead's phone; default the member creating it
    by: int | None = None


@dataclass(frozen=True, slots=True)
class AddGroupMembers:
    group: str  # its number or name
    members: tuple[str, ...]
    by: int | None = None


@dataclass(frozen=True, slots=True)
class ScheduleGroupSessions:
    """One session, or ``times`` sessions ``every_weeks`` apart."""

    group: str
    starts_at: datetime
    ends_at: datetime
    place: str = ""
    link: str = ""
    capacity: int | None = None
    every_weeks: int = 0
    times: int = 1
    by: int | None = None


@dataclass(frozen=True, slots=True)
class CancelGroupSession:
    session_id: int
    by: int | None = None


@dataclass(frozen=True, slots=True)
class ShowGroup:
    """The lead's view: upcoming and recent sessions with RSVPs and attendance."""

    group: str
    by: int | None = None


@dataclass(frozen=True, slots=True)
class ListGroups:
    """Every peer group with its lead, its size and its next session (leads and coordinators;
    a query)."""

    by: int | None = None


@dataclass(frozen=True, slots=True)
class PendingMatches:
    """The matching run's proposals waiting for a lead's approval, with how many mentees wait
    and how many pairs are active (leads and coordinators; a query)."""

    by: int | None = None


@dataclass(frozen=True, slots=True)
class WellbeingFigures:
    """The check-ins' monthly aggregates for the financial year starting in April of ``year``
    (None: now), as the pool's report has them, for leads and coordinators: only months with
    five or more people answering; a month with fewer is left out altogether (a query)."""

    year: int | None = None
    by: int | None = None


@dataclass(frozen=True, slots=True)
class CoffeeRound:
    """Pair a group's members who have not met; ``monthly`` keeps a round every four weeks
    (False: this one only; None: leave the group's setting as it is)."""

    group: str
    monthly: bool | None = None
    by: int | None = None


@dataclass(frozen=True, slots=True)
class CalendarFile:
    """A peer session's calendar file, by the unguessable token in its link."""

    token: str


@dataclass(frozen=True, slots=True)
class RequestSignIn:
    """Someone at the console gives their phone number or email: when it is a member who runs
    the pool (a coordinator, practice manager, lead or mentor), a one-time sign-in link goes
    to them on the channel that reaches them now. Nothing says whether anyone was found."""

    who: str
    client: str  # the client's address: link requests are limited by number and by address


@dataclass(frozen=True, slots=True)
class CheckSignInLink:
    """Whether a sign-in link would still sign in, without using it up (opening it shows a
    button; chat previews and link scanners open links too). Answers None when it would, else
    why not, in words."""

    token: str


@dataclass(frozen=True, slots=True)
class UseSignInLink:
    """Sign in with a link, using it up: a new console session (refused when the link is
    unknown, expired or used)."""

    token: str


@dataclass(frozen=True, slots=True)
class StartAdminSession:
    """A console session for the pool's admin, when the token given was right (the adapter
    compares it). Wrong tokens are counted by client address: past a few an hour, even the
    right one is refused for a while. Answers None for a wrong token."""

    client: str
    token_ok: bool


@dataclass(frozen=True, slots=True)
class SignOut:
    token: str


@dataclass(frozen=True, slots=True)
class FillBoard:
    """The sessions of the next ``days`` days as the fill board shows them, filtered; a
    practice manager sees their own practices' only."""

    by: int | None = None
    days: int = 14
    pcn: str = ""
    practice: str = ""
    profession: str = ""
    status: str = ""


@dataclass(frozen=True, slots=True)
class ConsoleSessionFor:
    """The live console session with this token, and who is signed in (a query)."""

    token: str


@dataclass(frozen=True, slots=True)
class ShowSession:
    """A session's page: the session with its offers, and what this person may do with it
    (refused, as if there were no such session, to anyone not running its practice)."""

    session_id: int
    by: int | None = None


@dataclass(frozen=True, slots=True)
class FindPeopleToBook:
    """Clinicians a session is for whose name has ``typed`` in it, for booking by hand."""

    session_id: int
    typed: str
    by: int | None = None


@dataclass(frozen=True, slots=True)
class ListUnreachable:
    """Messages not delivered in the last ``days`` days, with who and why (coordinators)."""

    by: int | None = None
    days: int = 7


@dataclass(frozen=True, slots=True)
class RecordCheck:
    """A coordinator records or renews a member's check: its expiry, when they saw the
    evidence and, ideally, the document itself (PDF, JPEG or PNG, 5 MB at most, its type read
    from its content). Kept as history; the current expiry is what eligibility reads."""

    phone: str
    kind: str
    expires: date | None
    verified_on: date | None = None  # default: today
    document: bytes | None = None
    by: int | None = None
    via: str = "api"  # console, api, cli


@dataclass(frozen=True, slots=True)
class CheckHistory:
    """Every recording of a member's checks, newest first (coordinators)."""

    phone: str
    by: int | None = None


@dataclass(frozen=True, slots=True)
class GetDocument:
    """A check's evidence, for a coordinator to download."""

    document_id: int
    by: int | None = None


@dataclass(frozen=True, slots=True)
class ListPeople:
    """The pool's members with reachability and each needed check's state (coordinators);
    filters: profession, GP type, the channel that reaches them ("none": nothing does), and
    a check state (any check missing, lapsed, expiring; "valid": all valid)."""

    by: int | None = None
    profession: str = ""
    gp_type: str = ""
    channel: str = ""
    checks: str = ""


@dataclass(frozen=True, slots=True)
class ShowPerson:
    """A member's page: bookings, offers, opt-outs, undelivered messages, check history."""

    member_id: int
    by: int | None = None


@dataclass(frozen=True, slots=True)
class ImportCsv:
    """One of the four CSV imports from a file's text (an upload), all or nothing, as the
    CLI's import: bad rows refused with their line numbers."""

    kind: str  # practices, members, checks, sessions
    text: str
    by: int | None = None


@dataclass(frozen=True, slots=True)
class RecordLeaving:
    """A member leaves the pool on ``on`` (default today): offered nothing from then, their
    open offers withdrawn; their check evidence is deleted POOL_EVIDENCE_MONTHS later. Refused
    while they hold bookings from that day on. ``on`` None with ``undo``: they are back."""

    phone: str
    on: date | None = None
    undo: bool = False
    by: int | None = None


@dataclass(frozen=True, slots=True)
class EraseMember:
    """Erase a member (their right to erasure): everything that identifies them goes, their
    documents and check history with it; the row stays so the pool's figures still add up.
    Refused while they hold upcoming bookings."""

    phone: str
    by: int | None = None


@dataclass(frozen=True, slots=True)
class SetEngagement:
    """How a clinician is engaged: employed, self_employed or limited_company (coordinators)."""

    phone: str
    engagement: str
    by: int | None = None


# -- pay: hours signed off, expenses, timesheets ------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConfirmHours:
    """The practice (a manager of it, or a coordinator) agrees the hours a clinician reported
    for a delivered session: its pay is worked out now and kept."""

    code: str  # the session's code
    by: int | None = None
    via: str = "api"


@dataclass(frozen=True, slots=True)
class QueryHours:
    """The practice disputes the reported hours; the coordinators settle it."""

    code: str
    text: str = ""
    by: int | None = None
    via: str = "api"


@dataclass(frozen=True, slots=True)
class SettleHours:
    """A coordinator settles a sign-off (queried, or never answered) at the hours agreed, and
    the pay agreed (None: worked out by the pool's rule from those hours)."""

    code: str
    hours: float
    pay_pence: int | None = None
    note: str = ""
    by: int | None = None


@dataclass(frozen=True, slots=True)
class AddExpense:
    """An expense for a session the clinician worked: ``miles`` (paid at the pool's mileage
    rate) or ``amount_pence`` with a ``note`` saying what it was."""

    code: str  # the session's code
    miles: float | None = None
    amount_pence: int | None = None
    note: str = ""
    by: int | None = None
    via: str = "api"


@dataclass(frozen=True, slots=True)
class ListSignOffs:
    """Delivered sessions' hours and pay in a month (London dates of the sessions' starts):
    all of them for coordinators, a practice manager's practices', a clinician's own."""

    month: date  # its first day
    by: int | None = None
    states: tuple[str, ...] = ()  # empty: every state
    practice: str | None = None


@dataclass(frozen=True, slots=True)
class BuildTimesheets:
    """Payroll's timesheets for a month: one line per employed person who was contracted or
    worked (coordinators; a practice manager for their practices' sessions; a person their own).
    The answer is a list of TimesheetLine (bot.ports.timesheet_rows gives the CSV's rows)."""

    month: date  # its first day
    by: int | None = None


# -- invoices and the GP locum pension forms ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class RaiseInvoices:
    """Invoice the signed-off sessions not yet invoiced of sessions started before ``before``
    (default: this month's first day): one invoice a person a practice a month (or a session,
    for those who invoice by session). Coordinators for everyone; a clinician their own."""

    before: date | None = None
    phone: str | None = None  # one person only
    by: int | None = None


@dataclass(frozen=True, slots=True)
class SendInvoice:
    """Send a draft (held because the person's billing details were missing)."""

    number: str
    by: int | None = None


@dataclass(frozen=True, slots=True)
class MarkPaid:
    """An invoice was paid (the person, the practice or a coordinator): on ``paid_on``
    (default today), which decides the month's Form B it goes on."""

    number: str
    paid_on: date | None = None
    by: int | None = None
    via: str = "api"


@dataclass(frozen=True, slots=True)
class CancelInvoice:
    """A wrong invoice is cancelled by a credit note (never edited or deleted); its sessions
    can then be invoiced again."""

    number: str
    reason: str = ""
    by: int | None = None


@dataclass(frozen=True, slots=True)
class ListInvoices:
    """Invoices and credit notes: coordinators all, a practice manager their practices', a
    clinician their own."""

    by: int | None = None
    states: tuple[str, ...] = ()
    practice: str | None = None


@dataclass(frozen=True, slots=True)
class InvoiceFile:
    """An invoice as a file: ``form`` "invoice" (PDF or CSV) or "form_a" (PDF); the answer is
    (file name, media type, bytes)."""

    number: str
    form: str = "invoice"
    fmt: str = "pdf"
    by: int | None = None


@dataclass(frozen=True, slots=True)
class FormBFile:
    """A GP's Form B for a month (pay received in it), as a PDF: (file name, media type, bytes)."""

    phone: str
    month: date
    by: int | None = None


@dataclass(frozen=True, slots=True)
class OpenDocumentLink:
    """A document link sent in a message (the token is the key): (file name, media type,
    bytes), or Refused when unknown or expired."""

    token: str


@dataclass(frozen=True, slots=True)
class SetBilling:
    """What the person's invoices print beyond their name: address lines, company (a limited
    company's full name and number) and bank details (coordinators, or the person)."""

    phone: str
    address: tuple[str, ...] = ()
    company_name: str = ""
    company_number: str = ""
    account_name: str = ""
    sort_code: str = ""
    account_number: str = ""
    by: int | None = None


@dataclass(frozen=True, slots=True)
class ShowBilling:
    """The person's billing details with the bank details masked."""

    phone: str
    by: int | None = None


@dataclass(frozen=True, slots=True)
class SetPensionDetails:
    """A locum GP's NHS Pensions SD number (empty: they do not pension their locum work), their
    contribution tier (1 to 6) and how they invoice (month or session)."""

    phone: str
    sd_number: str | None = None
    tier: int | None = None
    invoice_by: str | None = None
    by: int | None = None


# -- WhatsApp (issue 27) ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WhatsAppStatus:
    """A member's WhatsApp as a coordinator sees it: opted in or not (when, how), their window,
    unreachable, their number (coordinators, or the member; a query). The answer is a
    bot.ports.whatsapp.WhatsAppView."""

    phone: str
    by: int | None = None


@dataclass(frozen=True, slots=True)
class SetWhatsApp:
    """A coordinator acts on a member's WhatsApp. ``opt_in`` True records their opt-in (source
    'console': only once they have said yes to the coordinator) and makes WhatsApp their
    channel; False opts them out of WhatsApp only, as their STOP there would; None leaves it.
    ``number``: their WhatsApp number when it differs from their phone (None: leave it).
    Never done by an import. The answer is the WhatsAppView after it."""

    phone: str
    number: str | None = None
    opt_in: bool | None = None
    by: int | None = None
    via: str = "api"  # console, api, cli
