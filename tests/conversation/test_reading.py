"""Reading GPs as they text, through the engine (issue 16): thumbs and phone reactions under
their rule, several codes in one reply, the rule named in the audit log, and check-in answers
that never reach the inbox."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain import OfferState
from bot.policy import PoolPolicy
from tests.harness import Harness, at
from tests.wellbeing.test_wellbeing import LEAD, on

# -- thumbs and reactions -----------------------------------------------------------------------


async def state_of(pool: Harness, gp, session) -> OfferState:  # type: ignore[no-untyped-def]
    view = await pool.view(session)
    return next(o.state for o, m in view.offers if m.id == gp.id)


@pytest.mark.parametrize(
    ("thumb", "state"),
    [("👍", OfferState.ACCEPTED), ("👍🏿", OfferState.ACCEPTED), ("👎", OfferState.DECLINED),
     ('Liked "URGENT: GP session at Riverside Surgery, Northside…"', OfferState.ACCEPTED),
     ("Reacted 👎 to “URGENT: GP session at Riverside Surgery”", OfferState.DECLINED)],
)  # fmt: skip
async def test_a_thumb_answers_the_one_offer_that_was_the_last_message(
    pool: Harness, thumb: str, state: OfferState
) -> None:
    gp = await pool.gp()
    session = await pool.post(urgent=True)
    await pool.send(gp, thumb)
    assert await state_of(pool, gp, session) == state


@pytest.mark.parametrize("thumb", ["👍", "👎", 'Liked "URGENT: GP session at Riverside Surgery…"'])
async def test_a_thumb_after_another_message_is_asked_about(pool: Harness, thumb: str) -> None:
    gp = await pool.gp()
    session = await pool.post(urgent=True)
    await pool.send(gp, "SETTINGS")  # the offer is no longer the last thing they were sent
    await pool.send(gp, thumb)
    assert await state_of(pool, gp, session) == OfferState.OPEN
    last = await pool.last(gp)
    assert last.kind == "clarify" and last.choices, "a question with the answers to tap"


async def test_a_thumb_with_two_offers_open_is_asked_about(pool: Harness) -> None:
    gp = await pool.gp()
    first = await pool.post(urgent=True)
    second = await pool.post(start=at(pool.today + timedelta(days=2), 13, 30), urgent=True)
    await pool.send(gp, "👍")
    assert [await state_of(pool, gp, s) for s in (first, second)] == [OfferState.OPEN] * 2
    assert (await pool.last(gp)).kind == "clarify"


async def test_a_reaction_to_some_other_message_is_not_an_answer(pool: Harness) -> None:
    gp = await pool.gp()
    session = await pool.post(urgent=True)
    await pool.send(gp, 'Liked "Thanks, you\'re booked"')
    assert await state_of(pool, gp, session) == OfferState.OPEN


async def test_a_thumb_with_nothing_open_is_a_nod(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "👍")
    assert await pool.messages(gp) == [] and await pool.pool.store.reader().inbox.items() == []


# -- several codes ---------------------------------------------------------------------------------


async def test_several_codes_each_go_through_their_own_check(pool: Harness) -> None:
    gp, rival = await pool.gp("Dr Ada"), await pool.gp("Dr Bo")
    morning = await pool.post(urgent=True)
    afternoon = await pool.post(start=at(pool.tomorrow, 14, 0), urgent=True)
    later = await pool.post(start=at(pool.today + timedelta(days=3), 8, 30), urgent=True)
    codes = [await pool.offer_code(gp, s) for s in (morning, afternoon, later)]
    await pool.send(rival, f"YES {await pool.offer_code(rival, afternoon)}")  # afternoon has gone
    before = len(await pool.messages(gp))

    await pool.send(gp, f"YES {codes[0]} {codes[1]} NO {codes[2]}")

    assert (await pool.view(morning)).booked.id == gp.id
    assert (await pool.view(afternoon)).booked.id == rival.id
    assert await state_of(pool, gp, later) == OfferState.DECLINED
    said = [m.kind for m in (await pool.messages(gp))[before:]]
    assert said[:1] == ["booked"] and "already_filled" in said and "declined" in said, said


async def test_a_bare_yes_with_several_offers_open_still_asks_which(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.post(urgent=True)
    await pool.post(start=at(pool.today + timedelta(days=2), 13, 30), urgent=True)
    await pool.send(gp, "Yes please")
    assert (await pool.last(gp)).kind == "clarify"


# -- the audit log names the rule -------------------------------------------------------------------


async def test_the_audit_log_says_which_rule_read_the_reply(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.post(urgent=True)
    await pool.send(gp, "Definitely yes, see you there")
    rows = await pool.pool.store.reader()._all(
        "SELECT action, detail FROM audit WHERE actor = ?", (f"member:{gp.id}",)
    )
    read = {action: json.loads(detail).get("read_by") for action, detail in rows}
    assert read.get("session_booked") == "yes phrase", read


# -- check-ins stay private -------------------------------------------------------------------------


@pytest.fixture
async def pool(tmp_path: Path):  # type: ignore[no-untyped-def]
    harness = await Harness.open(
        tmp_path, policy=PoolPolicy(pool_name="Test Pool", wellbeing_lead_phone=LEAD)
    )
    await harness.practice()
    yield harness
    await harness.close()


async def asked_to_check_in(pool: Harness, gp) -> str:  # type: ignore[no-untyped-def]
    await pool.send(gp, "CHECKIN WEEKLY MON 09:00")
    await on(pool, date(2026, 12, 7), 9, 0)
    question = await pool.last(gp)
    assert question.kind == "checkin"
    [open_checkin] = [
        q for q in await pool.pool.store.reader().prompts.open_questions(gp.id) if q.kind == "checkin"
    ]
    return open_checkin.code


async def checkins(pool: Harness, gp) -> list[tuple[int | None, str | None]]:  # type: ignore[no-untyped-def]
    rows = await pool.pool.store.reader()._all(
        "SELECT score, comment FROM checkins WHERE member_id = ? ORDER BY id", (gp.id,)
    )
    return [tuple(r) for r in rows]


@pytest.mark.parametrize(
    ("text", "score", "comment"),
    [("2 tbh. rough week", 2, "2 tbh. rough week"), ("3/5 ok", 3, "3/5 ok"), ("about a 4", 4, "about a 4"),
     ("2. Knackered", 2, "2. Knackered"), ("5!", 5, None)],
)  # fmt: skip
async def test_a_score_with_words_around_it_is_the_answer_and_its_comment(
    pool: Harness, text: str, score: int, comment: str | None
) -> None:
    gp = await pool.gp()
    await asked_to_check_in(pool, gp)
    await pool.send(gp, text)
    assert (await checkins(pool, gp))[-1] == (score, comment)
    assert await pool.pool.store.reader().inbox.items() == []
    last = await pool.last(gp)
    assert last.kind in ("checkin_thanks", "checkin_low", "checkin_peer")


async def test_a_comment_with_the_score_is_kept_and_nobody_else_sees_it(pool: Harness) -> None:
    gp = await pool.gp()
    await asked_to_check_in(pool, gp)
    await pool.send(gp, "2 tbh. rough week")
    assert (await checkins(pool, gp))[-1] == (2, "2 tbh. rough week")
    assert (await pool.last(gp)).kind in ("checkin_low", "checkin_peer")
    stored = await pool.pool.store.reader()._all(
        "SELECT body FROM messages WHERE member_id = ? AND direction = 'in'", (gp.id,)
    )
    assert "rough week" not in json.dumps(stored), "kept with the answer, not in the message log"


async def test_an_answer_to_an_offer_still_goes_to_the_offer_while_a_check_in_is_open(pool: Harness) -> None:
    gp = await pool.gp()
    await asked_to_check_in(pool, gp)
    session = await pool.post(start=at(date(2026, 12, 9), 8, 30), urgent=True)
    await pool.send(gp, "can't, away till the 5th")
    assert await state_of(pool, gp, session) == OfferState.DECLINED
    assert [s for s, _ in await checkins(pool, gp)] == [None], "not read as a score of 5"


async def test_anything_else_while_a_check_in_is_open_is_asked_about_never_filed(pool: Harness) -> None:
    gp = await pool.gp()
    code = await asked_to_check_in(pool, gp)
    await pool.send(gp, "who do I talk to about my pension")
    last = await pool.last(gp)
    assert "Is this about your check-in?" in last.body and code in last.body
    assert await pool.pool.store.reader().inbox.items() == []
    await pool.send(gp, "OFFERS")
    assert (await pool.last(gp)).kind == "offers_list", "keywords go their own way"


async def test_a_number_like_0000_sent_to_an_open_check_in_stays_private(pool: Harness) -> None:
    """Codes run 1000-9999: "0000" is not one, so it is about the check-in, never the inbox
    (found by the property below)."""
    gp = await pool.gp()
    async with pool.pool.store.unit_of_work() as uow:
        checkin = await uow.wellbeing.add_checkin(gp.id, pool.clock.now())
        await uow.prompts.add_prompt("checkin", gp.id, checkin, "4821", pool.clock.now())
    await pool.send(gp, "0000")
    assert await pool.pool.store.reader().inbox.items() == []


def test_no_generated_reply_to_an_open_check_in_reaches_the_inbox(tmp_path: Path) -> None:
    words = st.sampled_from(
        ["2", "3/5", "tbh", "rough", "week", "yes", "no", "?", "call me", "5th", "£3", "3pm", "12/12", "ok",
         "👍", "thanks", "about a", "4", "can't", "away", "maybe", "STOP", "x", ".", "2 or 3"]
    )  # fmt: skip
    replies_as_typed = st.one_of(st.text(max_size=80), st.lists(words, max_size=7).map(" ".join))
    with asyncio.Runner() as runner:
        pool = runner.run(
            Harness.open(tmp_path, policy=PoolPolicy(pool_name="Test Pool", wellbeing_lead_phone=LEAD))
        )
        runner.run(pool.practice())
        n = [0]

        @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
        @given(replies_as_typed)
        def check(text: str) -> None:
            n[0] += 1
            gp = runner.run(pool.gp(f"Dr Fuzz {n[0]}"))

            async def ask_and_reply() -> None:
                async with pool.pool.store.unit_of_work() as uow:  # a check-in question, open now
                    checkin = await uow.wellbeing.add_checkin(gp.id, pool.clock.now())
                    await uow.prompts.add_prompt(
                        "checkin", gp.id, checkin, f"{n[0] % 9000 + 1000}", pool.clock.now()
                    )
                await pool.send(gp, text)

            runner.run(ask_and_reply())
            filed = [
                i
                for i in runner.run(pool.pool.store.reader().inbox.items())
                if i.member and i.member.id == gp.id
            ]
            assert filed == [], text

        try:
            check()
        finally:
            runner.run(pool.close())
