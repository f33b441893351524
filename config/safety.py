"""The crisis phrase list and signposting, kept as data in config/safety.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class SafetyData:
    crisis_patterns: tuple[str, ...]
    signposting: tuple[str, ...]
    distress_patterns: tuple[str, ...]
    distress_reply: tuple[str, ...]


def load_safety() -> SafetyData:
    text = (resources.files("config") / "safety.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return SafetyData(
        crisis_patterns=tuple(data["crisis_patterns"]),
        signposting=tuple(data["signposting"]),
        distress_patterns=tuple(data["distress_patterns"]),
        distress_reply=tuple(data["distress_reply"]),
    )
