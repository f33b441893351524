"""The pool's rules the flows read: wave sizes, costs, who the wellbeing lead is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True, slots=True)
class PoolPolicy:
    pool_name: str = "the GP pool"
    wave_size: int = 5
    wave_wait: timedelta = timedelta(minutes=30)
    filled_sms: bool = False  # send "this session has been filled" by paid SMS
    wellbeing_lead_phone: str | None = None
    message_retention: timedelta = timedelta(days=90)
    live_date: date | None = None  # when the pool went live (default: its first session)
    setup_budget_pence: int = 12_000_000  # up to £120k a system, for running the pool
    default_rate_pence: int = 32_000  # what a new session's form starts with
