"""The pension rates of config/pension_tiers.toml, as bot/pensions.py's PensionRules."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from functools import cache
from importlib import resources

from bot.pensions import PensionRules, Tier, TierYear


@cache
def load_pension_rules() -> PensionRules:
    table = tomllib.loads((resources.files("config") / "pension_tiers.toml").read_text(encoding="utf-8"))
    years = tuple(
        TierYear(
            starts=int(year["starts"]),
            tiers=tuple(
                Tier(int(t["tier"]), t.get("up_to_pounds"), Decimal(str(t["rate"]))) for t in year["tiers"]
            ),
            source=str(year["source"]),
        )
        for year in table["year"]
    )
    return PensionRules(Decimal(table["employer_rate"]), Decimal(table["pensionable_share"]), years)
