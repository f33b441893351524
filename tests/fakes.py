"""Fakes of the ports, shared by the tests. (Provider APIs are faked at the HTTP boundary in
their own adapter tests; these stand in for a channel as the dispatcher sees it.)"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.clock import Clock
from bot.domain import Choice
from bot.ports import ChannelLimits, OutboxMessage, SendResult, Sent
from bot.render import text_with_choices


class RecordingChannel:
    """A channel that records each send with the clock's time; ``script`` gives the results of
    the first sends (then every send succeeds)."""

    edits_are_free = True

    def __init__(
        self,
        clock: Clock,
        name: str = "sandbox",
        limits: ChannelLimits | None = None,
        script: Sequence[SendResult] = (),
    ) -> None:
        self.clock = clock
        self.name = name
        self.limits = limits or ChannelLimits()
        self.script = list(script)
        self.sent: list[tuple[datetime, OutboxMessage]] = []
        self.attempts: list[OutboxMessage] = []

    async def send(self, message: OutboxMessage) -> SendResult:
        self.attempts.append(message)
        result = self.script.pop(0) if self.script else Sent(f"rec-{message.id}")
        if isinstance(result, Sent):
            self.sent.append((self.clock.now(), message))
        return result

    def render(self, text: str, choices: Sequence[Choice]) -> str:
        return text_with_choices(text, choices)

    @property
    def sent_ids(self) -> list[int]:
        return [message.id for _, message in self.sent]
