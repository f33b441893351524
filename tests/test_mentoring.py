"""Mentoring: the register, MENTOR requests, a matching run the lead approves, introductions."""

from __future__ import annotations

import pytest

from bot.commands import AddMentor, ApproveMatches, ProposeMatches
from bot.errors import Refused
from tests.harness import Harness


async def test_a_match_is_proposed_approved_and_both_are_introduced(pool: Harness) -> None:
    lead = await pool.member("Lee Lead", roles=("lead",))
    mentor = await pool.gp(
        "Dr Mo Mentor", gp_type="partner", practices=("X10001",), localities=("Northside",)
    )
    other = await pool.gp("Dr Oz Other", gp_type="partner", practices=("X20002",), localities=("Northside",))
    fellow = await pool.gp(
        "Dr Fay Fellow", gp_type="fellow", practices=("X10001",), localities=("Northside",)
    )
    for person in (mentor, other):
        await pool.pool.engine.execute(
            AddMentor(person.phone, 1, interests=("teaching",), localities=("Northside",), by=lead.id),
            actor="test",
        )
    await pool.send(fellow, "MENTOR teaching; minor surgery")
    assert "on the list for a mentor" in (await pool.last(fellow)).body

    [(number, proposal, mentee_name, mentor_name)] = await pool.pool.engine.execute(
        ProposeMatches(by=lead.id), actor="test"
    )
    assert (mentee_name, mentor_name) == ("Dr Fay Fellow", "Dr Oz Other")
    assert proposal.mentor == other.id, "never within the same practice"
    assert "teaching" in proposal.why
    assert [m.kind for m in await pool.messages(fellow)] == ["mentor_requested"], (
        "nobody told before approval"
    )

    assert await pool.pool.engine.execute(ApproveMatches((number,), by=lead.id), actor="test") == 1
    intro = await pool.last(fellow)
    assert intro.kind == "mentor_introduction" and "Dr Oz Other" in intro.body
    assert "Dr Fay Fellow" in (await pool.last(other)).body
    assert await pool.pool.engine.execute(ProposeMatches(by=lead.id), actor="test") == [], "the pair stands"
    await pool.send(fellow, "MENTOR again please")
    assert "already" in (await pool.last(fellow)).body


async def test_only_leads_and_coordinators_run_matching(pool: Harness) -> None:
    gp = await pool.gp()
    with pytest.raises(Refused):
        await pool.pool.engine.execute(ProposeMatches(by=gp.id), actor="test")
    with pytest.raises(Refused):
        await pool.pool.engine.execute(AddMentor(gp.phone, 2, by=gp.id), actor="test")
