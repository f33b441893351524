"""What a freelance GP locum's pension paperwork computes: pensionable pay (90% of the fee),
the employer contribution (14.38% of that, paid by the practice on top of the fee), the
employee contribution at the GP's tier for the scheme year, the Form B reference, and the
10-week window. Amounts are whole pence, rounded to the nearest penny (halves up), each figure
from the one before it as the forms compute them. The rates are data (config/pension_tiers.toml).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

WINDOW = timedelta(weeks=10)  # work older than this cannot be pensioned
WARN_BEFORE = timedelta(weeks=2)  # the GP (and the practice, for an unpaid invoice) is told then
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def _pence(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True, slots=True)
class Tier:
    number: int
    up_to_pounds: int | None  # None: and above
    rate: Decimal  # per cent: Decimal("9.8")


@dataclass(frozen=True, slots=True)
class TierYear:
    starts: int  # the scheme year's first April
    tiers: tuple[Tier, ...]
    source: str


@dataclass(frozen=True, slots=True)
class PensionRules:
    employer_rate: Decimal = Decimal("14.38")
    pensionable_share: Decimal = Decimal("90")
    years: tuple[TierYear, ...] = field(default=())

    def pensionable(self, fee_pence: int) -> int:
        """Box 2 of Form A: 90% of the fee."""
        return _pence(Decimal(fee_pence) * self.pensionable_share / 100)

    def employer(self, pensionable_pence: int) -> int:
        """Box 3 of Form A: 14.38% of the pensionable pay."""
        return _pence(Decimal(pensionable_pence) * self.employer_rate / 100)

    def tiers_for(self, scheme_year: int) -> TierYear:
        """The tier table of a scheme year: its own, or the latest earlier one."""
        found = [y for y in self.years if y.starts <= scheme_year]
        if not found:
            raise LookupError(f"no pension tier table for {scheme_year}/{(scheme_year + 1) % 100:02d}")
        return max(found, key=lambda y: y.starts)

    def rate(self, scheme_year: int, tier: int) -> Decimal:
        return next(t.rate for t in self.tiers_for(scheme_year).tiers if t.number == tier)

    def employee(self, pensionable_pence: int, scheme_year: int, tier: int) -> int:
        """Box b of Form B: the pensionable pay at the GP's tier's rate."""
        return _pence(Decimal(pensionable_pence) * self.rate(scheme_year, tier) / 100)


def scheme_year(day: date) -> int:
    """The scheme year (1 April to 31 March) a day is in, by its first April: 2026 for 2026/27."""
    return day.year if day.month >= 4 else day.year - 1


def scheme_year_name(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def form_b_reference(sd_number: str, month: date) -> str:
    """The unique payment reference a Form B and its Form As carry: the SD number, LOC, the
    month and year of the pay received (12345678LOCJAN2027)."""
    return f"{sd_number}LOC{MONTHS[month.month - 1]}{month.year}"


def pensions_the_work(engagement: str | None, profession: str, sd_number: str | None) -> bool:
    """Only a self-employed GP with an SD number pensions locum work through Forms A and B
    (limited companies and agencies cannot)."""
    return engagement == "self_employed" and profession == "gp" and bool(sd_number)


def window_closes(first_day: date) -> date:
    """The last day work from ``first_day`` can still be pensioned (10 weeks on)."""
    return first_day + WINDOW


NO_PENSION_RULES = PensionRules()  # until wiring gives config/pension_tiers.toml's
