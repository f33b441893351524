"""Logs a stranger cannot flood: one line per kind of event a minute, with a count of the rest.

A client that sends garbage at 125 requests a second would otherwise write a line (or a
traceback) for each. Each kind (say "413 /twilio") is logged the first time; repeats within
the next minute are only counted, and the first one after it says how many were held back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_SECONDS = 60.0


@dataclass(slots=True)
class _Kind:
    logged_at: float
    held_back: int = 0


class LogLimit:
    """Decides which events of a kind reach the log. ``monotonic`` is injectable, so tests
    move time instead of waiting."""

    def __init__(
        self, monotonic: Callable[[], float] = time.monotonic, window: float = WINDOW_SECONDS
    ) -> None:
        self.monotonic = monotonic
        self.window = window
        self._kinds: dict[str, _Kind] = {}

    def allow(self, kind: str) -> int | None:
        """None when this event should stay out of the log; otherwise how many of its kind
        were held back since the last one logged."""
        now = self.monotonic()
        seen = self._kinds.get(kind)
        if seen is None or now - seen.logged_at >= self.window:
            held = seen.held_back if seen else 0
            if len(self._kinds) > 1000:  # a stranger inventing kinds must not grow this forever
                self._kinds.clear()
            self._kinds[kind] = _Kind(logged_at=now)
            return held
        seen.held_back += 1
        return None

    def log(
        self, logger: logging.Logger, level: int, kind: str, message: str, *args: object,
        exc_info: BaseException | None = None,
    ) -> bool:  # fmt: skip
        """Log ``message`` unless its kind was logged within the window. True when logged."""
        held = self.allow(kind)
        if held is None:
            return False
        if held:
            message += " (and %d more like it in the last minute)"
            args = (*args, held)
        logger.log(level, message, *args, exc_info=exc_info)
        return True


class LimitFilter(logging.Filter):
    """The same limit for a library's own log lines (uvicorn's 'Invalid HTTP request
    received.', say): a record's kind is its logger and message template."""

    def __init__(self, limit: LogLimit | None = None) -> None:
        super().__init__()
        self.limit = limit or LogLimit()

    def filter(self, record: logging.LogRecord) -> bool:
        held = self.limit.allow(f"{record.name}:{record.msg}")
        if held is None:
            return False
        if held:
            record.msg = f"{record.getMessage()} (and {held} more like it in the last minute)"
            record.args = None
        return True
