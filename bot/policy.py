"""The pool's rules the flows read: wave sizes, costs, who the wellbeing lead is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from bot.pensions import NO_PENSION_RULES, PensionRules
from bot.professions import GP_ONLY, Professions


@dataclass(frozen=True, slots=True)
class PoolPolicy:
    pool_name: str = "the GP pool"
    wave_size: int = 5
    wave_wait: timedelta = timedelta(minutes=30)
    filled_sms: bool = False  # send "this session has been filled" by paid SMS
    wellbeing_lead_phone: str | None = None
    message_retention: timedelta = timedelta(days=90)
    evidence_months: int = 6  # a leaver's check documents are kept this long after they left
    pay_rule: str = "session"  # "session" (the rate) or "pro_rata" (to the hours worked): POOL_PAY
    mileage_pence: int = 45  # a mile's pay as an expense (HMRC's approved rate)
    signoff_days: int = 3  # hours unconfirmed this long: the practice reminded; twice, coordinators told
    # Invoices: paid within this many days of issue (then the practice is reminded, and a
    # week later the coordinators told); the pension rates (config/pension_tiers.toml, given
    # at wiring).
    invoice_days: int = 30
    pensions: PensionRules = NO_PENSION_RULES
    live_date: date | None = None  # when the pool went live (default: its first session)
    setup_budget_pence: int = 12_000_000  # up to £120k a system, for running the pool
    default_rate_pence: int = 32_000  # what a new session's form starts with
    offer_open: timedelta = timedelta(hours=2)  # a routine offer stays open this long
    urgent_close: timedelta = timedelta(minutes=30)  # urgent offers close this long before the start
    # The escalation plan, frozen when a session is posted: still open this long before the
    # start, the poster is alerted (one tap to offer it to everyone); closer still, the next
    # named coordinator.
    escalate_first: timedelta = timedelta(hours=24)
    escalate_second: timedelta = timedelta(hours=4)
    escalation_contacts: tuple[str, ...] = ()  # coordinators' phones, in order (default: all)
    # Nothing routine is sent inside quiet hours (London time); it waits for their end.
    quiet_start: time | None = time(21, 0)  # None: no quiet hours
    quiet_end: time | None = time(7, 30)
    # Where the pool's own pages live (peer sessions' calendar files are linked from messages).
    public_url: str = "http://localhost:8000"
    # A peer-group member who has not come to a session for this long hears of the next ones
    # (at most once a month; None: never).
    nudge_after: timedelta | None = timedelta(weeks=8)
    # Strangers (numbers the pool does not know): replies an hour at most, and what counts as
    # a flood (this many numbers within this long: one alert, no more inbox items).
    unknown_replies_per_hour: int = 100
    unknown_alert_numbers: int = 50
    unknown_alert_window: timedelta = timedelta(minutes=10)
    # Routine offers to one person decided within this long go as one message (0: each alone).
    offer_batch: timedelta = timedelta(0)
    # The professions the pool deploys (config/professions.toml, given at wiring).
    professions: Professions = GP_ONLY
