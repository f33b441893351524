"""The professions of config/professions.toml, with any titles the pool renames
(POOL_PROFESSION_TITLES=physician_associate=physician assistant)."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

from bot.professions import Professions


@cache
def _table() -> dict:
    return tomllib.loads((resources.files("config") / "professions.toml").read_text(encoding="utf-8"))


def load_professions(titles: str | None = None) -> Professions:
    """``titles``: 'key=title, key=title' renaming professions (the setting's value)."""
    renamed = {}
    for pair in (titles or "").split(","):
        key, _, title = pair.partition("=")
        if key.strip() and title.strip():
            renamed[key.strip()] = title.strip()
    return Professions.from_table(_table(), renamed)
