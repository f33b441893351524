"""The crisis phrase list and signposting, kept as data in config/safety.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class SafetyData:
    crisis_patterns: tuple[str, ...]
    signposting: tuple[str, ...]


def load_safety() -> SafetyData:
    text = (resources.files("config") / "safety.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return SafetyData(tuple(data["crisis_patterns"]), tuple(data["signposting"]))
