"""A pool on a real SQLite file (or PostgreSQL database: tests/postgres.py) with a fake clock, and the verbs tests speak in.

Tests drive the real engine, store and sandbox channel; only time is fake (moved, never
slept) and the random codes are seeded.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.clock import LONDON, FakeClock
from bot.commands import PostSession
from bot.domain import CLINICIAN, Inbound, Member, Practice, Session
from bot.phones import to_e164
from bot.policy import PoolPolicy
from bot.pool import Pool
from bot.ports import Channel, SentMessage, SessionView
from bot.professions import GP_ONLY
from config import load_settings
from config.pensions import load_pension_rules
from config.professions import load_professions
from main import open_pool
from tests import postgres

START = datetime(2026, 12, 1, 8, 0, tzinfo=LONDON)
ADMIN_TOKEN = "test-admin-token"  # the HTTP app's bearer token in tests (tests/conftest.py's client)
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}  # a Tuesday morning


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def database_for(folder: Path) -> Path | str:
    """The test's database: a SQLite file in its folder or, with POOL_TEST_ENGINE=postgres, a
    fresh PostgreSQL database of its own (the same one for the same folder, so reopening works)."""
    if postgres.ENGINE == "postgres":
        return postgres.current().for_folder(folder)
    return folder / "pool.db"


class Harness:
    def __init__(self, pool: Pool, clock: FakeClock, database: Path | str, folder: Path) -> None:
        self.pool = pool
        self.clock = clock
        self.database = database  # the SQLite file's path, or the PostgreSQL database's URL
        self.folder = folder
        self._phones = 0
        self._ids = 0

    @classmethod
    async def open(
        cls,
        folder: Path,
        clock: FakeClock | None = None,
        policy: PoolPolicy | None = None,
        channels: dict[str, Channel] | None = None,
        **env: str,
    ) -> Harness:
        database = database_for(folder)
        settings = load_settings({"POOL_DATABASE": str(database), **env})
        clock = clock or FakeClock(START)
        policy = policy or PoolPolicy(pool_name="Test Pool")
        if policy.professions is GP_ONLY:  # the pool's own professions, as `serve` has them
            policy = replace(policy, professions=load_professions())
        if not policy.pensions.years:  # and its pension rates
            policy = replace(policy, pensions=load_pension_rules())
        pool = await open_pool(settings, clock=clock, rng=random.Random(7), policy=policy, channels=channels)
        await pool.recover()
        return cls(pool, clock, database, folder)

    async def reopen(self, channels: dict[str, Channel] | None = None) -> Harness:
        """A new process on the same database (after a clean stop or a simulated crash)."""
        await self.close()
        return await Harness.open(self.folder, self.clock, self.pool.policy, channels)

    async def close(self) -> None:
        await self.pool.close()

    @property
    def today(self) -> date:
        return self.clock.now().astimezone(LONDON).date()

    @property
    def tomorrow(self) -> date:
        return self.today + timedelta(days=1)

    # -- people and places ---------------------------------------------------------------------

    async def practice(self, ods: str = "X10001", name: str = "Riverside Surgery", **fields: Any) -> Practice:
        practice = Practice(
            ods_code=ods,
            name=name,
            pcn=fields.get("pcn", "North PCN"),
            locality=fields.get("locality", "Northside"),
            address=fields.get("address", "1 Quay St"),
            clinical_system=fields.get("clinical_system", "EMIS Web"),
            info_pack=fields.get("info_pack", "Park in bay 4."),
            phone=fields.get("phone", ""),
        )
        async with self.pool.store.unit_of_work() as uow:
            await uow.practices.add_practice(practice)
        return practice

    def next_phone(self) -> str:
        self._phones += 1
        return f"+447700900{self._phones:03d}"

    async def member(
        self,
        name: str = "",
        phone: str | None = None,
        roles: Iterable[str] = (CLINICIAN,),
        checks: dict[str, date | None] | None = None,
        **fields: Any,
    ) -> Member:
        phone = to_e164(phone) if phone else self.next_phone()
        fields.setdefault("preferred_channel", "sandbox")
        async with self.pool.store.unit_of_work() as uow:
            member = await uow.members.add_member(
                Member(id=0, name=name or f"Dr {phone[-3:]}", phone=phone, roles=frozenset(roles), **fields),
                self.clock.now(),
            )
            if member.is_clinician:  # every check their profession needs, valid, unless told
                needed = self.pool.policy.professions[member.profession].checks
                valid = checks if checks is not None else dict.fromkeys(c.split("|")[0] for c in needed)
                for kind, expires in valid.items():
                    await uow.members.set_check(member.id, kind, expires)
        return member

    async def gp(self, name: str = "", **fields: Any) -> Member:
        return await self.member(name, **fields)

    async def gps(self, count: int, **fields: Any) -> list[Member]:
        return [await self.gp(**fields) for _ in range(count)]

    async def coordinator(self, name: str = "Priya Shah") -> Member:
        return await self.member(name, roles=("coordinator",))

    # -- sessions and messages -----------------------------------------------------------------

    async def post(
        self,
        practice: str = "X10001",
        start: datetime | None = None,
        hours: float = 4,
        urgent: bool = False,
        rate_pence: int = 32000,
        notes: str = "",
        posted_by: Member | None = None,
    ) -> Session:
        start = start or at(self.tomorrow, 8, 30)
        session: Session = await self.pool.engine.execute(
            PostSession(
                practice=practice,
                starts_at=start,
                ends_at=start + timedelta(hours=hours),
                rate_pence=rate_pence,
                urgent=urgent,
                notes=notes,
                posted_by=posted_by.id if posted_by else None,
                via="test",
            ),
            actor="test",
        )
        await self.pool.settle()
        return session

    def inbound(self, who: Member | str, text: str, external_id: str | None = None) -> Inbound:
        phone = who.phone if isinstance(who, Member) else to_e164(who)
        self._ids += 1
        # Unique across reopenings of the same database, as a provider's ids are.
        unique = external_id or f"test-{self._ids}-{uuid.uuid4().hex[:8]}"
        return Inbound("sandbox", phone, text, unique, self.clock.now())

    async def send(self, who: Member | str, text: str, external_id: str | None = None) -> bool:
        first = await self.pool.engine.receive(self.inbound(who, text, external_id))
        await self.pool.settle()
        return first

    async def messages(self, who: Member | str, after: int = 0) -> list[SentMessage]:
        phone = who.phone if isinstance(who, Member) else to_e164(who)
        return await self.pool.store.reader().messages.messages_to("sandbox", phone, after, self.clock.now())

    async def last(self, who: Member | str) -> SentMessage:
        found = await self.messages(who)
        assert found, f"nothing was sent to {who}"
        return found[-1]

    async def offer_code(self, who: Member, session: Session) -> str:
        offers = [
            o
            for o in await self.pool.store.reader().offers.offers_for_session(session.id)
            if o.member_id == who.id
        ]
        assert offers, f"{who.name} was not offered session {session.code}"
        return offers[-1].code

    async def view(self, session: Session) -> SessionView:
        view = await self.pool.store.reader().sessions.session_view(session.id)
        assert view is not None
        return view

    async def advance(self, **delta: float) -> None:
        self.clock.advance(timedelta(**delta))
        await self.pool.settle()
