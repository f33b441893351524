"""Messages in and out, questions waiting on an answer, digests held for later, and the outbox."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Protocol

from bot.domain import DeliveryChange, Inbound, Member, Prompt, Question
from bot.ports.channels import OutboxMessage
from bot.ports.records import DispatchOutcome, QueuedMessage, SentMessage


class Messages(Protocol):
    """Messages in and out as people see them, delivery reports, floods and lists."""

    async def record_inbound(self, inbound: Inbound, member_id: int | None) -> int | None: ...

    async def messages_to(
        self, channel: str, address: str, after_id: int, now: datetime
    ) -> list[SentMessage]:
        """Messages committed for this address and due by ``now``, sent or about to be."""

    async def outbound_after(self, after_id: int, now: datetime) -> list[SentMessage]:
        """Every outbound message after ``after_id`` that is due by ``now``, on any channel."""

    async def recent_outbound_to(self, channel: str, address: str, kind: str, since: datetime) -> int: ...

    async def last_sent(self, channel: str, address: str) -> tuple[str | None, str | None] | None:
        """The topic and text of the last message sent to this address (not one still queued)."""

    async def forget_message_body(self, message_id: int) -> None:
        """What a GP said in a check-in lives in the check-ins table only (and goes with it)."""

    async def failed_messages(self, message_ids: Iterable[int]) -> list[DeliveryChange]: ...

    async def record_delivery_report(
        self,
        channel: str,
        provider_id: str,
        status: str,
        rank: int,
        error_code: str | None,
        now: datetime,
        reason: str | None = None,
    ) -> tuple[bool, DeliveryChange | None]: ...

    async def flood_alerted_since(self, since: datetime) -> bool:
        """Whether the coordinators were told of a flood of strangers since then."""

    async def alerted_since(self, kind: str, topic: str, since: datetime) -> bool:
        """Whether an alert of ``kind`` about ``topic`` went to anyone since then."""

    async def strangers_writing(self, since: datetime) -> int:
        """How many numbers the pool does not know wrote since then."""

    async def replies_to_strangers(self, since: datetime) -> int:
        """How many answers went to numbers the pool does not know since then."""

    async def sms_segments_between(self, start: datetime, end: datetime) -> int:
        """SMS segments the provider billed for texts sent in [start, end)."""

    async def last_list(self, member_id: int) -> tuple[str, int, datetime] | None:
        """The last list the member asked for, how far they have read it, and when."""

    async def remember_list(self, member_id: int, kind: str, position: int, now: datetime) -> None: ...


class Prompts(Protocol):
    """Questions the bot has asked and is waiting on (a YES or NO, a score, did you go?)."""

    async def open_questions(self, member_id: int, code: str | None = None) -> list[Question]:
        """The member's open questions (offers, then prompts such as "did it go ahead?"),
        oldest first; only the one with ``code`` when given."""

    async def prompt(self, prompt_id: int) -> Prompt | None: ...

    async def prompt_by_code(self, member_id: int, code: str) -> Prompt | None: ...

    async def add_prompt(self, kind: str, member_id: int, ref_id: int, code: str, now: datetime) -> int: ...

    async def close_prompt(self, prompt_id: int, state: str, now: datetime) -> bool:
        """Answer or close an open prompt; False when it was no longer open."""

    async def close_prompts_about(self, kind: str, ref_id: int, now: datetime) -> int: ...

    async def prompt_about(self, kind: str, member_id: int, ref_id: int) -> Prompt | None: ...

    async def prompts_about(self, kind: str, ref_id: int) -> list[int]:
        """Who was asked (an invitation, "did you make it?") about this."""


class Digests(Protocol):
    """Alerts held for a coordinator's or manager's daily digest."""

    async def digest_waiting(self, member_id: int) -> list[tuple[int, str, str]]:
        """Events held for the member's next digest, oldest first: (id, event, line)."""

    async def last_digest(self, member_id: int) -> list[tuple[int, str, str]]:
        """The events of the member's last digest sent, in order: (id, event, line)."""

    async def hold_for_digest(
        self, member_id: int, session_id: int | None, event: str, line: str, now: datetime
    ) -> None: ...

    async def mark_digest_sent(self, item_ids: Sequence[int], now: datetime) -> int:
        """Mark these items sent (compare-and-set: an item sent already is left alone); how many."""


class Outbox(Protocol):
    """The outbox: messages queued, claimed by the dispatcher, sent, retried."""

    async def enqueue(self, messages: Sequence[QueuedMessage], now: datetime) -> None: ...

    async def release_held(self, member_id: int, now: datetime) -> int:
        """The member wrote on WhatsApp: their held messages go now (free-form); how many."""

    async def held_before(self, cutoff: datetime) -> list[tuple[int, int]]:
        """Held messages made before ``cutoff``: (message id, member id)."""

    async def reroute(self, message_id: int, channel: str | None, address: str | None, now: datetime) -> None:
        """A held message goes by another channel now (None: nothing reaches them: failed)."""

    async def take_over(self, now: datetime, channel: str | None = None) -> int:
        """Messages whose claim's lease ran out unrecorded (a worker stopped mid-send) go back to
        the queue; how many (delivery is at least once)."""

    async def claim(
        self, now: datetime, limit: int, channel: str | None, lease_until: datetime
    ) -> list[OutboxMessage]:
        """Mark up to ``limit`` due messages (of ``channel``, or any) as in flight until
        ``lease_until``, the most pressing first (bot/priority.py). A person's earlier due
        messages come along, so they are still sent in order: people appear in priority order,
        each one's in theirs."""

    async def record_dispatch(self, outcomes: Sequence[DispatchOutcome], now: datetime) -> None: ...

    async def undelivered(self, since: datetime) -> list[tuple[DeliveryChange, Member | None, datetime]]: ...

    async def fail_channels_off(self, channels_on: Collection[str]) -> list[int]: ...

    async def next_due(self, channel: str | None = None) -> datetime | None: ...

    async def purge_bodies(self, before: datetime) -> int: ...

    async def release(self, claims: dict[int, datetime]) -> int:
        """Give back claimed messages not sent (id -> the claim's lease), if still claimed so."""

    async def pause_channel(self, channel: str, until: datetime) -> None:
        """The provider asked us to slow down: nothing goes on ``channel`` until ``until``
        (kept, so whichever worker sends on it next holds off too)."""

    async def paused_until(self, channel: str) -> datetime | None: ...
