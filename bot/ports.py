"""The ports the core talks through: a channel, and the store's unit of work.

Adapters implement ``Channel``; ``storage/`` implements ``Store`` and ``UnitOfWork``. The core
and the flows only ever see these shapes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from bot.domain import (
    AuditEntry,
    Booking,
    Choice,
    Cost,
    DeliveryChange,
    GpFacts,
    Inbound,
    Member,
    Offer,
    Practice,
    Prompt,
    Question,
    Session,
    SessionStatus,
)

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
class OptedOut:
    """The provider says this person blocked us or opted out; record it and stop sending."""

    reason: str
    code: str | None = None


SendResult = Sent | RetryLater | Unreachable | OptedOut


class Channel(Protocol):
    name: str
    limits: ChannelLimits
    # Chat channels can edit a message in place for free; SMS cannot and each text costs money.
    edits_are_free: bool

    async def send(self, message: OutboxMessage) -> SendResult:
        """Hand one message to the provider."""

    def render(self, text: str, choices: Sequence[Choice]) -> str:
        """The message as a person reads it on this channel, choices included."""


# ---------------------------------------------------------------------------------------------
# Store


@dataclass(frozen=True, slots=True)
class TimerRow:
    id: int
    kind: str
    subject: str
    due_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """An outbound row to write to the outbox, with its channel already chosen."""

    member_id: int | None
    channel: str
    address: str
    body: str
    choices: tuple[Choice, ...]
    topic: str | None
    kind: str
    not_before: datetime | None
    status: str = "queued"
    error: str | None = None
    details: tuple[tuple[str, str], ...] = ()
    supersedes: bool = False
    priority: int = 3  # bot/priority.py: lower goes first


@dataclass(frozen=True, slots=True)
class DispatchOutcome:
    message_id: int
    status: str  # sent, queued (to retry), failed
    provider_id: str | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None
    opted_out_member: int | None = None
    error_code: str | None = None  # the provider's code for a failure
    segments: int | None = None
    attempted: bool = True  # False: put back in the queue unsent, to keep a person's order


@dataclass(frozen=True, slots=True)
class SessionView:
    """A session as coordinators and the API see it."""

    session: Session
    practice: Practice
    booked: Member | None
    offers: tuple[tuple[Offer, Member], ...]


@dataclass(frozen=True, slots=True)
class OfferTally:
    """How a session's current round stands: offers not yet answered, declined, and the
    names of the first few still waiting."""

    waiting: int
    declined: int
    first_waiting: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SentMessage:
    id: int
    channel: str
    address: str
    body: str | None
    choices: tuple[Choice, ...]
    kind: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    member_id: int | None = None
    due_at: datetime | None = None  # when it may go: created_at, or the end of quiet hours

    @property
    def went_at(self) -> datetime:
        """When it went to the person: sent, or (not yet sent) when it became due to go. A
        message held by quiet hours went in the morning, not when it was written."""
        return self.sent_at or self.due_at or self.created_at


@dataclass(frozen=True, slots=True)
class InboxItem:
    id: int
    message_id: int
    member: Member | None
    channel: str
    address: str
    body: str | None
    received_at: datetime
    state: str
    count: int = 1  # messages from this number folded into the item (the newest is shown)


class Reader(Protocol):
    """Queries that read; safe outside a unit of work."""

    async def member(self, member_id: int) -> Member | None: ...
    async def members(self, member_ids: Iterable[int]) -> dict[int, Member]: ...
    async def member_by_phone(self, phone: str) -> Member | None: ...
    async def peer_figures(self, start: datetime, end: datetime) -> dict[str, int]: ...
    async def mentoring_figures(self, start: datetime, end: datetime) -> dict[str, Any]: ...
    async def member_by_address(self, channel: str, address: str) -> Member | None: ...
    async def member_by_email(self, email: str) -> Member | None: ...
    async def checkins_asked_between(self, start: datetime, end: datetime) -> list[tuple[datetime, int]]: ...
    async def checkin_answers_between(
        self, start: datetime, end: datetime
    ) -> list[tuple[datetime, int, int, str | None, bool]]: ...
    async def quiet_preferences(
        self, member_ids: Iterable[int], only_own: bool = False
    ) -> dict[int, tuple[str | None, bool]]: ...
    async def members_with_role(self, role: str) -> list[Member]: ...
    async def members_to_look_up_in_slack(self, looked_before: datetime, limit: int) -> list[Member]: ...
    async def practice(self, ods_code: str) -> Practice | None: ...
    async def session(self, session_id: int) -> Session | None: ...
    async def session_by_code(self, code: str) -> Session | None: ...
    async def session_view(self, session_id: int) -> SessionView | None: ...
    async def offer_tally(self, session: Session, named: int) -> OfferTally: ...
    async def sessions_between(self, start: datetime, end: datetime) -> list[Session]: ...
    async def offer(self, offer_id: int) -> Offer | None: ...
    async def offers_for_session(self, session_id: int) -> list[Offer]: ...
    async def offer_by_code(self, member_id: int, code: str) -> Offer | None: ...
    async def latest_answered_offer(self, member_id: int, since: datetime) -> Offer | None: ...
    async def open_questions(self, member_id: int, code: str | None = None) -> list[Question]: ...
    async def open_offers(self, member_id: int) -> list[tuple[Offer, Session, Practice]]: ...
    async def prompt(self, prompt_id: int) -> Prompt | None: ...
    async def live_booking(self, session_id: int) -> Booking | None: ...
    async def upcoming_bookings(
        self, member_id: int, now: datetime
    ) -> list[tuple[Booking, Session, Practice]]: ...
    async def booking_by_code(self, member_id: int, code: str) -> Booking | None: ...
    async def codes_in_use(self, member_ids: Iterable[int], since: datetime) -> dict[int, set[str]]: ...
    async def open_sessions(self, now: datetime) -> list[Session]: ...
    async def gp_facts(
        self, session: Session, now: datetime, member_ids: Iterable[int] | None = None
    ) -> list[GpFacts]: ...
    async def messages_to(
        self, channel: str, address: str, after_id: int, now: datetime
    ) -> list[SentMessage]: ...
    async def outbound_after(self, after_id: int, now: datetime) -> list[SentMessage]: ...
    async def due_timers(self, now: datetime, limit: int = 100) -> list[TimerRow]: ...
    async def next_timer_due(self) -> datetime | None: ...
    async def inbox(self, state: str = "open") -> list[InboxItem]: ...
    async def inbox_item(self, item_id: int) -> InboxItem | None: ...
    async def available_members(self, day: date, half: str) -> list[Member]: ...
    async def practice_preferences(self, ods_code: str) -> dict[int, str]: ...
    async def practices(self) -> list[Practice]: ...
    async def all_members(self) -> list[Member]: ...
    async def members_registered_before(self, moment: datetime) -> list[Member]: ...
    async def checks_of(self, member_id: int) -> dict[str, date | None]: ...
    async def checks_expiring(self, last_day: date) -> list[tuple[Member, str, date]]: ...
    async def has_pending_timer(self, kind: str) -> bool: ...
    async def session_by_slot(
        self, practice: str, starts_at: datetime, ends_at: datetime
    ) -> Session | None: ...
    async def bookings_between(
        self, start: datetime, end: datetime
    ) -> list[tuple[Booking, Session, Member]]: ...
    async def costs_between(self, first: date, last: date) -> list[Cost]: ...
    async def first_session_posted(self) -> datetime | None: ...
    async def sms_segments_between(self, start: datetime, end: datetime) -> int: ...
    async def recent_outbound_to(self, channel: str, address: str, kind: str, since: datetime) -> int: ...
    async def offers_to_tell(self, member_id: int) -> list[tuple[Offer, Session, Practice]]:
        """Open offers waiting for their batch message, soonest session first."""

    async def offers_in_batch(self, batch: str) -> list[tuple[Offer, Session, Practice]]: ...
    async def pending_timer(self, kind: str, subject: str, due_by: datetime | None = None) -> bool:
        """Whether a timer of ``kind`` for ``subject`` is still to run (``due_by``: and due by then)."""

    async def mark_offers_told(self, offer_ids: Sequence[int], now: datetime, batch: str | None) -> None: ...

    async def reopen_offer(self, offer_id: int, state: str) -> bool:
        """Open again an offer that was declined or that lapsed (compare-and-set on ``state``)."""

    async def last_list(self, member_id: int) -> tuple[str, int, datetime] | None:
        """The last list the member asked for, how far they have read it, and when."""

    async def worked_at_before(self, member_id: int, practice: str, before: datetime) -> bool:
        """Whether the member had a session at the practice that started before ``before``."""

    async def digest_waiting(self, member_id: int) -> list[tuple[int, str, str]]:
        """Events held for the member's next digest, oldest first: (id, event, line)."""

    async def last_digest(self, member_id: int) -> list[tuple[int, str, str]]:
        """The events of the member's last digest sent, in order: (id, event, line)."""

    async def last_sent(self, channel: str, address: str) -> tuple[str | None, str | None] | None:
        """The topic and text of the last message sent to this address (not one still queued)."""

    async def flood_alerted_since(self, since: datetime) -> bool:
        """Whether the coordinators were told of a flood of strangers since then."""

    async def strangers_writing(self, since: datetime) -> int:
        """How many numbers the pool does not know wrote since then."""

    async def replies_to_strangers(self, since: datetime) -> int:
        """How many answers went to numbers the pool does not know since then."""


class UnitOfWork(Reader, Protocol):
    """Reads and writes in one transaction: all of it is committed, or none of it."""

    async def record_inbound(self, inbound: Inbound, member_id: int | None) -> int | None:
        """The new message's id, or None when this external id was seen before."""

    async def update_member(self, member_id: int, **fields: Any) -> Member: ...
    async def record_slack_lookup(self, member_id: int, user_id: str | None, now: datetime) -> bool: ...
    async def add_prompt(self, kind: str, member_id: int, ref_id: int, code: str, now: datetime) -> int: ...
    async def set_mentor(
        self,
        member_id: int,
        capacity: int,
        hours: float,
        interests: Iterable[str],
        localities: Iterable[str],
        trained: bool,
        now: datetime,
    ) -> None: ...
    async def mentors(self) -> list[dict[str, Any]]: ...
    async def add_mentee_request(self, member_id: int, wants: str, now: datetime) -> bool: ...
    async def waiting_mentees(self) -> list[tuple[int, str]]: ...
    async def mentorships(self, states: Iterable[str]) -> list[dict[str, Any]]: ...
    async def replace_proposals(self, pairs: Iterable[tuple[int, int, int, str]], now: datetime) -> None: ...
    async def approve_mentorship(self, mentorship_id: int, now: datetime) -> dict[str, Any] | None: ...
    async def mentorship(self, mentorship_id: int) -> dict[str, Any] | None: ...
    async def mentor_leaves(self, member_id: int, now: datetime) -> list[int]: ...
    async def previous_mentor(self, mentee_id: int) -> int | None: ...
    async def failed_messages(self, message_ids: Iterable[int]) -> list[DeliveryChange]:
        """Those of these outbound messages that failed, as changes a flow can act on."""

    async def set_offer_channel(self, offer_id: int, channel: str) -> None:
        """The channel an offer finally went by (after a fallback)."""

    async def active_mentorships_of(self, member_id: int) -> list[dict[str, Any]]: ...
    async def log_meeting(self, mentorship_id: int, by: int | None, now: datetime) -> None: ...
    async def meetings_since(self, mentorship_id: int, since: datetime) -> int: ...
    async def end_mentorship(self, mentorship_id: int, now: datetime) -> bool: ...
    async def requeue_mentee(self, member_id: int, now: datetime) -> None: ...
    async def wellbeing_plan(self, member_id: int) -> dict[str, Any] | None: ...
    async def set_wellbeing_plan(
        self, member_id: int, cadence: str, weekday: int, at_time: str, now: datetime
    ) -> None: ...
    async def stop_wellbeing_plan(self, member_id: int, now: datetime) -> bool: ...
    async def add_checkin(self, member_id: int, now: datetime) -> int: ...
    async def answer_checkin(self, checkin_id: int, score: int, now: datetime) -> None: ...
    async def comment_on_checkin(self, checkin_id: int, comment: str) -> None: ...
    async def set_lead_consent(self, checkin_id: int, consent: str) -> None: ...
    async def checkin(self, checkin_id: int) -> dict[str, Any] | None: ...
    async def checkin_history(self, member_id: int, limit: int) -> list[tuple[datetime, int]]: ...
    async def latest_answered_checkin(self, member_id: int, since: datetime) -> int | None: ...
    async def forget_checkins(self, member_id: int) -> int: ...
    async def last_checkin_asked(self, member_id: int) -> datetime | None: ...
    async def prompt_by_code(self, member_id: int, code: str) -> Prompt | None: ...
    async def forget_message_body(self, message_id: int) -> None: ...
    async def recent_checkin_scores(self, member_id: int, limit: int) -> list[int | None]: ...
    async def close_prompt(self, prompt_id: int, state: str, now: datetime) -> bool: ...
    async def close_prompts_about(self, kind: str, ref_id: int, now: datetime) -> int: ...
    async def add_link_code(
        self, member_id: int, channel: str, code_hash: str, now: datetime, expires_at: datetime
    ) -> None: ...
    async def link_code(
        self, code_hash: str, channel: str, now: datetime
    ) -> tuple[int | None, str | None]: ...
    async def use_link_code(self, code_hash: str, channel: str, now: datetime) -> bool: ...
    async def link_telegram(self, member_id: int, chat_id: str | None) -> None: ...
    async def set_availability(
        self, member_id: int, day: date, halves: Iterable[str], now: datetime
    ) -> None: ...
    async def set_practice_preference(self, practice: str, member_id: int, kind: str | None) -> None: ...
    async def make_urgent(self, session_id: int) -> None: ...
    async def record_delivery(self, session_id: int, hours: float, now: datetime) -> bool: ...
    async def add_cost(self, day: date, amount_pence: int, what: str, now: datetime) -> Cost: ...
    async def add_practice(self, practice: Practice) -> None: ...
    async def add_member(self, member: Member, now: datetime) -> Member: ...
    async def set_check(self, member_id: int, kind: str, expires: date | None) -> None: ...
    async def note_check_reminder(
        self, member_id: int, kind: str, expires: date, days: int, now: datetime
    ) -> bool: ...
    async def add_session(
        self,
        *,
        code: str,
        practice: str,
        starts_at: datetime,
        ends_at: datetime,
        rate_pence: int,
        urgent: bool,
        notes: str,
        posted_by: int | None,
        posted_via: str,
        now: datetime,
    ) -> Session: ...
    async def session_code_taken(self, code: str) -> bool: ...
    async def set_session_status(
        self, session_id: int, status: SessionStatus, *, expect: SessionStatus, now: datetime
    ) -> bool:
        """Compare-and-set: True only when the session was in ``expect``."""

    async def start_new_round(self, session_id: int) -> int: ...
    async def add_offers(
        self,
        session: Session,
        wave: int,
        rows: Sequence[tuple[int, str, str | None]],
        now: datetime,
    ) -> list[Offer]: ...
    async def answer_offer(self, offer_id: int, state: str, answer: str | None, now: datetime) -> bool:
        """Close an open offer; False when it was no longer open."""

    async def expire_offers(
        self, session_id: int, round_: int, wave: int | None, made_by: datetime, now: datetime
    ) -> int: ...
    async def withdraw_open_offers(
        self, session_id: int, now: datetime
    ) -> list[tuple[Offer, str | None]]: ...
    async def opted_out(self, member_ids: Iterable[int]) -> set[tuple[int, str]]: ...
    async def withdraw_member_offers(self, member_id: int, now: datetime) -> list[Offer]: ...
    async def reopen_declined_offer(self, offer_id: int) -> bool: ...
    async def record_late_answer(self, offer_id: int, answer: str, now: datetime) -> None: ...
    async def add_booking(
        self,
        *,
        session_id: int,
        member_id: int,
        offer_id: int | None,
        code: str,
        via: str,
        now: datetime,
    ) -> Booking: ...
    async def end_booking(self, booking_id: int, state: str, now: datetime) -> bool: ...
    async def set_paused_until(self, member_id: int, until: date | None) -> None: ...
    async def opt_out(
        self, member_id: int, channel: str, now: datetime, by_provider: bool = False
    ) -> None: ...
    async def lift_provider_opt_out(self, member_id: int, channel: str) -> bool: ...
    async def opt_in(self, member_id: int, channel: str) -> bool: ...
    async def enqueue(self, messages: Sequence[QueuedMessage], now: datetime) -> None: ...
    async def add_timer(
        self, kind: str, subject: str, due_at: datetime, payload: dict[str, Any], now: datetime
    ) -> int: ...
    async def cancel_timers(self, kind: str, subject: str) -> int: ...
    async def finish_timer(self, timer_id: int, now: datetime) -> bool:
        """Mark a pending timer done; False when it had already run."""

    async def audit(self, entry: AuditEntry, now: datetime) -> None: ...
    async def add_to_inbox(self, message_id: int, member_id: int | None, now: datetime) -> None: ...
    async def remember_list(self, member_id: int, kind: str, position: int, now: datetime) -> None: ...
    async def hold_for_digest(
        self, member_id: int, session_id: int | None, event: str, line: str, now: datetime
    ) -> None: ...
    async def mark_digest_sent(self, item_ids: Sequence[int], now: datetime) -> int:
        """Mark these items sent (an item sent already is left alone); how many were marked."""

    async def close_inbox_item(self, item_id: int, by: int | None, now: datetime) -> bool: ...


class Store(Protocol):
    def unit_of_work(self) -> AbstractAsyncContextManager[UnitOfWork]: ...
    def reader(self) -> Reader: ...

    # The dispatcher's own short transactions.
    async def claim_outbox(
        self, now: datetime, limit: int, channel: str | None = None
    ) -> list[OutboxMessage]: ...
    async def record_dispatch(self, outcomes: Sequence[DispatchOutcome], now: datetime) -> None: ...
    async def requeue_in_flight(self) -> int: ...
    async def next_outbox_due(self, channel: str | None = None) -> datetime | None: ...
    async def record_delivery_report(
        self, channel: str, provider_id: str, status: str, rank: int, error_code: str | None, now: datetime,
        reason: str | None = None,
    ) -> tuple[bool, DeliveryChange | None]:  # fmt: skip
        """Keep the report (False when it was seen before) and move the message on if it is
        known and the report is newer news than what it has. ``reason``: the code in words."""

    async def fail_channels_off(self, channels_on: Collection[str]) -> list[int]:
        """Queued messages on a channel no longer on fail (their ids), so fallbacks can run."""

    async def undelivered(self, since: datetime) -> list[tuple[DeliveryChange, Member | None, datetime]]: ...
    async def retry_timer_later(self, timer_id: int, error: str, due_at: datetime, give_up: bool) -> None: ...
    async def purge_message_bodies(self, before: datetime) -> int: ...
    async def close(self) -> None: ...
