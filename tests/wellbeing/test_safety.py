"""The crisis rule: signposting at once, the named wellbeing lead told, nobody else."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.policy import PoolPolicy
from config.safety import load_safety
from flows.wellbeing.safety import SafetyScreen
from tests.harness import Harness

DATA = load_safety()
SCREEN = SafetyScreen(DATA.crisis_patterns, (), DATA.distress_patterns, DATA.distress_reply)

CRISIS = [
    "I want to die",
    "Honestly I've been thinking about ending it all",
    "I feel suicidal",
    "I can’t go on any more",
    "I cannot cope anymore",
    "everyone would be better off without me",
    "I keep thinking about killing myself",
    "I've been self-harming again",
    "there's no point living",
    "I don't want to wake up",
    "planning to hang myself",
    "I feel like ending things",
    "nobody would miss me",
    "I'm tired of living",
    "I just want it all to end",
    "I can no longer cope",
    "honestly I can't go on",
]
NEAR_MISSES = [
    "dying to get home",
    "this rota is killing me",
    "I can't go on Tuesday",
    "I could kill for a coffee",
    "the practice is killing it",
    "I'm dead tired",
    "that patient nearly died on me",
    "can't do this session, sorry",
    "end of my shift at 6",
    "I can't go on the 12th",
    "we're ending things early today",
    "hang on, checking my diary",
    "suicide prevention training is on Friday",
]


@pytest.mark.parametrize("text", CRISIS)
def test_crisis_phrases_are_recognised(text: str) -> None:
    assert SCREEN.matches(text)


@pytest.mark.parametrize("text", NEAR_MISSES[:-1])
def test_near_misses_are_not(text: str) -> None:
    assert not SCREEN.matches(text)


def test_the_list_errs_on_the_side_of_caution() -> None:
    # A false alarm costs a kind message; a miss could cost a life.
    assert SCREEN.matches(NEAR_MISSES[-1])


async def test_a_crisis_message_is_signposted_and_goes_only_to_the_lead(tmp_path: Path) -> None:
    pool = await Harness.open(tmp_path, policy=PoolPolicy(wellbeing_lead_phone="+447700900999"))
    try:
        await pool.practice()
        coordinator = await pool.coordinator()
        lead = await pool.member("Dr Helen Marsh", phone="+447700900999", roles=("lead",))
        gp = await pool.gp("Dr Sam")
        await pool.post(urgent=True)

        await pool.send(gp, "yes I want to die")

        reply = await pool.last(gp)
        assert reply.kind == "crisis"
        assert "999" in reply.body and "116 123" in reply.body and "Practitioner Health" in reply.body
        assert "Dr Helen Marsh" in reply.body
        told = await pool.last(lead)
        assert told.kind == "crisis_lead" and "Dr Sam" in told.body and "I want to die" in told.body
        assert await pool.pool.store.reader().inbox.items() == []
        assert [m.kind for m in await pool.messages(coordinator)] == [], "with a lead, nobody else hears"
        # "yes" inside a crisis message books nothing: safety comes first.
        assert (await pool.last(gp)).kind == "crisis"
        audit = await pool.pool.store.reader()._all(
            "SELECT action, detail FROM audit WHERE action = 'crisis_signposted'"
        )
        assert len(audit) == 1 and "die" not in audit[0][1]
    finally:
        await pool.close()


async def test_without_a_lead_the_signposting_still_goes(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "I feel suicidal")
    reply = await pool.last(gp)
    assert reply.kind == "crisis" and "wellbeing lead" not in reply.body
    assert await pool.pool.store.reader().inbox.items() == []


@pytest.mark.parametrize("lead_phone", [None, "+447700900999"])  # unset, or not a member's
async def test_without_a_lead_the_coordinators_are_warned_but_not_told_who_or_what(
    tmp_path: Path, lead_phone: str | None
) -> None:
    pool = await Harness.open(tmp_path, policy=PoolPolicy(wellbeing_lead_phone=lead_phone))
    try:
        coordinators = [await pool.coordinator("Priya Shah"), await pool.coordinator("Sam Okoro")]
        gp = await pool.gp("Dr Sam Quiet")
        await pool.send(gp, "I feel suicidal")
        assert (await pool.last(gp)).kind == "crisis"
        for coordinator in coordinators:
            [warned] = await pool.messages(coordinator)
            assert warned.kind == "crisis_no_lead" and "POOL_WELLBEING_LEAD" in warned.body
            assert "Sam Quiet" not in warned.body and "suicidal" not in warned.body
        await pool.send("07700 900777", "I want to end my life")
        assert [len(await pool.messages(c)) for c in coordinators] == [1, 1], "once a day is enough"
        await pool.advance(hours=24, minutes=1)
        await pool.send(gp, "I want to die")
        assert [len(await pool.messages(c)) for c in coordinators] == [2, 2]
    finally:
        await pool.close()


async def test_an_unknown_sender_in_crisis_is_signposted_too(pool: Harness) -> None:
    await pool.send("07700 900777", "I want to end my life")
    assert (await pool.last("07700 900777")).kind == "crisis"


@pytest.mark.parametrize(
    "text",
    [
        "Honestly I'm burnt out",
        "feeling really low lately",
        "I'm not coping with the workload",
        "overwhelmed",
    ],
)
async def test_distress_gets_support_and_never_reaches_the_inbox(pool: Harness, text: str) -> None:
    gp = await pool.gp()
    await pool.send(gp, text)
    reply = await pool.last(gp)
    assert reply.kind == "distress" and "Practitioner Health" in reply.body
    assert "not been passed to the coordinators" in reply.body
    assert await pool.pool.store.reader().inbox.items() == []


async def test_distress_with_a_clear_answer_is_still_the_answer(pool: Harness) -> None:
    gp = await pool.gp()
    session = await pool.post(urgent=True)
    await pool.send(gp, "no sorry")
    assert (await pool.last(gp)).kind == "declined"
    assert (await pool.view(session)).booked is None


async def test_crisis_help_reaches_someone_who_said_stop(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "STOP")
    await pool.send(gp, "HELP")
    await pool.send(gp, "I want to die")
    assert [m.kind for m in await pool.messages(gp)] == ["opted_out", "crisis"]
