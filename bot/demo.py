"""A scripted day in a fictional pool, played through the real engine on the sandbox.

``python main.py demo`` prints the transcript as a person would read it; a test compares it
with tests/golden/demo.txt. The clock is a FakeClock and codes come from a seeded generator,
so the day plays the same way every time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from bot.calendar import next_month
from bot.clock import LONDON, FakeClock
from bot.commands import (
    AddCost,
    AnswerInbox,
    BookByHand,
    BuildReport,
    PostSession,
    SetBilling,
    SetPensionDetails,
)
from bot.domain import CLINICIAN, Inbound, Member, Practice, Session, role_named
from bot.phones import to_e164
from bot.pool import Pool
from bot.render import text_with_choices

# Checks that never lapse; the others are renewed yearly in the fictional pool.
NEVER_LAPSE = frozenset({"identity", "cct", "employment_history"})
DEMO_START = datetime(2026, 11, 30, 8, 0, tzinfo=LONDON)  # a Monday


async def seed_pool(pool: Pool, data: dict[str, Any], today: date) -> int:
    """Load the fictional pool's practices and members (skipping phones already there)."""
    added = 0
    async with pool.store.unit_of_work() as uow:
        now = pool.clock.now()
        for p in data["practices"]:
            await uow.practices.add_practice(Practice(**p))
        for m in data["members"]:
            phone = to_e164(m["phone"])
            if await uow.members.member_by_phone(phone) is not None:
                continue
            paused = m.get("paused_days")
            member = await uow.members.add_member(
                Member(
                    id=0,
                    name=m["name"],
                    phone=phone,
                    roles=frozenset(role_named(r) for r in m.get("roles", [CLINICIAN])),
                    profession=m.get("profession", "gp"),
                    level=m.get("level"),
                    gp_type=m.get("gp_type"),
                    registration_number=pool.policy.professions[m.get("profession", "gp")].tidy_number(
                        m["registration_number"]
                    )
                    if m.get("registration_number")
                    else None,
                    preferred_channel="sandbox",
                    localities=tuple(m.get("localities", ())),
                    practices=tuple(m.get("practices", ())),
                    days=tuple(m.get("days", ())),
                    max_sessions_per_week=m.get("max_sessions_per_week"),
                    contracted_sessions_per_week=m.get("contracted_sessions_per_week", 0),
                    paused_until=today + timedelta(days=paused) if paused else None,
                ),
                now,
            )
            added += 1
            if member.is_clinician:
                lapsed = set(m.get("lapsed", ()))
                for kind in (c.split("|")[0] for c in pool.policy.professions[member.profession].checks):
                    if kind in lapsed:
                        expires: date | None = today - timedelta(days=3)
                    elif kind in NEVER_LAPSE:
                        expires = None
                    else:
                        expires = today + timedelta(days=300)
                    await uow.members.set_check(member.id, kind, expires)
    return added


class Transcript:
    """Prints what people send and receive, in order, with London times."""

    def __init__(self, pool: Pool, clock: FakeClock, emit: Callable[[str], None]) -> None:
        self.pool = pool
        self.clock = clock
        self.emit = emit
        self.last_id = 0
        self.names: dict[str, str] = {}

    async def load_names(self) -> None:
        for member in await self.pool.store.reader().members.all_members():
            self.names[member.phone] = member.name

    def at(self) -> str:
        return f"{self.clock.now().astimezone(LONDON):%H:%M}"

    def scene(self, title: str) -> None:
        self.emit("")
        self.emit(f"== {title} ==")

    def note(self, text: str) -> None:
        self.emit(f"{self.at()}  ({text})")

    async def says(self, phone: str, text: str) -> None:
        await self.says_together([(phone, text)])

    async def says_together(self, replies: list[tuple[str, str]]) -> None:
        """Several people reply in the same instant; the store decides who was first."""
        for phone, text in replies:
            self.emit(f"{self.at()}  {self.names.get(to_e164(phone), phone)}: {text}")
        await asyncio.gather(*(self.pool.engine.receive(self._inbound(p, t)) for p, t in replies))
        await self.show()

    def _inbound(self, phone: str, text: str) -> Inbound:
        self._count = getattr(self, "_count", 0) + 1
        return Inbound("sandbox", to_e164(phone), text, f"demo-{self._count}", self.clock.now())

    async def show(self, only: Callable[[Any], bool] | None = None) -> None:
        """Settle the pool, then print every message it sent since last time (``only``: just
        those it picks; the rest are passed over)."""
        await self.pool.settle()
        sent = await self.pool.store.reader().messages.outbound_after(self.last_id, self.clock.now())
        groups: list[list[Any]] = []
        for message in sent:
            self.last_id = message.id
            if only is not None and not only(message):
                continue
            # The same text to several people (an offer: each with their own code) shows once.
            same = groups and groups[-1][0].kind == message.kind and groups[-1][0].body == message.body
            if same:
                groups[-1].append(message)
            else:
                groups.append([message])
        for group in groups:
            first = group[0]
            text = text_with_choices(first.body or "", first.choices)
            self.emit(f"{self.at()}  to {self.names.get(first.address, first.address)}:")
            for line in text.splitlines():
                self.emit(f"         {line}")
            if len(group) > 1:
                others = ", ".join(
                    self.names.get(m.address, m.address)
                    + (f" ({m.choices[0].value.split()[-1]})" if m.choices else "")
                    for m in group[1:]
                )
                self.emit(f"         ...and the same to {others}")

    async def advance(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))
        await self.show()


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


async def play(
    pool: Pool,
    clock: FakeClock,
    data: dict[str, Any],
    emit: Callable[[str], None],
    report_text: Callable[[Any], str],
) -> None:
    """The scripted day. The pool must be open on an empty database with clock at DEMO_START.
    ``report_text`` shows the pool's figures (the report's own formatting, given at wiring)."""
    today = clock.now().astimezone(LONDON).date()
    tomorrow = today + timedelta(days=1)
    await seed_pool(pool, data, today)
    t = Transcript(pool, clock, emit)
    await t.load_names()
    reader = pool.store.reader()
    priya = await reader.members.member_by_phone(to_e164("07700 900001"))
    assert priya is not None

    async def post(**fields: Any) -> Session:
        session: Session = await pool.engine.execute(
            PostSession(posted_by=priya.id, via="cli", **fields), actor=f"member:{priya.id}"
        )
        return session

    emit(f"A day at {data['name']}, played on the sandbox channel.")
    people, practices = len(data["members"]), len(data["practices"])
    emit(f"{today:%A %-d %B %Y}, London time. {people} people, {practices} practices.")

    t.scene("A routine session goes out in waves, best fit first")
    routine = await post(
        practice="X10001",
        starts_at=_at(tomorrow, 8, 30),
        ends_at=_at(tomorrow, 12, 30),
        rate_pence=32000,
        notes="Duty doctor morning.",
    )
    t.note(f"Priya Shah posts session {routine.code}: Riverside Surgery, tomorrow 08:30-12:30")
    await t.show()
    codes = await _codes(pool, routine)

    t.scene("Replies: a decline, one to clarify, one the bot does not understand")
    clock.advance(timedelta(minutes=4))
    await t.says("07700 900101", "No sorry")
    clock.advance(timedelta(minutes=2))
    await t.says("07700 900109", "yes but only till 12")
    clock.advance(timedelta(minutes=1))
    await t.says("07700 900102", "Can I bring my medical student")

    t.scene("Half an hour without a taker: the next wave")
    clock.set(_at(today, 8, 30))
    await t.show()
    codes = await _codes(pool, routine)

    t.scene("The first valid acceptance books it; everyone else is told")
    clock.set(_at(today, 8, 41))
    await t.says("07700 900104", "Yes please")
    clock.advance(timedelta(minutes=1))
    await t.says("07700 900109", "YES")

    t.scene("An urgent session goes to every eligible GP at once")
    clock.set(_at(today, 9, 15))
    urgent = await post(
        practice="X20001",
        starts_at=_at(today, 14, 0),
        ends_at=_at(today, 18, 0),
        rate_pence=36000,
        urgent=True,
        notes="Duty doctor cover, sickness.",
    )
    t.note(f"Priya Shah posts urgent session {urgent.code}: Hillview Health Centre, today 14:00-18:00")
    await t.show()

    t.scene("Two GPs accept in the same instant")
    clock.advance(timedelta(minutes=1))
    await t.says_together([("07700 900111", "yes"), ("07700 900113", "Y")])

    t.scene("A booked GP gives the session up, and it is offered again")
    clock.set(_at(today, 10, 0))
    booked_code = codes.get(to_e164("07700 900104"), "????")
    await t.says("07700 900104", f"DROP {booked_code}")
    codes = await _codes(pool, routine)
    clock.advance(timedelta(minutes=5))
    isla_code = codes.get(to_e164("07700 900109"), "????")
    await t.says("07700 900109", f"{isla_code} yes")

    t.scene("Keywords work on every channel")
    clock.advance(timedelta(minutes=10))
    await t.says("07700 900109", "BOOKINGS")

    t.scene("A practice manager posts a session for their practice")
    clock.set(_at(today, 10, 30))
    tom = await reader.members.member_by_phone(to_e164("07700 900002"))
    assert tom is not None
    thursday = today + timedelta(days=3)
    managed: Session = await pool.engine.execute(
        PostSession(
            "X10001", _at(thursday, 13, 30), _at(thursday, 17, 30), 32000, posted_by=tom.id, via="cli"
        ),
        actor=f"member:{tom.id}",
    )
    t.note(f"Tom Reilly posts session {managed.code}: Riverside Surgery, Thursday 13:30-17:30")
    await t.show()

    t.scene("A GP says when they are free, and hears about what fits at once")
    clock.set(_at(today, 10, 40))
    await t.says("07700 900115", "AVAILABLE thu pm")

    t.scene("The coordinator books a GP by hand after a phone call")
    clock.set(_at(today, 11, 0))
    t.note(f"Priya Shah books Dr Sam Whitfield for {managed.code} by hand, after a phone call")
    await pool.engine.execute(
        BookByHand(managed.code, "07700 900119", by=priya.id), actor=f"member:{priya.id}"
    )
    await t.show()

    t.scene("Beyond GPs: a nurse session and a pharmacist session, each to its own profession")
    clock.set(_at(today, 11, 5))
    nurses = await post(
        practice="X20002",
        starts_at=_at(tomorrow, 9, 0),
        ends_at=_at(tomorrow, 12, 30),
        rate_pence=15000,
        urgent=True,
        notes="Smears and chronic disease reviews.",
        professions=("practice_nurse",),
    )
    pharmacist = await post(
        practice="X10002",
        starts_at=_at(tomorrow, 13, 30),
        ends_at=_at(tomorrow, 17, 30),
        rate_pence=22000,
        urgent=True,
        notes="Medication reviews.",
        professions=("clinical_pharmacist",),
    )
    t.note(
        f"Priya Shah posts a practice nurse session {nurses.code} (Meadowbank) and a clinical "
        f"pharmacist session {pharmacist.code} (St Mary’s), both for tomorrow: no GP is offered either"
    )
    await t.show()
    clock.advance(timedelta(minutes=3))
    await t.says("07700 900202", "Yes please")
    clock.advance(timedelta(minutes=1))
    await t.says("07700 900203", "yes 👍")

    t.scene("Six sessions posted together reach each GP as one text, not six")
    clock.set(_at(today, 11, 15))
    # Routine offers made within two minutes go as one message (POOL_BATCH_SECONDS, 120 by default).
    pool.engine.policy = replace(pool.engine.policy, offer_batch=timedelta(minutes=2))
    next_week = today + timedelta(days=7)
    batch = [
        await post(
            practice="X10002" if n % 2 else "X10001",
            starts_at=_at(next_week + timedelta(days=n // 2), 13 if n % 2 else 8, 30),
            ends_at=_at(next_week + timedelta(days=n // 2), 17 if n % 2 else 12, 30),
            rate_pence=32000,
        )
        for n in range(6)
    ]
    t.note(f"Priya Shah posts six routine sessions for next week ({', '.join(s.code for s in batch)})")
    await t.show()
    clock.advance(timedelta(minutes=2))
    first = t.last_id
    await t.show()
    told = await reader.messages.outbound_after(first, clock.now())
    offers_made = 0
    for session in batch:
        view = await reader.sessions.session_view(session.id)
        offers_made += len(view.offers) if view else 0
    t.note(f"{offers_made} offers went as {len(told)} texts, instead of {offers_made}")

    t.scene("A GP asks what is open and takes one in two texts")
    clock.advance(timedelta(minutes=5))
    await t.says("07700 900117", "OPEN")
    listed = (await reader.messages.outbound_after(first, clock.now()))[-1].body or ""
    code = listed.splitlines()[1].split()[0]
    clock.advance(timedelta(minutes=1))
    await t.says("07700 900117", f"YES {code}")

    t.scene("The coordinator answers the message the bot did not understand")
    clock.set(_at(today, 11, 10))
    [question] = await reader.inbox.items()
    t.note(f"Priya Shah answers inbox message #{question.id} through the bot")
    await pool.engine.execute(
        AnswerInbox(question.id, "Yes, if the practice agrees: ask Tom Reilly on the day.", by=priya.id),
        actor=f"member:{priya.id}",
    )
    await t.show()
    await pool.engine.execute(
        AddCost(today, 320_000, "Coordinator and admin time, November", by=priya.id),
        actor=f"member:{priya.id}",
    )

    t.scene("End of the morning")
    for session in (routine, urgent, managed, nurses, pharmacist):
        view = await reader.sessions.session_view(session.id)
        assert view is not None
        who = f", booked by {view.booked.name}" if view.booked else ""
        emit(
            f"Session {session.code} ({view.practice.name}): {view.session.status}{who}; "
            f"{len(view.offers)} offer{'' if len(view.offers) == 1 else 's'} made."
        )
    items = await reader.inbox.items()
    emit(f"Coordinators' inbox: {len(items)} message(s) still to read.")
    emit("")
    figures = await pool.engine.execute(BuildReport(by=priya.id), actor=f"member:{priya.id}")
    for line in report_text(figures).splitlines():
        emit(line)
    await _a_month_of_paperwork(pool, clock, t, priya)


async def _codes(pool: Pool, session: Session) -> dict[str, str]:
    """Each member's current offer code for the session, by phone (to script their replies)."""
    view = await pool.store.reader().sessions.session_view(session.id)
    assert view is not None
    return {member.phone: offer.code for offer, member in view.offers}


PAPERWORK = {
    "hours_prompt", "hours_noted", "signoff_ask", "signoff_confirmed", "signoff_gp_told",
    "invoice_to_practice", "invoice_to_gp", "invoice_paid_noted", "invoice_paid", "form_b_reminder",
}  # fmt: skip


async def _a_month_of_paperwork(pool: Pool, clock: FakeClock, t: Transcript, priya: Member) -> None:
    """A locum's month from hours to invoices and Form B, with the pool's own timers: the hours
    question, the practice's sign-off, the invoices on the 1st, one paid, the Form B on the next 1st."""
    reader = pool.store.reader()
    tara = await reader.members.member_by_phone(to_e164("07700 900120"))
    assert tara is not None
    as_priya = f"member:{priya.id}"
    today = clock.now().astimezone(LONDON).date()

    def hers(message: Any) -> bool:
        return message.kind in PAPERWORK and (
            message.address == tara.phone or "Tara Singh" in (message.body or "")
        )

    t.scene("The month's paperwork: hours signed off, invoices, a Form B")
    clock.set(_at(today, 12, 0))
    await pool.engine.ensure_standing()  # the recurring jobs, as `serve` has them (the 1st's invoices)
    await t.show(hers)
    t.note("Priya Shah adds Dr Tara Singh's address, bank details and NHS Pensions SD number (tier 3)")
    await pool.engine.execute(
        SetBilling(tara.phone, ("14 Ash Grove", "Northside NS4 4DD"), account_name="Dr T Singh",
                   sort_code="40-11-62", account_number="31926819", by=priya.id), actor=as_priya,
    )  # fmt: skip
    await pool.engine.execute(SetPensionDetails(tara.phone, "87654321", 3, by=priya.id), actor=as_priya)
    worked = []
    for days, practice, start, rate in ((7, "X10001", 8, 32000), (9, "X20001", 13, 34000)):
        day = today + timedelta(days=days)
        session: Session = await pool.engine.execute(
            PostSession(
                practice, _at(day, start, 30), _at(day, start + 4, 30), rate, posted_by=priya.id, via="cli"
            ),
            actor=as_priya,
        )
        await pool.engine.execute(BookByHand(session.code, tara.phone, by=priya.id), actor=as_priya)
        worked.append(session)
    t.note(f"Priya Shah books Dr Tara Singh for {worked[0].code} (Riverside) and {worked[1].code} (Hillview)")
    await t.show(hers)
    for session in worked:
        clock.set(session.ends_at)
        await t.show(hers)
        await t.says(tara.phone, "4")
        for member_id in await reader.prompts.prompts_about("signoff", session.id):
            signer = await reader.members.member(member_id)
            prompt = await reader.prompts.prompt_about("signoff", member_id, session.id)
            assert signer is not None and prompt is not None
            if prompt.state == "open":
                clock.advance(timedelta(minutes=20))
                await t.show(hers)
                await t.says(signer.phone, f"OK {prompt.code}")
    january = next_month(worked[-1].starts_at.astimezone(LONDON).date())
    clock.set(_at(january, 9, 0))
    t.note("the 1st: the pool invoices last month's signed-off sessions")
    await t.show(hers)
    riverside = next(
        r.invoice
        for r in await reader.invoices.invoice_rows(member_id=tara.id)
        if r.invoice.practice == "X10001"
    )
    clock.set(_at(january + timedelta(days=5), 10, 0))
    await t.show(hers)
    await t.says("07700 900002", f"PAID {riverside.number}")
    clock.set(_at(next_month(january), 9, 0))
    t.note("the next 1st: the Form B for the pay received in January")
    await t.show(hers)
