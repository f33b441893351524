"""What the pool is for, measured: a simulated month of a real-sized pool on the real engine.

300 GPs (and a few practice nurses and clinical pharmacists), 40 practices in 4 PCNs by
default. A month of postings by the practices' managers (routine sessions 1 to 6 weeks ahead,
urgent ones for the same or the next working day, some cancelled) goes through the real
commands; offers go out through the real flows, timers and outbox to the sandbox channel on a
FakeClock; people read what they were sent when bench/behaviour.py says they would, and answer
through the real inbound path in their own words (the clear yeses and noes of the phrase
tables in tests/data/). The clock jumps from one event to the next (the people's next action or
the engine's next due timer or message): a month takes about a minute, never a month.

Figures: fill rate by urgency and lead time, median and p90 time to fill, sessions unfilled at
their start, texts and SMS segments per filled session and per GP per week, cost per fill,
fairness (the Gini coefficient of sessions among GPs who said yes at least once; the share of
sessions that went to contracted GPs with contracted sessions still unbooked that week) and
escalations. Sanity: every session accounted for, no offer to anyone not eligible for it (with
--check), no session booked twice.

    .venv/bin/python bench/simulate.py                      # the defaults, one month, printed
    .venv/bin/python bench/simulate.py --wave-size 10 --accept 0.3
    .venv/bin/python bench/simulate.py --sweep --seeds 1 2 3   # the policy table (bench/out/)
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import dataclasses
import heapq
import itertools
import json
import math
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time as wall
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.gsm import segments, to_gsm
from adapters.sandbox import SandboxChannel
from bench.behaviour import Behaviour, unit
from bot.clock import LONDON, FakeClock, london_date
from bot.commands import CancelSession, PostSession
from bot.domain import CLINICIAN, Inbound, Member, Practice
from bot.errors import Refused
from bot.policy import PoolPolicy
from bot.ports import OutboxMessage, SendResult, Sent
from bot.render import text_with_choices
from config import load_settings
from config.professions import load_professions
from main import open_pool, policy_from

ROOT = Path(__file__).resolve().parent.parent
PHRASE_TABLES = (ROOT / "tests/data/replies.csv", ROOT / "tests/data/replies_heldout.csv")
OUT = ROOT / "bench/out"
MORNING = (time(8, 30), time(12, 30))
AFTERNOON = (time(13, 30), time(17, 30))
RATES = {"gp": 32_000, "practice_nurse": 18_000, "clinical_pharmacist": 24_000}
# Texts a pool pays for on SMS. "This session has been filled" goes on the sandbox (free on chat
# apps) but by SMS only when POOL_FILLED_SMS is on, which it is not by default.
NOT_BY_SMS = frozenset({"offer_withdrawn"})
LEAD_BUCKETS = (
    ("same or next day", timedelta(0), timedelta(days=2)),
    ("2-6 days", timedelta(days=2), timedelta(days=7)),
    ("1-2 weeks", timedelta(days=7), timedelta(days=14)),
    ("2-4 weeks", timedelta(days=14), timedelta(days=28)),
    ("4-6 weeks", timedelta(days=28), timedelta(days=60)),
)


@dataclass(frozen=True)
class Options:
    """One simulated month: the pool, its postings, its policy and its people."""

    gps: int = 300
    nurses: int = 12
    pharmacists: int = 8
    practices: int = 40
    pcns: int = 4
    days: int = 30  # of postings; the run goes on until the last session posted has ended
    start: date = date(2026, 9, 7)  # a Monday; no bank holiday until Christmas
    seed: int = 1
    # Postings (assumptions): routine sessions a practice posts a week, the share of postings
    # that are urgent, the share cancelled before their start, the share for nurses and
    # for pharmacists (the rest for GPs).
    sessions_per_practice_week: float = 2.0
    urgent_share: float = 0.15
    cancel_share: float = 0.075
    nurse_share: float = 0.06
    pharmacist_share: float = 0.04
    # The people's profiles (assumptions): GPs employed by the pool with contracted sessions,
    # GPs who name the localities they work in, who list their days, who set a weekly cap, and
    # who have a check lapsing in the month.
    contracted_share: float = 0.08
    contracted_sessions: int = 2
    localities_share: float = 0.45
    days_share: float = 0.40
    cap_share: float = 0.30
    lapse_share: float = 0.03
    # The pool's policy; None keeps the production default (main.policy_from on no settings).
    wave_size: int | None = None
    wave_minutes: int | None = None
    batch_seconds: int | None = None
    offer_hours: int | None = None
    nights: bool = False  # every clinician has said NIGHTS ON (urgent offers at night)
    # Money: what an SMS segment costs the pool, sent and received (pence).
    sms_price_pence: float = 4.0
    inbound_price_pence: float = 0.0
    behaviour: Behaviour = field(default_factory=Behaviour)
    check: bool = False  # check every offer against the people's own facts as it is made
    database: Path | None = None  # keep the pool's database here (default: a temporary one)
    label: str = "defaults"

    def policy(self, database: Path) -> PoolPolicy:
        policy = policy_from(load_settings({"POOL_DATABASE": str(database)}))
        changes: dict[str, object] = {"professions": load_professions()}
        if self.wave_size is not None:
            changes["wave_size"] = self.wave_size
        if self.wave_minutes is not None:
            changes["wave_wait"] = timedelta(minutes=self.wave_minutes)
        if self.batch_seconds is not None:
            changes["offer_batch"] = timedelta(seconds=self.batch_seconds)
        if self.offer_hours is not None:
            changes["offer_open"] = timedelta(hours=self.offer_hours)
        return replace(policy, **changes)


@dataclass
class Posting:
    """A session as the simulation plans it (the same under every policy, for a seed)."""

    index: int
    practice: str
    posted_at: datetime
    starts_at: datetime
    ends_at: datetime
    urgent: bool
    professions: tuple[str, ...]
    cancel_at: datetime | None
    session_id: int | None = None
    code: str | None = None


@dataclass
class Seen:
    """A message as its reader has it."""

    id: int
    kind: str
    choices: tuple[tuple[str, str], ...]  # (label, value)
    topic: str | None
    at: datetime


@dataclass
class Person:
    index: int
    member_id: int
    phone: str
    role: str  # clinician, manager, coordinator
    profession: str = "gp"
    days: tuple[str, ...] = ()
    localities: tuple[str, ...] = ()
    cap: int | None = None
    contracted: int = 0
    keen: float = 0.0
    holiday: tuple[date, date] | None = None
    lapse: date | None = None  # a check lapses on this day
    paused: tuple[datetime, date] | None = None  # PAUSE sent at, until (the ground truth)
    unread: dict[int, Seen] = field(default_factory=dict)
    answers: list[Seen] = field(default_factory=list)
    pending: dict[int, tuple[datetime, datetime]] = field(default_factory=dict)  # yes said, not sent
    gave_up: set[int] = field(default_factory=set)  # sessions they dropped or never meant


@dataclass
class Figures:
    """What a month of the pool bought, and what it cost."""

    label: str = ""
    seed: int = 0
    accept: float = 0.0
    gps: int = 0
    clinicians: int = 0
    seconds: float = 0.0  # wall-clock time of the run
    posted: int = 0
    posted_routine: int = 0
    posted_urgent: int = 0
    cancelled: int = 0
    filled: int = 0  # had a GP booked when it started
    filled_routine: int = 0
    filled_urgent: int = 0
    unfilled: int = 0  # open at its start (expired)
    fill_rate: float = 0.0
    fill_rate_routine: float = 0.0
    fill_rate_urgent: float = 0.0
    fill_rate_by_lead: dict[str, float] = field(default_factory=dict)
    filled_within_7_days: float = 0.0  # of sessions not cancelled: first booked within 7 days
    median_hours_to_fill: float = 0.0
    p90_hours_to_fill: float = 0.0
    median_hours_to_fill_routine: float = 0.0
    p90_hours_to_fill_routine: float = 0.0
    median_hours_to_fill_urgent: float = 0.0
    p90_hours_to_fill_urgent: float = 0.0
    offers: int = 0
    offers_checked: int = 0  # against the people's own facts (with --check)
    texts: int = 0  # paid texts, to anyone (what SMS would carry)
    texts_to_clinicians: int = 0
    segments: int = 0
    inbound: int = 0  # texts people sent
    texts_per_fill: float = 0.0
    segments_per_fill: float = 0.0
    texts_per_gp_week: float = 0.0
    texts_gp_week_p95: float = 0.0
    texts_gp_week_max: int = 0
    night_texts: int = 0  # texts to clinicians between 23:00 and 07:00
    cost_pence: float = 0.0
    cost_per_fill_pence: float = 0.0
    gini: float = 0.0
    yes_sayers: int = 0
    contracted_share: float = 0.0
    contracted_used: float = 0.0  # contracted sessions booked / contracted sessions in the weeks
    escalations_first: int = 0
    escalations_second: int = 0
    broadcasts: int = 0
    too_late: int = 0  # yeses after the session had gone
    clarified: int = 0  # answers the bot had to ask about
    wrong_session: int = 0  # a yes that booked another session than the one meant
    drops: int = 0
    delivered: int = 0
    replies: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def row(self) -> dict[str, object]:
        """One CSV row: scalars as they are, the dictionaries flattened, problems counted."""
        out: dict[str, object] = {}
        for name, value in dataclasses.asdict(self).items():
            if name == "fill_rate_by_lead":
                out.update({f"fill_rate {bucket}": round(rate, 4) for bucket, rate in value.items()})
            elif name == "replies":
                continue
            elif name == "problems":
                out["problems"] = len(value)
            else:
                out[name] = round(value, 4) if isinstance(value, float) else value
        return out

    @classmethod
    def from_row(cls, row: dict[str, str]) -> Figures:
        """A CSV row back (what ``table`` and ``charts`` need: the scalars and the lead times)."""
        f = cls()
        for item in dataclasses.fields(cls):
            value = row.get(item.name)
            if value is None or item.name in ("problems", "replies", "fill_rate_by_lead"):
                continue
            current = getattr(f, item.name)
            setattr(f, item.name, type(current)(float(value)) if not isinstance(current, str) else value)
        f.fill_rate_by_lead = {
            name: float(row[f"fill_rate {name}"]) for name, *_ in LEAD_BUCKETS if row.get(f"fill_rate {name}")
        }
        f.problems = ["(from the CSV)"] * int(row.get("problems") or 0)
        return f

    def text(self) -> str:
        pounds = self.cost_per_fill_pence / 100
        lines = [
            f"{self.label} (seed {self.seed}, accept {self.accept:.0%}): {self.gps} GPs, "
            f"{self.clinicians} clinicians; {self.posted} sessions posted ({self.posted_routine} routine, "
            f"{self.posted_urgent} urgent), {self.cancelled} cancelled; {self.seconds:.1f} s",
            f"  filled at their start: {self.fill_rate:.1%} (routine {self.fill_rate_routine:.1%}, urgent "
            f"{self.fill_rate_urgent:.1%}); unfilled at their start: {self.unfilled}",
            "  by lead time: "
            + ", ".join(f"{bucket} {rate:.0%}" for bucket, rate in self.fill_rate_by_lead.items()),
            f"  filled within 7 days of posting: {self.filled_within_7_days:.1%}",
            f"  time to fill: median {self.median_hours_to_fill:.1f} h, p90 {self.p90_hours_to_fill:.1f} h "
            f"(routine {self.median_hours_to_fill_routine:.1f} / {self.p90_hours_to_fill_routine:.1f} h, "
            f"urgent {self.median_hours_to_fill_urgent:.1f} / {self.p90_hours_to_fill_urgent:.1f} h)",
            f"  texts: {self.texts} ({self.segments} segments, {self.texts_to_clinicians} to clinicians, "
            f"{self.night_texts} at night); per filled session {self.texts_per_fill:.1f} texts, "
            f"{self.segments_per_fill:.1f} segments; per GP a week {self.texts_per_gp_week:.1f} "
            f"(p95 {self.texts_gp_week_p95:.0f}, most {self.texts_gp_week_max}); {self.inbound} replies in",
            f"  cost per fill: £{pounds:.2f} (all texts £{self.cost_pence / 100:.2f})",
            f"  fairness: Gini {self.gini:.2f} over {self.yes_sayers} GPs who said yes; contracted GPs "
            f"with sessions to fill got {self.contracted_share:.1%} of GP sessions "
            f"({self.contracted_used:.0%} of contracted sessions used)",
            f"  escalations: {self.escalations_first} to the practice, {self.escalations_second} to a "
            f"coordinator; {self.broadcasts} offered to everyone from the alert",
            f"  {self.offers} offers; {self.too_late} yeses too late; {self.clarified} answers asked "
            f"about; {self.wrong_session} yeses booked another session; {self.drops} drops; "
            f"{self.delivered} delivered",
        ]
        if self.problems:
            lines.append(f"  PROBLEMS ({len(self.problems)}): " + "; ".join(self.problems[:10]))
        return "\n".join(lines)


# -- the phrase tables ---------------------------------------------------------------------------


def phrases() -> tuple[list[str], list[str]]:
    """The clear yeses and noes people wrote (tests/data), as templates with {code}."""
    yes, no = [], []
    for path in PHRASE_TABLES:
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                outcome = row.get("outcomes") or row.get("outcome") or ""
                text = row["text"]
                if "{other}" in text:
                    continue
                if outcome == "book":
                    yes.append(text)
                elif outcome == "decline":
                    no.append(text)
    return yes, no


# -- the sandbox, watched ------------------------------------------------------------------------


class WatchedSandbox(SandboxChannel):
    """The sandbox channel, telling the simulation what it hands over (what a phone receives)."""

    def __init__(self, on_sent: Callable[[OutboxMessage], None]) -> None:
        self.on_sent = on_sent

    async def send(self, message: OutboxMessage) -> SendResult:
        self.on_sent(message)
        return Sent(provider_id=f"sandbox-{message.id}")


# -- the simulation ------------------------------------------------------------------------------


class Simulation:
    def __init__(self, options: Options, folder: Path) -> None:
        self.o = options
        self.b = options.behaviour
        self.folder = folder
        self.rng = random.Random(options.seed)  # timing draws (what people do: behaviour.unit)
        self.clock = FakeClock(datetime.combine(options.start, time(7, 0), tzinfo=LONDON))
        self.events: list[tuple[datetime, int, Callable[[], Awaitable[None]]]] = []
        self.order = itertools.count()
        self.people: list[Person] = []
        self.by_member: dict[int, Person] = {}
        self.by_phone: dict[str, Person] = {}
        self.managers: dict[str, Person] = {}  # practice -> its manager
        self.postings: list[Posting] = []
        self.by_session: dict[int, Posting] = {}
        self.practices: dict[str, Practice] = {}
        self.yes, self.no = phrases()
        self.answering: Person | None = None
        self.sent: list[tuple[int | None, str, int, datetime]] = []  # member, kind, segments, at
        self.inbound = 0
        self.counts: Counter[str] = Counter()
        self.replies: Counter[str] = Counter()
        self.problems: list[str] = []
        self.checked_offer = 0
        self.inbound_ids = itertools.count(1)

    # -- set-up ----------------------------------------------------------------------------------

    async def open(self) -> None:
        database = self.o.database or self.folder / "pool.db"
        if database.exists():
            database.unlink()
        self.database = database
        self.policy = self.o.policy(database)
        settings = load_settings({"POOL_DATABASE": str(database)})
        self.pool = await open_pool(
            settings,
            clock=self.clock,
            rng=random.Random(self.o.seed),
            channels={"sandbox": WatchedSandbox(self.on_sent)},
            policy=self.policy,
        )
        await self.pool.recover()
        self.db = sqlite3.connect(f"file:{database}?mode=ro", uri=True, isolation_level=None)
        await self.add_practices()
        await self.add_people()

    async def add_practices(self) -> None:
        o = self.o
        async with self.pool.store.unit_of_work() as uow:
            for i in range(o.practices):
                pcn = i % o.pcns
                practice = Practice(
                    ods_code=f"Y{i + 1:05d}",
                    name=f"{_AREAS[pcn % len(_AREAS)]} Surgery {i // o.pcns + 1}",
                    pcn=f"{_AREAS[pcn % len(_AREAS)]} PCN",
                    locality=_AREAS[pcn % len(_AREAS)],
                    address=f"{i + 1} High Street",
                    clinical_system="EMIS Web" if i % 3 else "SystmOne",
                    info_pack="Park at the back; ask reception for a login.",
                    phone=f"+44113496{i:04d}",
                )
                await uow.practices.add_practice(practice)
                self.practices[practice.ods_code] = practice

    async def add_people(self) -> None:
        o, b = self.o, self.b
        professions = load_professions()
        now = self.clock.now()
        numbers = itertools.count()
        clinicians = (
            [("gp", i) for i in range(o.gps)]
            + [("practice_nurse", i) for i in range(o.nurses)]
            + [("clinical_pharmacist", i) for i in range(o.pharmacists)]
        )
        areas = [_AREAS[p % len(_AREAS)] for p in range(o.pcns)]
        month_end = o.start + timedelta(days=o.days)
        async with self.pool.store.unit_of_work() as uow:
            for n, (profession, _) in enumerate(clinicians):

                def draw(what: str, n: int = n) -> float:
                    return unit(o.seed, "profile", what, n)

                home = int(draw("home") * len(areas))
                localities: tuple[str, ...] = ()
                if draw("localities") < o.localities_share:
                    localities = (areas[home],)
                    if len(areas) > 1 and draw("second") < 0.5:
                        localities += (areas[(home + 1) % len(areas)],)
                days: tuple[str, ...] = ()
                if draw("days") < o.days_share:
                    days = tuple(
                        f"{d}-{h}"
                        for d in ("mon", "tue", "wed", "thu", "fri")
                        for h in ("am", "pm")
                        if draw(f"day {d} {h}") < 0.45
                    ) or ("wed-am",)
                cap = 1 + int(draw("cap size") * 4) if draw("cap") < o.cap_share else None
                contracted = (
                    o.contracted_sessions
                    if profession == "gp" and draw("contract") < o.contracted_share
                    else 0
                )
                holiday = None
                if draw("holiday") < b.holiday:
                    first = o.start + timedelta(days=3 + int(draw("holiday start") * (o.days - 3)))
                    holiday = (first, first + timedelta(days=6 + int(draw("holiday length") * 8)))
                lapse = None
                if draw("lapse") < o.lapse_share:
                    lapse = o.start + timedelta(days=int(draw("lapse day") * o.days))
                member = await uow.members.add_member(
                    Member(
                        id=0,
                        name=f"{_TITLES[profession]} Sim {n + 1:03d}",
                        phone=_phone(next(numbers)),
                        roles=frozenset({CLINICIAN}),
                        gp_type=_GP_TYPES[int(draw("type") * len(_GP_TYPES))] if profession == "gp" else None,
                        preferred_channel="sms",  # the sandbox stands in for SMS
                        localities=localities,
                        days=days,
                        max_sessions_per_week=cap,
                        contracted_sessions_per_week=contracted,
                        urgent_at_night=o.nights,
                        profession=profession,
                    ),
                    now,
                )
                needed = [c.split("|")[0] for c in professions[profession].checks]
                for kind in needed:
                    await uow.members.set_check(member.id, kind, None)
                if lapse is not None:
                    await uow.members.set_check(member.id, needed[-1], lapse)
                person = Person(
                    index=n,
                    member_id=member.id,
                    phone=member.phone,
                    role="clinician",
                    profession=profession,
                    days=days,
                    localities=localities,
                    cap=cap,
                    contracted=contracted,
                    keen=b.keenness(o.seed, n),
                    holiday=holiday,
                    lapse=lapse,
                )
                self._add(person)
                if holiday is not None and holiday[0] <= month_end + timedelta(days=14):
                    before = holiday[0] - timedelta(days=1 + int(draw("pause notice") * 3))
                    moment = datetime.combine(before, time(19, 0), tzinfo=LONDON)
                    self.at(max(moment, now + timedelta(minutes=5)), self.pause_for(person))
            for n, ods in enumerate(self.practices, start=len(clinicians)):
                member = await uow.members.add_member(
                    Member(id=0, name=f"Manager {ods}", phone=_phone(next(numbers)),
                           roles=frozenset({f"practice:{ods}"}), preferred_channel="sms"),
                    now,
                )  # fmt: skip
                person = Person(index=n, member_id=member.id, phone=member.phone, role="manager")
                self._add(person)
                self.managers[ods] = person
            for n in range(2):
                member = await uow.members.add_member(
                    Member(id=0, name=f"Coordinator {n + 1}", phone=_phone(next(numbers)),
                           roles=frozenset({"coordinator"}), preferred_channel="sms"),
                    now,
                )  # fmt: skip
                self._add(
                    Person(index=10_000 + n, member_id=member.id, phone=member.phone, role="coordinator")
                )

    def _add(self, person: Person) -> None:
        self.people.append(person)
        self.by_member[person.member_id] = person
        self.by_phone[person.phone] = person

    def plan_postings(self) -> list[Posting]:
        """The month's postings, drawn from the seed alone (so every policy gets the same)."""
        o = self.o
        rng = random.Random(f"postings {o.seed}")
        practices = list(self.practices)
        weight = {p: rng.lognormvariate(0, 0.5) for p in practices}  # some practices post more
        weekdays = [
            o.start + timedelta(days=d) for d in range(o.days) if (o.start + timedelta(days=d)).weekday() < 5
        ]
        routine = round(o.practices * o.days / 7 * o.sessions_per_practice_week)
        urgent = round(routine * o.urgent_share / (1 - o.urgent_share))
        plans: list[tuple[datetime, datetime, bool, str]] = []
        for _ in range(routine):
            day = rng.choice(weekdays)
            posted = _at(day, time(8, 0)) + timedelta(minutes=rng.uniform(0, 10 * 60))
            session_day = day + timedelta(days=rng.randint(7, 42))
            while session_day.weekday() >= 5:
                session_day += timedelta(days=1)
            half = MORNING if rng.random() < 0.55 else AFTERNOON
            plans.append(
                (
                    posted,
                    _at(session_day, half[0]),
                    False,
                    rng.choices(practices, [weight[p] for p in practices])[0],
                )
            )
        for _ in range(urgent):
            day = rng.choice(weekdays)
            # Most are the morning's sickness calls; some come in the evening, for the next day.
            hour = rng.choices([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22],
                               [8, 14, 10, 6, 5, 4, 4, 4, 4, 4, 5, 5, 4, 3, 3, 2])[0]  # fmt: skip
            posted = _at(day, time(hour, 0)) + timedelta(minutes=rng.uniform(0, 59))
            if posted.astimezone(LONDON).time() < time(10, 0) and rng.random() < 0.6:
                session = _at(day, AFTERNOON[0])  # this afternoon
            else:
                following = day + timedelta(days=1)
                while following.weekday() >= 5:
                    following += timedelta(days=1)
                session = _at(following, (MORNING if rng.random() < 0.6 else AFTERNOON)[0])
            plans.append((posted, session, True, rng.choices(practices, [weight[p] for p in practices])[0]))
        plans.sort()
        postings = []
        for index, (posted, starts, is_urgent, practice) in enumerate(plans):
            share = rng.random()
            professions = (
                ("practice_nurse",) if share < o.nurse_share
                else ("clinical_pharmacist",) if share < o.nurse_share + o.pharmacist_share
                else ("gp",)
            )  # fmt: skip
            cancel_at = None
            if rng.random() < o.cancel_share:
                cancel_at = posted + (starts - timedelta(hours=1) - posted) * rng.uniform(0.05, 0.95)
            postings.append(
                Posting(
                    index,
                    practice,
                    posted,
                    starts,
                    starts + timedelta(hours=4),
                    is_urgent,
                    professions,
                    cancel_at,
                )
            )
        return postings

    # -- the clock -------------------------------------------------------------------------------

    def at(self, moment: datetime, action: Callable[[], Awaitable[None]]) -> None:
        heapq.heappush(self.events, (moment, next(self.order), action))

    async def settle(self) -> int:
        """Run due timers and hand due messages over until nothing more is due now."""
        total = 0
        while work := (await self.pool.timers.run_due()) + (await self.pool.dispatcher.drain()):
            total += work
        if self.o.check:
            self.check_offers()
        return total

    async def engine_due(self) -> datetime | None:
        found = [
            await self.pool.store.reader().timers.next_timer_due(),
            await self.pool.store.next_outbox_due(),
        ]
        return min((d for d in found if d is not None), default=None)

    async def run(self) -> Figures:
        began = wall.perf_counter()
        self.postings = self.plan_postings()
        for posting in self.postings:
            self.at(posting.posted_at, self.post(posting))
            if posting.cancel_at is not None:
                self.at(posting.cancel_at, self.cancel(posting))
        end = max(p.ends_at for p in self.postings) + timedelta(days=3)
        stuck = 0
        while True:
            due = await self.engine_due()
            head = self.events[0][0] if self.events else None
            if due is not None and (head is None or due <= head):
                if due > end:
                    break
                self.clock.set(max(due, self.clock.now()))
                if await self.settle() == 0:
                    stuck += 1
                    if stuck > 3:  # something due that nothing takes: stop rather than spin
                        self.problems.append(f"engine work due at {due} is never done")
                        break
                else:
                    stuck = 0
                continue
            if head is None or head > end:
                break
            moment, _, action = heapq.heappop(self.events)
            self.clock.set(max(moment, self.clock.now()))
            await action()
        figures = self.figures(end)
        figures.seconds = wall.perf_counter() - began
        return figures

    # -- the practices ---------------------------------------------------------------------------

    def post(self, posting: Posting) -> Callable[[], Awaitable[None]]:
        async def act() -> None:
            manager = self.managers[posting.practice]
            try:
                session = await self.pool.engine.execute(
                    PostSession(
                        practice=posting.practice,
                        starts_at=posting.starts_at,
                        ends_at=posting.ends_at,
                        rate_pence=RATES[posting.professions[0]],
                        urgent=posting.urgent,
                        posted_by=manager.member_id,
                        via="api",
                        professions=posting.professions,
                    ),
                    actor=f"member:{manager.member_id}",
                )
            except Refused as refused:
                self.problems.append(f"posting {posting.index} refused: {refused}")
                return
            posting.session_id, posting.code = session.id, session.code
            self.by_session[session.id] = posting
            await self.settle()

        return act

    def cancel(self, posting: Posting) -> Callable[[], Awaitable[None]]:
        async def act() -> None:
            if posting.code is None:
                return
            manager = self.managers[posting.practice]
            try:
                await self.pool.engine.execute(
                    CancelSession(posting.code, by=manager.member_id, reason="no longer needed"),
                    actor=f"member:{manager.member_id}",
                )
            except Refused as refused:
                self.problems.append(f"cancelling {posting.code} refused: {refused}")
                return
            await self.settle()

        return act

    # -- what people receive ---------------------------------------------------------------------

    def on_sent(self, message: OutboxMessage) -> None:
        """A message reaches a phone: count it, and note what its reader will act on."""
        now = self.clock.now()
        count = _segment_count(text_with_choices(message.text, message.choices))
        self.sent.append((message.member_id, message.kind, count, now))
        person = self.by_member.get(message.member_id or -1) or self.by_phone.get(message.address)
        if person is None:
            return
        seen = Seen(
            message.id, message.kind, tuple((c.label, c.value) for c in message.choices), message.topic, now
        )
        if person.role == "clinician":
            if message.kind in ("offer", "hours_prompt", "hours_nudge"):
                self.deliver(person, seen)
            elif self.answering is person:
                person.answers.append(seen)
        elif message.kind in ("escalation_notice", "escalation") and any(
            value.upper().startswith("URGENT ") for _, value in seen.choices
        ):
            self.deliver(person, seen)

    def deliver(self, person: Person, seen: Seen) -> None:
        delay = self.b.read_delay(self.rng, seen.at)
        if delay is None:
            self.counts["never read"] += 1
            return
        person.unread[seen.id] = seen
        self.at(seen.at + delay, self.read(person, seen.id))

    def read(self, person: Person, message_id: int) -> Callable[[], Awaitable[None]]:
        """They open their texts: everything unread is read now (a thread, not one message)."""

        async def act() -> None:
            if message_id not in person.unread:
                return  # read already, with a later one
            messages = sorted(person.unread.values(), key=lambda s: s.id)
            person.unread.clear()
            for seen in messages:
                if person.role != "clinician":
                    self.on_alert(person, seen)
                elif seen.kind == "offer":
                    self.on_offer(person, seen)
                else:
                    self.on_hours(person, seen)

        return act

    def on_offer(self, person: Person, seen: Seen) -> None:
        now = self.clock.now()
        for code in _codes(seen.choices):
            found = self.db.execute(
                "SELECT session_id FROM offers WHERE member_id = ? AND code = ? ORDER BY id DESC LIMIT 1",
                (person.member_id, code),
            ).fetchone()
            posting = self.by_session.get(found[0]) if found else None
            if posting is None or posting.starts_at <= now:
                continue
            if self.takes(person, posting):
                person.pending[posting.session_id or 0] = (posting.starts_at, posting.ends_at)
                text = self.rng.choice(self.yes).format(code=code)
                self.later(person, text, ("yes", code, posting.session_id))
            elif unit(self.o.seed, "says no", person.index, posting.index) < self.b.decline_reply:
                self.later(
                    person, self.rng.choice(self.no).format(code=code), ("no", code, posting.session_id)
                )

    def takes(self, person: Person, posting: Posting) -> bool:
        """Free that half day, not booked or about to be at that time, and keen enough."""
        if posting.session_id in person.gave_up or not self.free(person, posting):
            return False
        busy = list(person.pending.values()) + self.booked_slots(person)
        if any(start < posting.ends_at and posting.starts_at < end for start, end in busy):
            return False
        rate = person.keen
        if person.contracted and self.booked_that_week(person, posting.starts_at) < person.contracted:
            rate = self.b.contracted_accept
        return unit(self.o.seed, "takes", person.index, posting.index) < rate

    def free(self, person: Person, posting: Posting) -> bool:
        local = posting.starts_at.astimezone(LONDON)
        day = local.date()
        if person.holiday and person.holiday[0] <= day <= person.holiday[1]:
            return False
        half = "am" if local.time() < time(12, 0) else "pm"
        listed = f"{_DAY[day.weekday()]}-{half}" in person.days
        return self.b.free_on(self.o.seed, person.index, day.weekday(), half, day.toordinal(), listed)

    def booked_slots(self, person: Person) -> list[tuple[datetime, datetime]]:
        return [
            (_when(a), _when(b))
            for a, b in self.db.execute(
                "SELECT s.starts_at, s.ends_at FROM bookings b JOIN sessions s ON s.id = b.session_id "
                "WHERE b.member_id = ? AND b.state = 'booked'",
                (person.member_id,),
            )
        ]

    def booked_that_week(self, person: Person, moment: datetime) -> int:
        week = moment.astimezone(LONDON).isocalendar()[:2]
        return sum(
            1 for start, _ in self.booked_slots(person) if start.astimezone(LONDON).isocalendar()[:2] == week
        )

    def on_hours(self, person: Person, seen: Seen) -> None:
        """Asked how many hours they worked: most answer with the number."""
        if unit(self.o.seed, "hours", person.index, seen.id) >= self.b.hours_answer:
            return
        planned = next((value for _, value in seen.choices if not value.upper().startswith("NO ")), None)
        if planned is None:
            return
        hours, code = planned.split()[0], planned.split()[-1]
        self.later(person, hours, ("hours", code, None), plain=planned)

    def on_alert(self, person: Person, seen: Seen) -> None:
        """A manager or coordinator told a session is still open: one tap offers it to everyone."""
        value = next(value for _, value in seen.choices if value.upper().startswith("URGENT "))
        if unit(self.o.seed, "broadcast", person.index, seen.id) < self.b.broadcast_on_alert:
            self.later(person, value, ("urgent", value.split()[-1], None))

    # -- what people send ------------------------------------------------------------------------

    def later(
        self, person: Person, text: str, meant: tuple[str, str, int | None], plain: str | None = None
    ) -> None:
        self.at(self.clock.now() + self.b.reply_delay(self.rng), self.send(person, text, meant, plain))

    def send(
        self, person: Person, text: str, meant: tuple[str, str, int | None], plain: str | None = None
    ) -> Callable[[], Awaitable[None]]:
        async def act() -> None:
            what, code, session_id = meant
            answers = await self.say(person, text)
            kinds = [a.kind for a in answers]
            self.replies.update(kinds)
            if session_id is not None:
                person.pending.pop(session_id, None)
            if "clarify" in kinds:
                self.counts["clarified"] += 1
                # Asked which: they answer again with the code, straight away.
                again = plain or f"{'YES' if what == 'yes' else 'NO'} {code}"
                self.at(self.clock.now() + timedelta(minutes=self.rng.uniform(0.5, 3)),
                        self.send(person, again, meant, again))  # fmt: skip
                if what == "yes" and session_id is not None:
                    person.pending[session_id] = (self.by_session[session_id].starts_at,
                                                  self.by_session[session_id].ends_at)  # fmt: skip
                return
            if "already_filled" in kinds:
                self.counts["too late"] += 1
            for answer in answers:
                if answer.kind == "booked":
                    self.on_booked(person, answer, session_id if what == "yes" else None)

        return act

    async def say(self, person: Person, text: str) -> list[Seen]:
        """Send one text through the real inbound path; what the bot answered them."""
        self.inbound += 1
        self.answering, person.answers = person, []
        try:
            await self.pool.engine.receive(
                Inbound("sandbox", person.phone, text, f"sim-{next(self.inbound_ids)}", self.clock.now())
            )
            await self.settle()
        finally:
            self.answering = None
        return person.answers

    def on_booked(self, person: Person, answer: Seen, meant: int | None) -> None:
        offer_id = (
            int(answer.topic.split(":")[1]) if answer.topic and answer.topic.startswith("offer:") else None
        )
        row = self.db.execute(
            "SELECT b.session_id, b.code FROM bookings b WHERE b.offer_id = ? AND b.state = 'booked'",
            (offer_id,),
        ).fetchone()
        if row is None:
            return
        session_id, code = row
        posting = self.by_session.get(session_id)
        if posting is None:
            return
        if meant is not None and session_id != meant:
            # A yes that booked a session other than the one they read about.
            self.counts["wrong session"] += 1
            if not self.free(person, posting):
                person.gave_up.add(session_id)
                self.later(person, f"DROP {code}", ("drop", code, None))
                return
        if unit(self.o.seed, "drops", person.index, posting.index) < self.b.drop:
            earliest = max(self.clock.now(), posting.starts_at - timedelta(days=14))
            latest = posting.starts_at - timedelta(hours=2)
            if latest > earliest:
                moment = earliest + (latest - earliest) * self.rng.random()
                person.gave_up.add(session_id)
                self.at(moment, self.send(person, f"DROP {code}", ("drop", code, None)))

    def pause_for(self, person: Person) -> Callable[[], Awaitable[None]]:
        async def act() -> None:
            assert person.holiday is not None
            until = person.holiday[1]
            person.paused = (self.clock.now(), until)
            await self.say(person, f"PAUSE {until.day}/{until.month}")

        return act

    # -- checks ----------------------------------------------------------------------------------

    def check_offers(self) -> None:
        """Every offer made since the last look, against the people's own facts (not the
        engine's reading of them): their profession, checks, pause, bookings, cap, days, area."""
        now = self.clock.now()
        rows = self.db.execute(
            "SELECT id, session_id, member_id, sent_at FROM offers WHERE id > ? ORDER BY id",
            (self.checked_offer,),
        ).fetchall()
        for offer_id, session_id, member_id, sent_at in rows:
            self.checked_offer = offer_id
            person, posting = self.by_member.get(member_id), self.by_session.get(session_id)
            if person is None or posting is None or person.role != "clinician":
                self.problems.append(f"offer {offer_id}: to someone who is not a clinician")
                continue
            why = self.not_eligible(person, posting, _when(sent_at) if sent_at else now)
            if why:
                self.problems.append(f"offer {offer_id} of session {posting.code} to {person.phone}: {why}")

    def not_eligible(self, person: Person, posting: Posting, at: datetime) -> str | None:
        local = posting.starts_at.astimezone(LONDON)
        day = local.date()
        if person.profession not in posting.professions:
            return f"a {person.profession} offered a session for {posting.professions}"
        if posting.starts_at <= at:
            return "offered after its start"
        if person.lapse is not None and day >= person.lapse:
            return "a check lapsed by the session's day"
        if person.paused and person.paused[0] <= at:
            until = person.paused[1]
            if london_date(at) <= until or day <= until:
                return "paused"
        practice = self.practices[posting.practice]
        if person.localities and practice.locality not in person.localities:
            return "not a locality they work in"
        halves = {"am"} if local.time() < time(12, 0) else {"pm"}
        if person.days and not all(f"{_DAY[day.weekday()]}-{h}" in person.days for h in halves):
            return "not a day they work"
        slots = [
            (_when(a), _when(b), s)
            for a, b, s in self.db.execute(
                "SELECT s.starts_at, s.ends_at, s.id FROM bookings b JOIN sessions s ON s.id = b.session_id "
                "WHERE b.member_id = ? AND b.state = 'booked' AND b.booked_at <= ?",
                (person.member_id, _db(at)),
            )
            if s != posting.session_id
        ]
        if any(a < posting.ends_at and posting.starts_at < b for a, b, _ in slots):
            return "booked elsewhere at that time"
        week = local.isocalendar()[:2]
        if (
            person.cap is not None
            and sum(1 for a, _, _ in slots if a.astimezone(LONDON).isocalendar()[:2] == week) >= person.cap
        ):
            return "at their weekly cap"
        return None

    # -- figures ---------------------------------------------------------------------------------

    def figures(self, end: datetime) -> Figures:
        o, db = self.o, self.db
        f = Figures(label=o.label, seed=o.seed, accept=self.b.accept, gps=o.gps)
        f.clinicians = sum(1 for p in self.people if p.role == "clinician")
        status = {
            sid: (state, _when(start))
            for sid, state, start in db.execute("SELECT id, status, starts_at FROM sessions")
        }
        bookings = db.execute(
            "SELECT id, session_id, member_id, state, booked_at, ended_at FROM bookings "
            "ORDER BY booked_at, id"
        ).fetchall()
        first_booked: dict[int, datetime] = {}
        for _, sid, _, _, at, _ in bookings:
            first_booked.setdefault(sid, _when(at))
        self.check_bookings(bookings)

        hours: dict[str, list[float]] = defaultdict(list)
        by_lead: dict[str, list[bool]] = defaultdict(list)
        within_7 = []
        for posting in self.postings:
            if posting.session_id is None:
                self.problems.append(f"posting {posting.index} never became a session")
                continue
            state, _ = status[posting.session_id]
            f.posted += 1
            if posting.urgent:
                f.posted_urgent += 1
            else:
                f.posted_routine += 1
            if state == "cancelled":
                f.cancelled += 1
                if posting.cancel_at is None:
                    self.problems.append(f"session {posting.code} cancelled though nobody cancelled it")
                continue
            if posting.cancel_at is not None:
                self.problems.append(f"session {posting.code} was to be cancelled but is {state}")
            if state not in ("filled", "delivered", "expired"):
                self.problems.append(f"session {posting.code} is {state} after its start")
                continue
            filled = state in ("filled", "delivered")
            f.filled += filled
            f.unfilled += not filled
            if posting.urgent:
                f.filled_urgent += filled
            else:
                f.filled_routine += filled
            lead = posting.starts_at - posting.posted_at
            bucket = next(name for name, low, high in LEAD_BUCKETS if low <= lead < high)
            by_lead[bucket].append(filled)
            booked = first_booked.get(posting.session_id)
            within_7.append(booked is not None and booked - posting.posted_at <= timedelta(days=7))
            if filled and booked is not None:
                taken = (booked - posting.posted_at).total_seconds() / 3600
                hours["all"].append(taken)
                hours["urgent" if posting.urgent else "routine"].append(taken)
        live = f.posted - f.cancelled
        f.fill_rate = f.filled / live if live else 0.0
        f.fill_rate_routine = f.filled_routine / max(1, f.posted_routine - self._cancelled(False, status))
        f.fill_rate_urgent = f.filled_urgent / max(1, f.posted_urgent - self._cancelled(True, status))
        f.fill_rate_by_lead = {name: sum(v) / len(v) for name, *_ in LEAD_BUCKETS if (v := by_lead.get(name))}
        f.filled_within_7_days = sum(within_7) / len(within_7) if within_7 else 0.0
        f.median_hours_to_fill, f.p90_hours_to_fill = _median_p90(hours["all"])
        f.median_hours_to_fill_routine, f.p90_hours_to_fill_routine = _median_p90(hours["routine"])
        f.median_hours_to_fill_urgent, f.p90_hours_to_fill_urgent = _median_p90(hours["urgent"])

        # Texts: what an SMS pool would pay for.
        clinicians = {p.member_id for p in self.people if p.role == "clinician"}
        weekly: Counter[tuple[int, tuple[int, int]]] = Counter()
        for member, kind, count, at in self.sent:
            if kind in NOT_BY_SMS:
                continue
            f.texts += 1
            f.segments += count
            if member in clinicians:
                f.texts_to_clinicians += 1
                weekly[(member, at.astimezone(LONDON).isocalendar()[:2])] += 1
                if self.b.is_night(at):
                    f.night_texts += 1
        f.inbound = self.inbound
        f.offers = db.execute("SELECT count(*) FROM offers").fetchone()[0]
        if self.o.check:
            self.check_offers()
            f.offers_checked = db.execute(
                "SELECT count(*) FROM offers WHERE id <= ?", (self.checked_offer,)
            ).fetchone()[0]
        f.texts_per_fill = f.texts / f.filled if f.filled else 0.0
        f.segments_per_fill = f.segments / f.filled if f.filled else 0.0
        f.texts_per_gp_week = f.texts_to_clinicians / max(1, f.clinicians) / (o.days / 7)
        if weekly:
            values = sorted(weekly.values())
            f.texts_gp_week_p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
            f.texts_gp_week_max = values[-1]
        f.cost_pence = f.segments * o.sms_price_pence + f.inbound * o.inbound_price_pence
        f.cost_per_fill_pence = f.cost_pence / f.filled if f.filled else 0.0

        self.fairness(f, bookings, status)
        escalated = Counter(
            json.loads(detail).get("step", 1)
            for (detail,) in db.execute("SELECT detail FROM audit WHERE action = 'escalated'")
        )
        f.escalations_first, f.escalations_second = escalated.get(1, 0), escalated.get(2, 0)
        f.broadcasts = db.execute(
            "SELECT count(*) FROM audit WHERE action = 'session_made_urgent'"
        ).fetchone()[0]
        f.drops = db.execute("SELECT count(*) FROM bookings WHERE state = 'dropped'").fetchone()[0]
        f.delivered = sum(1 for state, _ in status.values() if state == "delivered")
        f.too_late = self.counts["too late"]
        f.clarified = self.counts["clarified"]
        f.wrong_session = self.counts["wrong session"]
        f.replies = dict(self.replies)
        f.problems = self.problems
        return f

    def _cancelled(self, urgent: bool, status: dict[int, tuple[str, datetime]]) -> int:
        return sum(
            1
            for p in self.postings
            if p.urgent == urgent and p.session_id is not None and status[p.session_id][0] == "cancelled"
        )

    def check_bookings(self, bookings: Sequence[tuple]) -> None:
        """No session ever had two live bookings at once."""
        by_session: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
        for _, sid, _, _, booked_at, ended_at in bookings:
            by_session[sid].append((_when(booked_at), _when(ended_at) if ended_at else None))
        for sid, spans in by_session.items():
            spans.sort(key=lambda s: s[0])
            for (_, ended), (started, _) in itertools.pairwise(spans):
                if ended is None or ended > started:
                    self.problems.append(f"session {sid} booked twice")
            if sum(1 for _, ended in spans if ended is None) > 1:
                self.problems.append(f"session {sid} has two live bookings")

    def fairness(
        self, f: Figures, bookings: Sequence[tuple], status: dict[int, tuple[str, datetime]]
    ) -> None:
        """The Gini coefficient of sessions worked among GPs who said yes at least once, and the
        share of GP sessions that went to contracted GPs with contracted sessions to fill."""
        gps = {p.member_id: p for p in self.people if p.role == "clinician" and p.profession == "gp"}
        said_yes = {
            m for (m,) in self.db.execute("SELECT DISTINCT member_id FROM offers WHERE answer = 'yes'")
        }
        said_yes |= {b[2] for b in bookings}
        said_yes &= set(gps)
        worked: Counter[int] = Counter()
        final = [b for b in bookings if b[3] == "booked" and status[b[1]][0] in ("filled", "delivered")]
        for _, _, member, *_ in final:
            worked[member] += 1
        f.yes_sayers = len(said_yes)
        f.gini = _gini([worked.get(m, 0) for m in said_yes])
        # At each booking of a GP session: was its GP contracted, with sessions to fill that week?
        spans = [(b[2], status[b[1]][1], _when(b[4]), _when(b[5]) if b[5] else None) for b in bookings]
        to_contracted = gp_sessions = 0
        for _, sid, member, _, booked_at, _ in final:
            if member not in gps:
                continue
            gp_sessions += 1
            person = gps[member]
            if not person.contracted:
                continue
            at, week = _when(booked_at), status[sid][1].astimezone(LONDON).isocalendar()[:2]
            before = sum(
                1
                for m, start, began, ended in spans
                if m == member and start.astimezone(LONDON).isocalendar()[:2] == week
                and began < at and (ended is None or ended > at)
            )  # fmt: skip
            to_contracted += before < person.contracted
        f.contracted_share = to_contracted / gp_sessions if gp_sessions else 0.0
        # Contracted sessions used, over the weeks whose sessions were all posted in the month
        # (from the second week after the start to the end of the month's postings).
        first = self.o.start + timedelta(days=14)
        weeks = {(first + timedelta(days=d)).isocalendar()[:2] for d in range(0, max(0, self.o.days - 14), 7)}
        contracted = [p for p in gps.values() if p.contracted]
        if weeks and contracted:
            used = sum(
                min(p.contracted, sum(1 for b in final if b[2] == p.member_id
                                      and status[b[1]][1].astimezone(LONDON).isocalendar()[:2] == w))
                for p in contracted for w in weeks
            )  # fmt: skip
            f.contracted_used = used / (len(weeks) * sum(p.contracted for p in contracted))


# -- helpers -------------------------------------------------------------------------------------

_AREAS = ("Northside", "Southgate", "Eastwood", "Westfield", "Millbrook", "Riverside", "Hillcrest", "Oakley")
_TITLES = {"gp": "Dr", "practice_nurse": "Nurse", "clinical_pharmacist": "Pharmacist"}
_GP_TYPES = ("locum", "locum", "locum", "salaried", "salaried", "partner", "returner", "fellow", "retainer")
_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _phone(n: int) -> str:
    """Ofcom's drama range (07700 900000 to 900999): never a real person's phone."""
    if n >= 1000:
        raise ValueError("the drama range has 1,000 numbers: a pool this size needs another range")
    return f"+447700900{n:03d}"


def _at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=LONDON)


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _db(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _codes(choices: Iterable[tuple[str, str]]) -> list[str]:
    """The offer codes in a message's answers ("YES 4821"), in order, once each."""
    return list(dict.fromkeys(value.split()[-1] for _, value in choices if value.upper().startswith("YES ")))


_PLAIN = re.compile(r"[\n\r -~]*")
_GSM_ESCAPED = "^{}\\[~]|"  # GSM-7's extension table: two septets each


def _segment_count(text: str) -> int:
    """SMS segments as adapters.gsm counts them once the text is made GSM-7 (to_gsm), with a
    quick path for plain ASCII, which is almost every text and which the codec is slow for."""
    if _PLAIN.fullmatch(text):
        units = len(text) + sum(text.count(c) for c in _GSM_ESCAPED)
        return 1 if units <= 160 else math.ceil(units / 153)
    return segments(to_gsm(text)).count


def _median_p90(values: list[float]) -> tuple[float, float]:
    if not values:
        return 0.0, 0.0
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return statistics.median(ordered), p90


def _gini(values: list[int]) -> float:
    """0: everyone got the same; towards 1: a few got everything."""
    if not values or sum(values) == 0:
        return 0.0
    ordered = sorted(values)
    n = len(ordered)
    weighted = sum((i + 1) * v for i, v in enumerate(ordered))
    return (2 * weighted) / (n * sum(ordered)) - (n + 1) / n


async def simulate_async(options: Options) -> Figures:
    with tempfile.TemporaryDirectory() as folder:
        sim = Simulation(options, Path(folder))
        await sim.open()
        try:
            return await sim.run()
        finally:
            sim.db.close()
            await sim.pool.close()


def simulate(options: Options) -> Figures:
    """One simulated month (a fresh event loop: callable from a process pool)."""
    return asyncio.run(simulate_async(options))


# -- the command line ----------------------------------------------------------------------------

# The policies the sweep compares: (label, what changes from the production defaults).
POLICIES: tuple[tuple[str, dict[str, object]], ...] = (
    ("defaults", {}),
    ("waves of 3", {"wave_size": 3}),
    ("waves of 10", {"wave_size": 10}),
    ("waves every 15 min", {"wave_minutes": 15}),
    ("waves every 60 min", {"wave_minutes": 60}),
    ("everyone at once", {"wave_size": 1000}),
    ("urgent at night on", {"nights": True}),
    ("batching off", {"batch_seconds": 0}),
)
ACCEPTS = (0.10, 0.20, 0.30, 0.40)
# The columns of the sweep's table: (heading, Figures field, format).
TABLE: tuple[tuple[str, str, str], ...] = (
    ("filled", "fill_rate", "{:.0%}"),
    ("routine", "fill_rate_routine", "{:.0%}"),
    ("urgent", "fill_rate_urgent", "{:.0%}"),
    ("in 7 days", "filled_within_7_days", "{:.0%}"),
    ("median h", "median_hours_to_fill", "{:.1f}"),
    ("p90 h", "p90_hours_to_fill", "{:.1f}"),
    ("unfilled at start", "unfilled", "{:.0f}"),
    ("texts/fill", "texts_per_fill", "{:.0f}"),
    ("segments/fill", "segments_per_fill", "{:.0f}"),
    ("texts/GP/week", "texts_per_gp_week", "{:.1f}"),
    ("£/fill", "cost_per_fill_pence", "£{:.2f}"),
    ("Gini", "gini", "{:.2f}"),
    ("to contracted", "contracted_share", "{:.0%}"),
    ("escalations", "escalations", "{:.0f}"),
)


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    defaults = Options()
    pool = parser.add_argument_group("the pool and its month (assumptions)")
    for name in (
        "gps", "nurses", "pharmacists", "practices", "pcns", "days", "sessions_per_practice_week",
        "urgent_share", "cancel_share", "nurse_share", "pharmacist_share", "contracted_share",
        "contracted_sessions", "localities_share", "days_share", "cap_share", "lapse_share",
    ):  # fmt: skip
        value = getattr(defaults, name)
        pool.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value, metavar="N")
    policy = parser.add_argument_group("the policy (default: the production defaults)")
    policy.add_argument("--wave-size", type=int, help="GPs offered a session in each wave (POOL_WAVE_SIZE)")
    policy.add_argument("--wave-minutes", type=int, help="minutes between waves (POOL_WAVE_MINUTES)")
    policy.add_argument(
        "--batch-seconds", type=int, help="routine offers batched this long (POOL_BATCH_SECONDS)"
    )
    policy.add_argument("--offer-hours", type=float, help="a routine offer stays open (POOL_OFFER_HOURS)")
    policy.add_argument("--nights", action="store_true", help="every clinician says NIGHTS ON")
    people = parser.add_argument_group("the people (bench/behaviour.py; sources in bench/README.md)")
    for item in dataclasses.fields(Behaviour):
        value = getattr(defaults.behaviour, item.name)
        if isinstance(value, float):
            people.add_argument(f"--{item.name.replace('_', '-')}", type=float, default=value, metavar="X")
    people.add_argument(
        "--read-within", default=",".join(f"{m:g}:{s:g}" for m, s in defaults.behaviour.read_within),
        help="when a text is read: minutes:share pairs",
    )  # fmt: skip
    people.add_argument("--free-scale", type=float, default=1.0, help="times the free half-day shares")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--sms-price", type=float, default=defaults.sms_price_pence, help="pence a segment")
    parser.add_argument("--check", action="store_true", help="check every offer against the people's facts")
    parser.add_argument(
        "--sweep", action="store_true", help="the policy table: policies x --accepts x --seeds"
    )
    parser.add_argument("--accepts", type=float, nargs="+", default=list(ACCEPTS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--policies", nargs="+", help="only these of the sweep's policies (by label)")
    parser.add_argument("--table-from", type=Path, help="the table and charts again from a sweep's CSV")
    parser.add_argument("--workers", type=int, default=2, help="runs at once in the sweep")
    parser.add_argument("--out", type=Path, default=OUT, help="where the CSV and charts go")
    return parser.parse_args(argv)


def _options(args: argparse.Namespace) -> Options:
    read_within = tuple(
        (float(minutes), float(share))
        for minutes, share in (pair.split(":") for pair in args.read_within.split(","))
    )
    base = Behaviour()
    behaviour = replace(
        base,
        read_within=read_within,
        free={key: share * args.free_scale for key, share in base.free.items()},
        **{
            item.name: getattr(args, item.name)
            for item in dataclasses.fields(Behaviour)
            if isinstance(getattr(base, item.name), float)
        },
    )
    explicit = {"nights", "seed", "check", "behaviour"}
    pool = {
        name: getattr(args, name)
        for name in (f.name for f in dataclasses.fields(Options))
        if hasattr(args, name) and name not in explicit
    }
    return replace(
        Options(),
        **pool,
        nights=args.nights,
        seed=args.seed,
        sms_price_pence=args.sms_price,
        check=args.check,
        behaviour=behaviour,
    )


def _value(f: Figures, name: str) -> float:
    if name == "escalations":
        return f.escalations_first + f.escalations_second
    if name == "cost_per_fill_pence":
        return f.cost_per_fill_pence / 100
    return float(getattr(f, name))


def write_csv(path: Path, figures: Sequence[Figures]) -> None:
    rows = [f.row() for f in figures]
    names = list(dict.fromkeys(name for row in rows for name in row))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=names)
        writer.writeheader()
        writer.writerows(rows)


def table(figures: Sequence[Figures]) -> str:
    """The sweep as a Markdown table: each policy at each acceptance rate, means over seeds."""
    groups: dict[tuple[str, float], list[Figures]] = defaultdict(list)
    for f in figures:
        groups[(f.label, f.accept)].append(f)
    lines = [
        "| policy | accept | " + " | ".join(heading for heading, _, _ in TABLE) + " |",
        "|---|---:|" + "---:|" * len(TABLE),
    ]
    order = {label: i for i, (label, _) in enumerate(POLICIES)}
    for (label, accept), runs in sorted(
        groups.items(), key=lambda g: (g[0][1], order.get(g[0][0], 99), g[0][0])
    ):
        cells = [form.format(statistics.fmean(_value(f, name) for f in runs)) for _, name, form in TABLE]
        lines.append(f"| {label} | {accept:.0%} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def charts(folder: Path, figures: Sequence[Figures]) -> list[Path]:
    """PNG charts of the sweep (matplotlib, the optional 'bench' extra); none without it."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("charts skipped: matplotlib is not installed (pip install -e '.[bench]')")
        return []
    groups: dict[str, dict[float, list[Figures]]] = defaultdict(lambda: defaultdict(list))
    for f in figures:
        groups[f.label][f.accept].append(f)
    made = []
    for name, title, scale in (
        ("fill_rate", "Sessions filled at their start", 100),
        ("filled_within_7_days", "Filled within 7 days of posting", 100),
        ("median_hours_to_fill", "Median hours from posting to booking", 1),
        ("p90_hours_to_fill", "90th percentile hours to booking", 1),
        ("texts_per_fill", "Texts per filled session", 1),
        ("texts_per_gp_week", "Texts per clinician per week", 1),
    ):
        figure, axes = plt.subplots(figsize=(7, 4.5))
        for label, by_accept in groups.items():
            accepts = sorted(by_accept)
            values = [statistics.fmean(_value(f, name) for f in by_accept[a]) * scale for a in accepts]
            axes.plot([a * 100 for a in accepts], values, marker="o", label=label)
        axes.set_xlabel("chance a free, eligible GP accepts a session they read (assumption), %")
        axes.set_ylabel(title + (" (%)" if scale == 100 else ""))
        axes.set_title(title)
        axes.grid(alpha=0.3)
        axes.legend(fontsize=8)
        figure.tight_layout()
        path = folder / f"{name}.png"
        figure.savefig(path, dpi=110)
        plt.close(figure)
        made.append(path)
    # The defaults: fill rate by lead time, one bar group per acceptance rate.
    defaults = groups.get("defaults") or next(iter(groups.values()))
    figure, axes = plt.subplots(figsize=(7, 4.5))
    buckets = [name for name, *_ in LEAD_BUCKETS]
    width = 0.8 / max(1, len(defaults))
    for i, accept in enumerate(sorted(defaults)):
        runs = defaults[accept]
        values = [statistics.fmean(f.fill_rate_by_lead.get(b, 0.0) for f in runs) * 100 for b in buckets]
        axes.bar([x + i * width for x in range(len(buckets))], values, width, label=f"accept {accept:.0%}")
    axes.set_xticks([x + width * (len(defaults) - 1) / 2 for x in range(len(buckets))], buckets)
    axes.set_ylabel("filled at their start (%)")
    axes.set_title("The defaults: fill rate by lead time")
    axes.legend(fontsize=8)
    figure.tight_layout()
    path = folder / "fill_rate_by_lead.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    made.append(path)
    return made


def sweep(args: argparse.Namespace, base: Options) -> list[Figures]:
    from concurrent.futures import ProcessPoolExecutor, as_completed

    chosen = [(label, change) for label, change in POLICIES if not args.policies or label in args.policies]
    runs = [
        replace(base, label=label, seed=seed, behaviour=replace(base.behaviour, accept=accept), **change)
        for accept in args.accepts
        for label, change in chosen
        for seed in args.seeds
    ]
    runs.sort(key=lambda o: (o.wave_size or 0) < 1000)  # the longest first: no long tail at the end
    print(f"{len(runs)} runs, {args.workers} at a time", flush=True)
    done: list[Figures] = []
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        futures = [pool.submit(simulate, options) for options in runs]
        for future in as_completed(futures):
            f = future.result()
            done.append(f)
            print(
                f"[{len(done)}/{len(runs)}] {f.label}, accept {f.accept:.0%}, seed {f.seed}: filled "
                f"{f.fill_rate:.1%}, {f.texts_per_fill:.0f} texts a fill, {f.seconds:.0f} s"
                + (f", {len(f.problems)} PROBLEMS" if f.problems else ""),
                flush=True,
            )
            write_csv(args.out / "sweep.csv", done)  # kept as it goes: a long sweep stopped keeps its runs
    return done


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    options = _options(args)
    if args.sweep or args.table_from:
        if args.table_from:
            with args.table_from.open(encoding="utf-8") as handle:
                figures = [Figures.from_row(row) for row in csv.DictReader(handle)]
        else:
            figures = sweep(args, options)
        text = table(figures)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "sweep.md").write_text(text + "\n", encoding="utf-8")
        print(text)
        print(f"wrote {args.out / 'sweep.csv'} and {args.out / 'sweep.md'}")
    else:
        changed = any(getattr(args, k) is not None for k in ("wave_size", "wave_minutes", "batch_seconds"))
        label = "custom" if changed or args.offer_hours is not None or args.nights else "defaults"
        figures = [simulate(replace(options, label=label))]
        print(figures[0].text())
        write_csv(args.out / "simulate.csv", figures)
        print(f"wrote {args.out / 'simulate.csv'}")
    for path in charts(args.out, figures) if args.sweep or args.table_from else []:
        print(f"wrote {path}")
    return 1 if any(f.problems for f in figures) else 0


if __name__ == "__main__":
    raise SystemExit(main())
