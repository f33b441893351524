"""Mentoring: the register, MENTOR requests, a matching run the lead approves, introductions."""

from __future__ import annotations

import pytest

from bot.commands import AddMentor, ApproveMatches, MentorLeaves, ProposeMatches
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


async def paired(pool: Harness):
    lead = await pool.member("Lee Lead", roles=("lead",))
    mentor = await pool.gp("Dr Mo Mentor", gp_type="partner")
    mentee = await pool.gp("Dr Fay Fellow", gp_type="fellow")
    await pool.pool.engine.execute(AddMentor(mentor.phone, 2, by=lead.id), actor="test")
    await pool.send(mentee, "MENTOR")
    await pool.pool.engine.execute(ProposeMatches(by=lead.id), actor="test")
    await pool.pool.engine.execute(ApproveMatches(by=lead.id), actor="test")
    return lead, mentor, mentee


async def test_a_cycle_without_a_meeting_is_flagged_to_the_lead_on_day_28(pool: Harness) -> None:
    lead, mentor, mentee = await paired(pool)
    await pool.advance(days=14)
    assert (
        "A reminder to meet" in (await pool.last(mentee)).body
        and "A reminder" in (await pool.last(mentor)).body
    )
    await pool.advance(days=7)
    assert (await pool.last(mentee)).body.startswith("Did you meet Dr Mo Mentor")
    await pool.send(mentee, "no")
    await pool.advance(days=7)
    flag = await pool.last(lead)
    assert flag.kind == "mentoring_flag" and "haven't logged a meeting" in flag.body
    # The next cycle: they meet, and nobody is flagged.
    await pool.advance(days=21)
    await pool.send(mentee, "yes")
    assert "noted" in (await pool.last(mentee)).body
    flags = len([m for m in await pool.messages(lead) if m.kind == "mentoring_flag"])
    await pool.advance(days=7)
    assert len([m for m in await pool.messages(lead) if m.kind == "mentoring_flag"]) == flags


async def test_rematch_ends_the_pair_privately_and_never_proposes_it_again(pool: Harness) -> None:
    lead, mentor, mentee = await paired(pool)
    await pool.send(mentee, "REMATCH")
    assert "you don't need to give a reason" in (await pool.last(mentee)).body
    assert "has come to an end" in (await pool.last(mentor)).body
    assert "Dr Fay Fellow" not in (await pool.last(mentor)).body + (await pool.last(lead)).body, (
        "who asked stays private"
    )
    assert await pool.pool.engine.execute(ProposeMatches(by=lead.id), actor="test") == [], (
        "never the same pair again"
    )
    other = await pool.gp("Dr Oz Other", gp_type="partner")
    await pool.pool.engine.execute(AddMentor(other.phone, 1, by=lead.id), actor="test")
    [(number, proposal, _, _)] = await pool.pool.engine.execute(ProposeMatches(by=lead.id), actor="test")
    assert (proposal.mentee, proposal.mentor) == (mentee.id, other.id)
    await pool.pool.engine.execute(ApproveMatches((number,), by=lead.id), actor="test")
    assert (await pool.last(mentee)).body.startswith("Meet your mentor: Dr Oz Other"), (
        "no 'stepped down' after REMATCH"
    )


async def test_when_a_mentor_leaves_their_mentees_get_a_new_one_with_a_handover(pool: Harness) -> None:
    lead, mentor, mentee = await paired(pool)
    other = await pool.gp("Dr Oz Other", gp_type="partner")
    await pool.pool.engine.execute(AddMentor(other.phone, 1, by=lead.id), actor="test")
    assert await pool.pool.engine.execute(MentorLeaves(mentor.phone, by=lead.id), actor="test") == 1
    [(number, proposal, _, _)] = await pool.pool.engine.execute(ProposeMatches(by=lead.id), actor="test")
    assert proposal.mentor == other.id
    await pool.pool.engine.execute(ApproveMatches((number,), by=lead.id), actor="test")
    stepped_down, handover = (await pool.messages(mentee))[-2:]
    assert stepped_down.body.startswith("Dr Mo Mentor has stepped down as your mentor.")
    assert handover.body.startswith("Meet your new mentor: Dr Oz Other")
