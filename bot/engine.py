"""The conversation engine: inbound → flow → outbound, each in one transaction.

Every inbound message, command and timer runs as one ``Turn``: a unit of work on the store, the
time it happened, and the messages it wants to send. The flow reads and writes through the unit
of work and says what to send; the engine writes those messages to the outbox in the same
transaction (persist, then send) and wakes the dispatcher after the commit.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol, TypeVar

from bot.calendar import quiet_until, quiet_window
from bot.clock import Clock
from bot.domain import AuditEntry, DeliveryChange, Inbound, Member, Outbound
from bot.policy import PoolPolicy
from bot.ports import QueuedMessage, Store, TimerRow, UnitOfWork
from bot.priority import priority
from bot.reach import reach
from bot.whatsapp_window import Template, outside_window

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Turn:
    """One unit of work: what happened, when, and what to say about it."""

    uow: UnitOfWork
    now: datetime
    policy: PoolPolicy
    channels_on: tuple[str, ...]
    rng: random.Random
    actor: str  # who caused this turn, for the audit log: "member:12", "api", "timer:3"
    inbound: Inbound | None = None
    member: Member | None = None
    message_id: int | None = None  # the stored inbound message
    by: int | None = None  # the member giving a command (None: the admin, or an inbound turn)
    outbound: list[Outbound] = field(default_factory=list)
    read_by: str | None = None  # the rule that read the inbound message: every audit names it

    @property
    def acting_member_id(self) -> int | None:
        """Who this turn acts for: they hear the outcome as their answer, not as a notice."""
        return self.member.id if self.member else self.by

    @property
    def pressed(self) -> bool:
        """The inbound is a button press: its answer can show in place of the message."""
        return self.inbound is not None and self.inbound.choice is not None

    def say(self, outbound: Outbound) -> None:
        self.outbound.append(outbound)

    def reply(self, text: str, at: int | None = None, **extra: Any) -> None:
        """Answer the inbound message on the channel it came from. ``at``: where among the
        turn's messages so far it goes (a reply can come before messages already decided)."""
        assert self.inbound is not None, "reply() only answers an inbound message"
        self.outbound.insert(
            len(self.outbound) if at is None else at,
            Outbound(
                text=text,
                member_id=self.member.id if self.member else None,
                channel=self.inbound.channel,
                address=self.inbound.address,
                **extra,
            ),
        )

    async def audit(self, action: str, subject: str, channel: str | None = None, **detail: object) -> None:
        if channel is None and self.inbound is not None:
            channel = self.inbound.channel
        if self.read_by is not None:
            detail.setdefault("read_by", self.read_by)
        await self.uow.audit.record(AuditEntry(self.actor, action, subject, channel, dict(detail)), self.now)


class Conversation(Protocol):
    async def __call__(self, turn: Turn) -> None:
        """Handle ``turn.inbound`` from ``turn.member`` (None: an unknown sender)."""


TimerHandler = Callable[[Turn, TimerRow], Awaitable[None]]


class Engine:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        policy: PoolPolicy,
        channels_on: Collection[str],
        conversation: Conversation,
        rng: random.Random | None = None,
        on_commit: Callable[[], None] = lambda: None,
        whatsapp_templates: Mapping[str, Template] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.policy = policy
        self.channels_on = tuple(channels_on)
        self.conversation = conversation
        self.rng = rng or random.SystemRandom()
        self.on_commit = on_commit
        # What may go on WhatsApp outside a member's 24-hour window, by kind (bot/whatsapp_window.py).
        self.whatsapp_templates: dict[str, Template] = dict(whatsapp_templates or {})
        self.timer_handlers: dict[str, TimerHandler] = {}
        # What a flow does when a provider reports a message undelivered (set at wiring).
        self.on_undelivered: Callable[[Turn, DeliveryChange], Awaitable[None]] | None = None
        self.command_handlers: dict[type, Callable[[Turn, Any], Awaitable[Any]]] = {}
        # Recurring work (a daily sweep): kind -> when the first run is due, given now. Each
        # run writes its own next row; ensure_standing() writes one if none is pending.
        self.standing: dict[str, Callable[[datetime], datetime]] = {}

    def on_timer(self, kind: str, handler: TimerHandler) -> None:
        self.timer_handlers[kind] = handler

    def on_standing(
        self, kind: str, handler: TimerHandler, first_due: Callable[[datetime], datetime]
    ) -> None:
        self.timer_handlers[kind] = handler
        self.standing[kind] = first_due

    async def ensure_standing(self) -> None:
        """Every recurring job has its next run in the store (at start: the store is the
        source of truth, so one that fell due while stopped simply runs now)."""
        if not self.standing:
            return

        async def write(uow: UnitOfWork) -> None:
            await uow.lock("pool:standing")  # workers starting together write each job once
            now = self.clock.now()
            for kind, first_due in self.standing.items():
                if not await uow.timers.has_pending_timer(kind):
                    await uow.timers.add_timer(kind, "pool", first_due(now), {}, now)

        await self.store.transact(write)

    def on_command(self, command: type, handler: Callable[[Turn, Any], Awaitable[Any]]) -> None:
        self.command_handlers[command] = handler

    async def execute(self, command: object, actor: str) -> Any:
        """Run a command through the handler a flow registered for it."""
        handler = self.command_handlers[type(command)]
        return await self.run(actor, lambda turn: handler(turn, command))

    async def query(self, command: object, actor: str) -> Any:
        """Run a command that only reads on the read-only view: no transaction, so a page
        polled every two seconds never waits for, nor holds up, the writer."""
        handler = self.command_handlers[type(command)]
        turn = self._turn(self.store.reader(), actor)
        result = await handler(turn, command)
        if turn.outbound:
            raise RuntimeError(f"{type(command).__name__} is run as a query but has something to say")
        return result

    def _turn(self, uow: UnitOfWork, actor: str, **extra: Any) -> Turn:
        return Turn(
            uow=uow,
            now=self.clock.now(),
            policy=self.policy,
            channels_on=self.channels_on,
            rng=self.rng,
            actor=actor,
            **extra,
        )

    async def receive(self, inbound: Inbound) -> bool:
        """Handle one inbound message. False when its external id was seen before."""

        async def handle(uow: UnitOfWork) -> bool:
            member = await uow.members.member_by_address(inbound.channel, inbound.address)
            message_id = await uow.messages.record_inbound(inbound, member.id if member else None)
            if message_id is None:
                return False
            actor = f"member:{member.id}" if member else f"{inbound.channel}:unknown"
            turn = self._turn(uow, actor, inbound=inbound, member=member, message_id=message_id)
            await self.conversation(turn)
            await self._queue(turn)
            return True

        if not await self.store.transact(handle):
            return False
        self.on_commit()
        return True

    async def run(self, actor: str, action: Callable[[Turn], Awaitable[T]]) -> T:
        """Run a command (from the API, the CLI, a coordinator) as one turn."""

        async def act(uow: UnitOfWork) -> T:
            turn = self._turn(uow, actor)
            result = await action(turn)
            await self._queue(turn)
            return result

        result = await self.store.transact(act)
        self.on_commit()
        return result

    async def report_delivery(
        self,
        channel: str,
        provider_id: str,
        status: str,
        rank: int,
        error_code: str | None,
        opted_out: bool = False,
        reason: str | None = None,
    ) -> bool:
        """A provider's delivery report (a status callback). False when it was seen before.
        ``reason``: the error code in words, for the coordinators."""

        async def record(uow: UnitOfWork) -> bool | None:
            turn = self._turn(uow, f"provider:{channel}")
            first, change = await uow.messages.record_delivery_report(
                channel, provider_id, status, rank, error_code, turn.now, reason
            )
            if not first or change is None:
                return first
            if opted_out and change.member_id is not None:
                await uow.members.opt_out(change.member_id, channel, turn.now)
                await turn.audit("opted_out", f"member:{change.member_id}", channel, reason=error_code or "")
            if change.status in ("undelivered", "failed") and self.on_undelivered is not None:
                await self.on_undelivered(turn, change)
            await self._queue(turn)
            return None  # recorded, with something done about it

        outcome = await self.store.transact(record)
        if outcome is not None:
            return outcome
        self.on_commit()
        return True

    async def messages_failed(self, message_ids: Collection[int]) -> None:
        """Messages the dispatcher gave up on (a 403, an opt-out, a bad number, retries run
        out): the same as an undelivered report, so an offer still reaches its GP."""
        if self.on_undelivered is None or not message_ids:
            return
        on_undelivered = self.on_undelivered

        async def fall_back(uow: UnitOfWork) -> None:
            turn = self._turn(uow, "provider")
            for change in await uow.messages.failed_messages(message_ids):
                await on_undelivered(turn, change)
            await self._queue(turn)

        await self.store.transact(fall_back)
        self.on_commit()

    async def run_timer(self, timer: TimerRow) -> bool:
        """Run a due timer exactly once: it is marked done in the same transaction as its work."""
        handler = self.timer_handlers.get(timer.kind)

        async def run(uow: UnitOfWork) -> bool:
            turn = self._turn(uow, f"timer:{timer.kind}")
            if not await uow.timers.finish_timer(timer.id, turn.now):
                return False  # another worker ran it
            if handler is None:
                log.error("no handler for timer kind %s; marked done", timer.kind)
            else:
                await handler(turn, timer)
            await self._queue(turn)
            return True

        if not await self.store.transact(run):
            return False
        self.on_commit()
        return True

    async def _queue(self, turn: Turn) -> None:
        """Write the turn's messages to the outbox, each on the channel that reaches its person."""
        if not turn.outbound:
            return
        # A message with its address already chosen needs only the opt-outs; one without needs
        # the member, to choose the channel that reaches them.
        addressed = {o.member_id for o in turn.outbound if o.member_id is not None and o.address}
        unaddressed = {o.member_id for o in turn.outbound if o.member_id is not None and not o.address}
        # Read afresh: the turn may have changed them (an opt-in, a new channel).
        people = await turn.uow.members.by_ids(unaddressed) if unaddressed else {}
        opted_out = await turn.uow.members.opted_out(addressed) if addressed else set()
        # Quiet hours matter for everyone not simply being answered. Outside the pool's quiet
        # hours only members with their own need reading (a light query: a broadcast's
        # thousand "filled" notices must not load a thousand members).
        holdable = [o for o in turn.outbound if o.member_id is not None and not _answers(turn, o)]
        pool_quiet = quiet_until(turn.now, self.policy.quiet_start, self.policy.quiet_end) is not None or any(
            o.not_before for o in holdable
        )
        quiet = (
            await turn.uow.members.quiet_preferences({o.member_id for o in holdable}, only_own=not pool_quiet)
            if holdable
            else {}
        )
        routed: list[tuple[Outbound, QueuedMessage]] = []
        for out in turn.outbound:
            person = people.get(out.member_id) if out.member_id is not None else None
            if out.member_id in quiet and not _answers(turn, out):
                out = self._after_quiet_hours(out, *quiet[out.member_id], turn.now)
            row = _route(out, person, opted_out, self.channels_on)
            if row is not None:
                routed.append((out, row))
        await turn.uow.outbox.enqueue(await self._whatsapp_window(turn, routed, people), turn.now)

    async def _whatsapp_window(
        self, turn: Turn, routed: list[tuple[Outbound, QueuedMessage]], people: dict[int, Member]
    ) -> list[QueuedMessage]:
        """Messages to members on WhatsApp go free-form within their 24-hour window (when they
        will be sent: after quiet hours, for one held); outside it as their template, or by
        another channel (bot/whatsapp_window.py)."""
        on_whatsapp = {
            row.member_id
            for _, row in routed
            if row.channel == "whatsapp" and row.status == "queued" and row.member_id is not None
        }
        if not on_whatsapp:
            return [row for _, row in routed]
        states = await turn.uow.whatsapp.states(on_whatsapp)
        missing = on_whatsapp - people.keys()
        if missing:
            people = {**people, **await turn.uow.members.by_ids(missing)}
        rows: list[QueuedMessage] = []
        for out, row in routed:
            if row.channel != "whatsapp" or row.member_id not in on_whatsapp:
                rows.append(row)
                continue
            state = states.get(row.member_id)
            moment = max(turn.now, row.not_before) if row.not_before else turn.now
            # They have just written here (a crisis reply must never wait): the window is open.
            just_wrote = (
                turn.inbound is not None and turn.inbound.channel == "whatsapp"
                and turn.member is not None and turn.member.id == row.member_id
            )  # fmt: skip
            if (just_wrote or (state is not None and state.in_window(moment))) and not out.window_closed:
                rows.append(row)
            else:
                person = people.get(row.member_id)
                rows += outside_window(out, row, person, self.whatsapp_templates, self.channels_on)
        return rows

    def _after_quiet_hours(
        self, out: Outbound, own_hours: str | None, urgent_at_night: bool, now: datetime
    ) -> Outbound:
        """Nothing routine goes inside the person's quiet hours: it waits for their end (the
        outbox sends in order). Urgent offers go at once to those who said NIGHTS ON."""
        moment = max(now, out.not_before) if out.not_before else now
        until = quiet_hold(self.policy, own_hours, urgent_at_night, out.kind, out.urgent, moment)
        return out if until is None else replace(out, not_before=until)


def quiet_hold(
    policy: PoolPolicy,
    own_hours: str | None,
    urgent_at_night: bool,
    kind: str,
    urgent: bool,
    moment: datetime,
) -> datetime | None:
    """When a message of ``kind`` queued at ``moment`` for someone with these settings may go,
    if quiet hours hold it (None: it goes now). ``own_hours``: their QUIET setting ("off", a
    window, or None for the pool's); ``urgent_at_night``: they said NIGHTS ON."""
    if kind in _NEVER_HELD or (urgent and urgent_at_night) or own_hours == "off":
        return None
    start, end = policy.quiet_start, policy.quiet_end
    if own_hours:
        start, end = quiet_window(own_hours)
    return quiet_until(moment, start, end)


def _answers(turn: Turn, out: Outbound) -> bool:
    """The message answers what the person has just said, on the channel they said it on, or
    what they have just done from a chat app (Slack's form to post a session), where they did
    it: they are awake, so it goes now."""
    inbound = turn.inbound
    if inbound is None:
        return (
            turn.by is not None
            and out.member_id == turn.by
            and out.channel is not None
            and out.address is not None
        )
    return (
        out.member_id == (turn.member.id if turn.member else None)
        and out.channel == inbound.channel
        and out.address == inbound.address
    )


# Never held for quiet hours: crisis help, the wellbeing lead hearing about it, and an
# escalation (the on-call model: a session about to go uncovered is not routine).
# A sign-in link is asked for by someone at the console that moment: it is no use in the morning.
_NEVER_HELD = frozenset({"crisis", "crisis_lead", "escalation", "signin_link"})

# Replies that go even on a channel the person opted out of: the confirmation of the opt-out
# itself, and crisis signposting (a person in crisis who once said STOP still gets help).
_SENT_DESPITE_OPT_OUT = frozenset({"opted_out", "crisis"})


def _route(
    out: Outbound,
    person: Member | None,
    opted_out: set[tuple[int, str]],
    channels_on: Collection[str],
) -> QueuedMessage | None:
    if out.channel is not None and out.address is not None:
        if (out.member_id, out.channel) in opted_out and out.kind not in _SENT_DESPITE_OPT_OUT:
            return None
        channel, address = out.channel, out.address
        status, error = "queued", None
    elif person is not None:
        found = reach(person, channels_on)
        if found is None:
            # Kept, not dropped: the coordinator sees who could not be reached.
            channel, address = person.preferred_channel, person.phone
            status, error = "failed", "no enabled channel reaches this member"
        else:
            (channel, address), status, error = found, "queued", None
    else:
        log.warning("outbound with neither member nor address dropped (kind %s)", out.kind)
        return None
    return QueuedMessage(
        member_id=out.member_id,
        channel=channel,
        address=address,
        body=out.text,
        choices=out.choices,
        topic=out.topic,
        kind=out.kind,
        not_before=out.not_before,
        status=status,
        error=error,
        details=out.details,
        supersedes=out.supersedes,
        priority=priority(out.kind, out.urgent, to_member=out.member_id is not None),
        # Kept on a WhatsApp message so that, refused outside the window, it can go as its template.
        variables=out.variables if channel == "whatsapp" else (),
    )
