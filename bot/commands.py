"""Commands the outside world gives the core (JSON API, CLI, coordinators' chat commands).

The core defines their shape; the flows register the handlers at wiring time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
