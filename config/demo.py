"""The fictional pool of config/demo_pool.toml, read for the demo and `main.py seed`."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any


def load_demo_pool() -> dict[str, Any]:
    text = (resources.files("config") / "demo_pool.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)
