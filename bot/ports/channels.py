"""What a channel (SMS, WhatsApp, Slack, Telegram, the sandbox) does for the core: send, and say how."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.domain import Choice

# ---------------------------------------------------------------------------------------------
# Channels


@dataclass(frozen=True, slots=True)
class ChannelLimits:
    """What a provider allows; the dispatcher keeps inside it."""

    per_second: float | None = None  # overall sends a second; None: no limit
    per_address_interval: float = 0.0  # seconds between two sends to one person
    max_in_flight: int = 50  # concurrent requests to the provider


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """An outbound message as the dispatcher hands it to a channel."""

    id: int
    channel: str
    address: str
    text: str
    choices: tuple[Choice, ...]
    member_id: int | None
    topic: str | None
    kind: str
    attempts: int
    details: tuple[tuple[str, str], ...] = ()
    # The provider's id of the message this one replaces (its topic's first message, with
    # the choices), when it supersedes one that was sent on this channel.
    replaces: str | None = None
    # Outside a member's WhatsApp window: the approved template it goes as, instead of the text.
    template: TemplateSend | None = None


@dataclass(frozen=True, slots=True)
class TemplateSend:
    """A WhatsApp template to send: its ContentSid (HX...) and its numbered variables."""

    sid: str
    variables: tuple[tuple[str, str], ...]  # ("1", "Dr Zoë"), ("2", "Riverside Surgery")...


@dataclass(frozen=True, slots=True)
class Sent:
    provider_id: str
    segments: int | None = None  # what an SMS was billed as


@dataclass(frozen=True, slots=True)
class RetryLater:
    """A transient failure (429, 5xx, timeout). ``after``: the provider's Retry-After."""

    reason: str
    after: float | None = None


@dataclass(frozen=True, slots=True)
class Unreachable:
    """A permanent failure for this message: bad address, rejected content. ``reason`` in
    words a coordinator understands ("not a mobile number"); ``code``: the provider's."""

    reason: str
    code: str | None = None


@dataclass(frozen=True, slots=True)
class OutsideWindow(Unreachable):
    """WhatsApp refused a free-form message because the person has not written in the last 24
    hours (Twilio 63016): the same message can still go as an approved template, or by SMS.

    An Unreachable, so a dispatcher that knows nothing of windows fails the message as it
    would any refusal (and the usual fallback to another channel follows); one that does can
    match it first and resend the message as a template."""


@dataclass(frozen=True, slots=True)
class OptedOut:
    """The provider says this person blocked us or opted out; record it and stop sending."""

    reason: str
    code: str | None = None


SendResult = Sent | RetryLater | Unreachable | OptedOut  # OutsideWindow is an Unreachable


class Channel(Protocol):
    name: str
    limits: ChannelLimits
    # Chat channels can edit a message in place for free; SMS cannot and each text costs money.
    edits_are_free: bool

    async def send(self, message: OutboxMessage) -> SendResult:
        """Hand one message to the provider."""

    def render(self, text: str, choices: Sequence[Choice]) -> str:
        """The message as a person reads it on this channel, choices included."""


class TemplateChannel(Channel, Protocol):
    """A channel that also sends approved templates (WhatsApp outside the 24-hour window)."""

    async def send_template(
        self, message: OutboxMessage, content_sid: str, variables: Mapping[str, str]
    ) -> SendResult: ...
