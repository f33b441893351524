"""Wellbeing check-ins at their edges: consent never taken from a reply meant for something
else, comments and scores kept out of the inbox and the message log, the rhythm kept when a
plan changes, and the crisis words of a check-in. (Written as probes in review.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.clock import LONDON
from bot.policy import PoolPolicy
from tests.harness import Harness, at
from tests.wellbeing.test_wellbeing import LEAD, answer_a_check_in, kinds, on
from tests.wellbeing.test_wellbeing import pool as pool  # the same pool, with a wellbeing lead named


@pytest.fixture
async def nolead(tmp_path: Path) -> AsyncIterator[Harness]:
    """A pool with no wellbeing lead."""
    harness = await Harness.open(tmp_path, policy=PoolPolicy(pool_name="Test Pool"))
    await harness.practice()
    yield harness
    await harness.close()


async def test_a_yes_for_an_offer_that_just_went_is_not_consent(pool: Harness) -> None:
    lead = await pool.member("Dr Helen Marsh", phone=LEAD, roles=("lead",))
    gp, other = await pool.gp("Dr Low"), await pool.gp("Dr Quick")
    await pool.send(gp, "CHECKIN WEEKLY MON 09:00")
    await answer_a_check_in(pool, gp, "2")  # Mon 7 Dec: low, lead question asked
    assert (await pool.last(gp)).kind == "checkin_low"
    # Two days later an urgent session is offered to both; the other GP takes it first.
    pool.clock.set(at(date(2026, 12, 9), 10, 0))
    session = await pool.post(start=at(date(2026, 12, 10), 8, 30), urgent=True)
    await pool.send(other, f"YES {await pool.offer_code(other, session)}")
    await pool.send(gp, "YES")  # meant for the offer
    told = [m for m in await pool.messages(lead) if m.kind == "checkin_lead_told"]
    assert told == [], f"lead told without consent: {told[0].body}"


async def test_no_thanks_to_anything_to_add_does_not_decline_an_offer(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "CHECKIN WEEKLY MON 09:00")
    pool.clock.set(at(date(2026, 12, 7), 8, 0))
    session = await pool.post(start=at(date(2026, 12, 9), 8, 30), urgent=True)
    await on(pool, date(2026, 12, 7), 9, 0)
    await pool.send(gp, "4")
    assert (await pool.last(gp)).kind == "checkin_thanks"  # "Anything you'd like to add?"
    await pool.send(gp, "No thanks")
    offers = await pool.pool.store.reader().offers.offers_for_session(session.id)
    assert [o.state.value for o in offers if o.member_id == gp.id] == ["open"], (await pool.last(gp)).kind


async def test_a_comment_starting_with_a_keyword_word_stays_out_of_the_inbox(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "CHECKIN WEEKLY MON 09:00")
    await answer_a_check_in(pool, gp, "3")
    await pool.send(gp, "Forget it, just a long week with the partners arguing")
    inbox = await pool.pool.store.reader().inbox.items("open")
    assert inbox == [], [i.body for i in inbox]


async def test_a_late_score_with_its_code_never_reaches_the_inbox(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "CHECKIN WEEKLY MON 09:00")
    await on(pool, date(2026, 12, 7), 9, 0)
    async with pool.pool.store.unit_of_work() as uow:
        [question] = await uow.prompts.open_questions(gp.id)
    code = question.code
    await on(pool, date(2026, 12, 14), 9, 0)  # next check-in closes the first
    await pool.send(gp, f"2 {code}")  # the old SMS's reply words / an old Telegram button
    inbox = await pool.pool.store.reader().inbox.items("open")
    assert inbox == [], [i.body for i in inbox]


async def test_without_a_lead_no_lead_question_blocks_declining_an_offer(nolead: Harness) -> None:
    pool = nolead
    gp = await pool.gp()
    await pool.send(gp, "CHECKIN WEEKLY MON 09:00")
    await answer_a_check_in(pool, gp, "1")
    assert "wellbeing lead" not in (await pool.last(gp)).body
    session = await pool.post(start=at(date(2026, 12, 9), 8, 30), urgent=True)
    await pool.send(gp, "NO")
    offers = await pool.pool.store.reader().offers.offers_for_session(session.id)
    assert [o.state.value for o in offers if o.member_id == gp.id] == ["declined"], (await pool.last(gp)).body


async def test_changing_the_time_after_todays_check_in_does_not_ask_twice(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "CHECKIN WEEKLY MON 09:00")
    await on(pool, date(2026, 12, 7), 9, 0)
    await pool.send(gp, "3")
    await on(pool, date(2026, 12, 7), 9, 30)
    await pool.send(gp, "CHECKIN WEEKLY MON 18:00")
    await on(pool, date(2026, 12, 7), 18, 0)
    asked = [m.sent_at.astimezone(LONDON).date() for m in await pool.messages(gp) if m.kind == "checkin"]
    assert asked == [date(2026, 12, 7)]


async def test_fortnightly_stays_fortnightly_when_confirmed_again(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "CHECKIN FORTNIGHTLY MON 09:00")
    await on(pool, date(2026, 12, 7), 9, 0)
    await pool.send(gp, "CHECKIN FORTNIGHTLY MON 09:00")  # re-sent, same plan
    for d in range(8, 22):
        await on(pool, date(2026, 12, d), 9, 0)
    asked = [m.sent_at.astimezone(LONDON).date() for m in await pool.messages(gp) if m.kind == "checkin"]
    assert asked == [date(2026, 12, 7), date(2026, 12, 21)]


@pytest.mark.parametrize(
    "text",
    [
        "I cannot see a way out",
        "some days I wish I could just disappear",
        "I want to just disappear",
        "cant see a way out of this",
    ],
)
async def test_check_in_despair_words_get_crisis_help(pool: Harness, text: str) -> None:
    await pool.member("Dr Helen Marsh", phone=LEAD, roles=("lead",))
    gp = await pool.gp()
    await pool.send(gp, text)
    assert (await pool.last(gp)).kind == "crisis", text


async def test_no_to_still_want_them_stops_them(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "CHECKIN WEEKLY TUE 09:00")
    for week in range(4):
        await on(pool, date(2026, 12, 8) + timedelta(days=7 * week), 9, 0)
    assert (await pool.last(gp)).kind == "checkin_still_want"
    await pool.send(gp, "No thanks")
    await on(pool, date(2027, 1, 5), 9, 0)
    await on(pool, date(2027, 1, 12), 9, 0)
    assert kinds(await pool.messages(gp)).count("checkin") == 3, kinds(await pool.messages(gp))[-4:]


async def test_clarify_names_the_check_in_not_a_session(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "CHECKIN WEEKLY MON 09:00")
    session = await pool.post(start=at(date(2026, 12, 2), 8, 0), urgent=True)
    await pool.send(gp, f"YES {await pool.offer_code(gp, session)}")
    await on(pool, date(2026, 12, 2), 13, 0)
    await on(pool, date(2026, 12, 7), 9, 0)
    await pool.send(gp, "4")
    body = (await pool.last(gp)).body
    assert body.count("Riverside") == 1 and "for your check-in" in body, body


async def test_forget_checkins_leaves_no_comment_behind(pool: Harness) -> None:
    await pool.member("Dr Helen Marsh", phone=LEAD, roles=("lead",))
    gp = await pool.gp()
    await pool.send(gp, "CHECKIN WEEKLY MON 09:00")
    await answer_a_check_in(pool, gp, "2")
    await pool.send(gp, "yes")
    await pool.send(gp, "Zebra: my marriage is falling apart")
    await pool.send(gp, "FORGET CHECKINS CONFIRM")
    rows = await pool.pool.store.reader()._all(
        "SELECT kind, body FROM messages WHERE body LIKE '%Zebra%' OR body LIKE '%2/5%'"
    )
    assert rows == [], rows


async def test_no_reminder_while_paused(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "CHECKIN WEEKLY MON 09:00")
    await on(pool, date(2026, 12, 7), 9, 0)
    await on(pool, date(2026, 12, 7), 10, 0)
    await pool.send(gp, "PAUSE 11/12")
    await on(pool, date(2026, 12, 8), 9, 30)
    assert "checkin_reminder" not in kinds(await pool.messages(gp))
