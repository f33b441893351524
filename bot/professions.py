"""The professions a pool deploys: GPs, practice nurses, pharmacists, paramedics and the other
roles of general practice, each with its regulator, registration number, checks, pay range
and the words texts use. The data lives in config/professions.toml and reaches the core at
wiring time (``PoolPolicy.professions``); GP_ONLY is what a policy has when given nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

GP = "gp"


@dataclass(frozen=True, slots=True)
class Profession:
    key: str
    name: str  # "practice nurse": how texts and screens name them
    word: str  # "Practice nurse": the start of an offer, "<word> session at ..."
    regulator: str  # "NMC", or "" for none
    number: str  # the registration number's shape, a whole-string regex ("" for none)
    number_hint: str
    checks: tuple[str, ...]  # each a check, or "a|b|c": any one of them
    pay: tuple[int, int]  # a session's whole rate, in pence, from and to
    levels: Mapping[str, str] = field(default_factory=dict)  # "advanced" -> its title

    def title(self, level: str | None = None) -> str:
        return self.levels.get(level or "", self.name)

    def tidy_number(self, text: str) -> str:
        """A registration number as people write it ('GMC 701 2345', 'nmc 12a3456b') in its
        register's own form ('7012345', '12A3456B'); unchanged when it cannot be read so."""
        compact = re.sub(r"[\s\-]", "", text).upper()
        for prefix in ("GMC", "NMC", "GPHC", "HCPC", "SWE"):
            rest = compact.removeprefix(prefix).lstrip(":#")
            if rest != compact and self.number_fits(rest):
                return rest
        return compact

    def registration(self, number: str | None) -> str:
        """'GMC 7012345' as a practice reads it: the register and the number ('' for none)."""
        if not number:
            return ""
        single = self.regulator and "," not in self.regulator and " or " not in self.regulator
        if not single or number.upper().startswith(self.regulator.upper()):
            return number
        return f"{self.regulator} {number}"

    def number_fits(self, number: str) -> bool:
        if not self.number:
            return not number
        return re.fullmatch(self.number, number) is not None

    def check_names(self) -> frozenset[str]:
        """Every check name this profession can hold."""
        return frozenset(name for check in self.checks for name in check.split("|"))

    def checks_missing(self, held: Iterable[str]) -> list[str]:
        """The required checks not among ``held`` ("nmc|hcpc|swe" for a choice not made)."""
        have = set(held)
        return [check for check in self.checks if not have & set(check.split("|"))]


@dataclass(frozen=True, slots=True)
class Professions:
    by_key: Mapping[str, Profession]

    def __getitem__(self, key: str) -> Profession:
        return self.by_key[key]

    def __contains__(self, key: object) -> bool:
        return key in self.by_key

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.by_key.values())

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self.by_key)

    def check_names(self) -> tuple[str, ...]:
        """Every check any profession needs, in a stable order."""
        names: dict[str, None] = {}
        for profession in self:
            for check in profession.checks:
                names.update(dict.fromkeys(check.split("|")))
        return tuple(names)

    def words(self, keys: Iterable[str], plural: bool = False) -> str:
        """'GP', 'practice nurse or clinical pharmacist': who a session is for, in words."""
        names = [self[k].name for k in dict.fromkeys(keys) if k in self]
        if len(names) > 2:  # a list that long would not fit a text: say what they have in common
            names = ["clinician"]
        if plural:
            names = [n if n.endswith("s") else f"{n}s" for n in names]
        return " or ".join(names)

    @classmethod
    def from_table(
        cls, table: Mapping[str, Mapping[str, Any]], titles: Mapping[str, str] | None = None
    ) -> Professions:
        """From config/professions.toml's table; ``titles`` renames professions by key."""
        found = {}
        for key, row in table.items():
            name = (titles or {}).get(key, row["name"])
            found[key] = Profession(
                key=key,
                name=name,
                word=row.get("word", name).strip() or name,
                regulator=row.get("regulator", ""),
                number=row.get("number", ""),
                number_hint=row.get("number_hint", ""),
                checks=tuple(row["checks"]),
                pay=(int(row["pay"][0]), int(row["pay"][1])),
                levels=dict(row.get("levels", {})),
            )
        if GP not in found:
            raise ValueError("the professions must include gp")
        return cls(found)


GP_ONLY = Professions(
    {
        GP: Profession(
            key=GP,
            name="GP",
            word="GP",
            regulator="GMC",
            number=r"\d{7}",
            number_hint="7 digits",
            checks=("identity", "cct", "indemnity", "occupational_health", "performers_list", "gmc",
                    "employment_history", "dbs"),
            pay=(0, 10_000_000),
        )
    }
)  # fmt: skip
