"""A scripted week on the injected clock: waves, expiries, quiet hours, escalation, reminders,
delivered hours signed off and check expiries, with the process restarted in the middle. Its
transcript is the golden file tests/golden/week.txt.

To change the golden file on purpose: `python -m tests.week > tests/golden/week.txt`, read
the diff as a GP and a coordinator would, and say why in the commit message.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from bot.clock import LONDON, FakeClock
from bot.commands import PostSession
from bot.domain import CHECK_KINDS, Member
from bot.policy import PoolPolicy
from bot.render import text_with_choices
from tests.harness import Harness

MONDAY = date(2026, 11, 30)
POLICY = PoolPolicy(pool_name="Northside GP Pool", wave_size=2)


def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    day = MONDAY + timedelta(days=day_offset)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


class Week:
    STAMP = "%a %H:%M"  # how each line shows its time
    POLICY = POLICY

    def __init__(self, folder: Path, write: Callable[[str], None]) -> None:
        self.folder, self.write = folder, write
        self.clock = FakeClock(at(0, 8, 0))
        self.seen = 0
        self.names: dict[str, str] = {}
        self.pool: Harness

    async def open(self) -> None:
        self.pool = await Harness.open(self.folder, clock=self.clock, policy=self.POLICY)

    async def run_until(self, moment: datetime) -> None:
        """Move the clock to each due moment in turn (timers, held messages) up to ``moment``,
        doing what is due at each, as the running server would."""
        while True:
            due = [
                d
                for d in (
                    await self.pool.pool.store.reader().timers.next_timer_due(),
                    await self.pool.pool.store.next_outbox_due(),
                )
                if d is not None and d <= moment
            ]
            step = max(min(due), self.clock.now()) if due else moment
            self.clock.set(step)
            await self.pool.pool.settle()
            await self.show()
            if step >= moment:
                return

    async def show(self) -> None:
        for message in await self.pool.pool.store.reader().messages.outbound_after(
            self.seen, self.clock.now()
        ):
            self.seen = message.id
            when = (message.sent_at or message.created_at).astimezone(LONDON)
            indent = " " * (len(f"{when:{self.STAMP}}") + 10)
            text = text_with_choices(message.body or "", message.choices).replace("\n", "\n" + indent)
            self.write(f"{when:{self.STAMP}}  to {self.names.get(message.address, message.address)}: {text}")

    async def say(self, who: Member, text: str) -> None:
        self.write(f"{self.clock.now().astimezone(LONDON):{self.STAMP}}  {who.name}: {text}")
        await self.pool.send(who, text)
        await self.show()

    def heading(self, text: str) -> None:
        self.write(f"\n== {text} ==")


async def play(write: Callable[[str], None]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        week = Week(Path(folder), write)
        await week.open()
        pool = week.pool
        await pool.practice(
            name="Riverside Surgery", address="12 Quay Street, Northside NS1 2AB", info_pack="Park in bay 4."
        )
        sam = await pool.member("Sam Okoro", roles=("coordinator",))
        bea = await pool.member("Bea Lin", roles=("coordinator",))
        ana = await pool.gp("Dr Ana Ruiz", urgent_at_night=True)
        ben = await pool.gp("Dr Ben Carter")
        cai = await pool.gp("Dr Cai Evans")
        dee = await pool.gp(
            "Dr Dee Shah", checks={**dict.fromkeys(CHECK_KINDS), "dbs": MONDAY + timedelta(days=8)}
        )
        for member in (sam, bea, ana, ben, cai, dee):
            week.names[member.phone] = member.name
        write("A week in Northside GP Pool (quiet hours 21:00-07:30, waves of 2 every 30 minutes)")

        week.heading("Monday: a routine session goes out in waves")
        await week.run_until(at(0, 9, 0))
        wednesday = await pool.pool.engine.execute(
            PostSession("X10001", at(2, 9, 0), at(2, 13, 0), 32000, posted_by=sam.id, via="api"), actor="test"
        )
        write(f"Mon 09:00  Sam posts {wednesday.code}: Riverside, Wed 09:00-13:00")
        await week.show()
        await week.run_until(at(0, 10, 0))
        await week.say(ana, "no thanks")
        await week.run_until(at(0, 21, 30))

        week.heading("Monday night: an urgent session; only Dr Ruiz said NIGHTS ON")
        tuesday = await pool.pool.engine.execute(
            PostSession(
                "X10001", at(1, 13, 0), at(1, 17, 0), 40000, urgent=True, posted_by=sam.id, via="api"
            ),
            actor="test",
        )
        write(f"Mon 21:30  Sam posts {tuesday.code} (urgent): Riverside, Tue 13:00-17:00")
        await week.show()
        await week.run_until(at(1, 7, 45))
        await week.say(ben, f"yes {await pool.offer_code(ben, tuesday)}")

        week.heading("Tuesday: the routine session escalates; the poster offers it to everyone")
        await week.run_until(at(1, 9, 0))
        await week.say(sam, f"URGENT {wednesday.code}")
        await week.run_until(at(1, 9, 10))
        await week.say(cai, f"YES {await pool.offer_code(cai, wednesday)}")

        week.heading("Tuesday noon: the server restarts")
        await week.run_until(at(1, 12, 0))
        await pool.close()
        write("Tue 12:00  -- restart --")
        week.clock.advance(timedelta(minutes=20))
        await week.open()
        pool = week.pool

        week.heading("Tuesday afternoon and evening: hours, and the evening-before reminder")
        await week.run_until(at(1, 17, 30))
        await week.say(ben, "4.5 hrs")
        await week.run_until(at(1, 18, 0))

        week.heading("Wednesday to Friday: no answer, one reminder, then the coordinators")
        await week.run_until(at(3, 9, 59))
        thursday_post = await pool.pool.engine.execute(
            PostSession("X10001", at(4, 9, 0), at(4, 13, 0), 32000, posted_by=sam.id, via="api"), actor="test"
        )
        write(f"Thu 09:59  Sam posts {thursday_post.code}: Riverside, Fri 09:00-13:00 (nobody takes it)")
        await week.show()
        week.heading("Friday: the hours Ben reported are confirmed (no practice manager, so Sam)")
        await week.run_until(at(4, 10, 5))
        asked = await pool.pool.store.reader().prompts.prompt_about("signoff", sam.id, tuesday.id)
        assert asked is not None
        await week.say(sam, f"OK {asked.code}")
        await week.run_until(at(4, 12, 0))

        week.heading("The weekend")
        await week.run_until(at(6, 23, 0))
        report = await pool.view(wednesday)
        write(
            f"\n{wednesday.code}: {report.session.status}, {report.session.delivered_hours or 0:g} hours recorded"
        )
        report = await pool.view(tuesday)
        write(
            f"{tuesday.code}: {report.session.status}, {report.session.delivered_hours or 0:g} hours recorded"
        )
        signed = await pool.pool.store.reader().pay.signoff(tuesday.id)
        assert signed is not None
        write(f"{tuesday.code}: hours {signed.state.replace('_', ' ')}, pay {signed.pay_pence} pence")
        report = await pool.view(thursday_post)
        write(f"{thursday_post.code}: {report.session.status}")
        await pool.close()


if __name__ == "__main__":
    asyncio.run(play(print))
