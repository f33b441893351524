"""A scripted thirteen weeks of peer support on the injected clock: an action learning set
meeting every four weeks (invitations, a waitlist, reminders, attendance, a nudge, a coffee
round) and a mentoring cohort (matched, approved, meeting, one REMATCH), ending with the
lead's view and the report's figures. Its transcript is the golden file tests/golden/season.txt.

To change the golden file on purpose: `python -m tests.season > tests/golden/season.txt`, read
the diff as a GP and a lead would, and say why in the commit message.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from bot.commands import (
    AddMentor,
    ApproveMatches,
    BuildReport,
    CoffeeRound,
    CreateGroup,
    ProposeMatches,
    ScheduleGroupSessions,
    ShowGroup,
)
from bot.policy import PoolPolicy
from flows.desk.report import as_text
from flows.peer.groups import group_text
from tests.week import Week, at

CALENDAR_TOKEN = re.compile(r"/calendar/[A-Za-z0-9_-]+\.ics")
POLICY = PoolPolicy(pool_name="Northside GP Pool", public_url="https://pool.example.org")


class Season(Week):
    STAMP = "%a %d %b %H:%M"
    POLICY = POLICY

    def __init__(self, folder: Path, write: Callable[[str], None]) -> None:
        # Calendar addresses are random on purpose (secrets), so the transcript shows them masked.
        super().__init__(folder, lambda line: write(CALENDAR_TOKEN.sub("/calendar/<token>.ics", line)))


async def play(write: Callable[[str], None]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        season = Season(Path(folder), write)
        await season.open()
        pool = season.pool
        run = pool.pool.engine.execute
        lee = await pool.member("Lee Park", roles=("lead",))
        ana = await pool.gp("Dr Ana Ruiz", gp_type="salaried")
        ben = await pool.gp("Dr Ben Carter", gp_type="locum")
        cai = await pool.gp("Dr Cai Evans", gp_type="locum")
        dee = await pool.gp("Dr Dee Shah", gp_type="salaried")
        eve = await pool.gp("Dr Eve Moss", gp_type="locum")
        mo = await pool.gp("Dr Mo Khan", gp_type="partner", localities=("Northside",))
        pat = await pool.gp("Dr Pat Lowe", gp_type="partner", localities=("Southgate",))
        raj = await pool.gp("Dr Raj Iyer", gp_type="partner", localities=("Southgate",))
        fay = await pool.gp("Dr Fay Bell", gp_type="fellow", localities=("Northside",))
        gus = await pool.gp("Dr Gus Hale", gp_type="returner", localities=("Southgate",))
        for member in (lee, ana, ben, cai, dee, eve, mo, pat, raj, fay, gus):
            season.names[member.phone] = member.name
        write("Thirteen weeks of peer support in Northside GP Pool (quiet hours 21:00-07:30)")

        season.heading("Week 1: a group, a series of sessions, a mentoring cohort")
        await season.run_until(at(0, 9, 0))
        await run(
            CreateGroup(
                "New GPs", "action_learning", tuple(m.phone for m in (ana, ben, cai, dee, eve)), by=lee.id
            ),
            actor="test",
        )
        sessions = await run(
            ScheduleGroupSessions(
                "New GPs", at(10, 12, 30), at(10, 14, 0), "Riverside Surgery", capacity=4, every_weeks=4,
                times=3, by=lee.id,
            ),
            actor="test",
        )  # fmt: skip
        write(
            "Mon 30 Nov 09:00  Lee creates New GPs (closed) and schedules Thu 10 Dec 12:30, every 4 weeks x3"
        )
        await season.show()
        for member in (ana, ben, cai, dee):
            await season.say(member, "yes")
        await season.say(eve, "Yes")
        await season.run_until(at(0, 10, 0))
        for mentor, capacity, interests in ((mo, 1, "teaching"), (pat, 2, "prescribing")):
            await run(AddMentor(mentor.phone, capacity, interests=(interests,), by=lee.id), actor="test")
        write(
            "Mon 30 Nov 10:00  Lee registers Dr Mo Khan (1 mentee, teaching) and Dr Pat Lowe (2, prescribing)"
        )
        await season.say(fay, "MENTOR teaching")
        await season.say(gus, "mentor prescribing; getting back into practice")
        proposals = await run(ProposeMatches(by=lee.id), actor="test")
        for number, proposal, mentee, mentor in proposals:
            write(f"                  proposal #{number}: {mentee} with {mentor}: {proposal.why}")
        await run(ApproveMatches(by=lee.id), actor="test")
        write("Mon 30 Nov 10:00  Lee approves both")
        await season.show()

        season.heading("Week 2: Ben can't come; Eve gets his place; the session")
        await season.run_until(at(7, 13, 0))
        await season.say(ben, f"no {(await pool.messages(ben))[0].choices[1].value.split()[1]}")
        await season.run_until(at(10, 14, 5))
        await season.say(ana, "yes")
        await season.say(cai, "yes")
        await season.say(dee, "no")
        await season.say(eve, "yes")

        season.heading("Weeks 3-4: mentoring's first cycle")
        await season.run_until(at(21, 10, 0))
        await season.say(fay, "yes")
        await season.say(gus, "no")
        await season.run_until(at(28, 11, 0))

        season.heading("Week 5: a coffee round; the second session; Gus asks to change mentor")
        await run(CoffeeRound("New GPs", by=lee.id), actor="test")
        write("Mon 28 Dec 11:00  Lee starts a coffee round for New GPs")
        await season.show()
        await season.run_until(at(28, 12, 0))
        for member in (ana, cai, eve):
            await season.say(member, "yes")
        await season.say(gus, "REMATCH")
        await run(AddMentor(raj.phone, 1, interests=("prescribing",), by=lee.id), actor="test")
        write("Mon 28 Dec 12:00  Lee registers Dr Raj Iyer (1 mentee, prescribing)")
        for number, proposal, mentee, mentor in await run(ProposeMatches(by=lee.id), actor="test"):
            write(f"                  proposal #{number}: {mentee} with {mentor}: {proposal.why}")
        await run(ApproveMatches(by=lee.id), actor="test")
        write("Mon 28 Dec 12:00  Lee approves it")
        await season.show()
        await season.run_until(at(38, 14, 5))
        for member in (ana, cai):
            await season.say(member, "yes")
        await season.say(eve, "no")

        season.heading("Weeks 7-9: meetings logged; Ben and Dee are nudged")
        await season.run_until(at(49, 10, 0))
        await season.say(fay, "yes")
        await season.run_until(at(49, 14, 0))
        await season.say(gus, "yes")
        await season.run_until(at(52, 13, 0))
        for member in (ana, cai):
            await season.say(member, "yes")
        await season.run_until(at(56, 12, 0))
        await season.say(dee, "yes")

        season.heading("Weeks 10-13: the third session, and the quarter closes")
        await season.run_until(at(66, 14, 5))
        for member in (ana, cai, dee):
            await season.say(member, "yes")
        await season.run_until(at(77, 10, 0))
        await season.say(fay, "yes")
        await season.run_until(at(77, 13, 0))
        await season.say(gus, "yes")
        await season.run_until(at(91, 9, 0))

        season.heading("The lead's view")
        write(group_text(await run(ShowGroup("New GPs", by=lee.id), actor="test")))
        season.heading("The report (peer support lines)")
        report = as_text(await run(BuildReport(2026), actor="test"))
        write(
            "\n".join(line for line in report.splitlines() if line.startswith(("Peer groups", "Mentoring")))
        )
        assert sessions
        await pool.close()


if __name__ == "__main__":
    asyncio.run(play(print))
