"""Wellbeing check-ins: opt-in, cadence on the clock, the follow-up, consent, privacy."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, time, timedelta
from pathlib import Path

import httpx
import pytest

from bot.clock import LONDON, FakeClock
from bot.commands import (
    AddMentor,
    ApproveMatches,
    BuildReport,
    CreateGroup,
    ProposeMatches,
    ScheduleGroupSessions,
)
from bot.policy import PoolPolicy
from flows.desk import exports
from main import build_app
from tests.harness import Harness, at

LEAD = "+447700900999"


@pytest.fixture
async def pool(tmp_path: Path) -> AsyncIterator[Harness]:
    # Tuesday 1 December 2026, 08:00
    harness = await Harness.open(
        tmp_path, policy=PoolPolicy(pool_name="Test Pool", wellbeing_lead_phone=LEAD)
    )
    await harness.practice()
    yield harness
    await harness.close()


async def on(pool: Harness, day: date, hour: int, minute: int = 0) -> None:
    pool.clock.set(at(day, hour, minute))
    await pool.pool.settle()


def kinds(messages) -> list[str]:
    return [m.kind for m in messages]


async def test_nobody_is_asked_until_they_say_yes_and_the_invitation_says_who_sees_what(
    pool: Harness,
) -> None:
    gp = await pool.gp()
    for day in range(14):
        await on(pool, date(2026, 12, 1) + timedelta(days=day), 9, 0)
    assert "checkin" not in kinds(await pool.messages(gp))
    await pool.send(gp, "CHECKIN")
    invitation = await pool.last(gp)
    assert invitation.kind == "checkin_invitation" and "Only you see your answers" in invitation.body
    assert "5+ people" in invitation.body and "wellbeing lead hears only if you ask" in invitation.body


async def test_weekly_check_ins_keep_their_london_time_across_the_clock_change(tmp_path: Path) -> None:
    pool = await Harness.open(tmp_path, clock=FakeClock(at(date(2027, 3, 17), 12, 0)))
    try:
        await pool.practice()
        gp = await pool.gp()
        # Tuesdays: Monday 29 March 2027 is Easter Monday, a bank holiday with no check-in.
        await pool.send(gp, "CHECKIN WEEKLY TUE 09:00")
        assert "the first on Tue 23 Mar" in (await pool.last(gp)).body
        sent = []
        for monday in (date(2027, 3, 23), date(2027, 3, 30)):  # the clocks go forward on 28 March
            await on(pool, monday, 8, 59)
            assert kinds(await pool.messages(gp)).count("checkin") == len(sent)
            await on(pool, monday, 9, 0)
            question = await pool.last(gp)
            assert question.kind == "checkin"
            sent.append(question.sent_at)
        assert [s.astimezone(LONDON).time() for s in sent] == [time(9, 0), time(9, 0)]
        assert [s.astimezone(UTC).hour for s in sent] == [9, 8]
    finally:
        await pool.close()


async def test_no_check_in_on_a_bank_holiday_while_paused_or_on_a_fully_booked_day(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "CHECKIN WEEKLY MON 09:00")
    # Monday 7 Dec: booked morning to evening; Monday 14 Dec: paused; Monday 28 Dec: bank holiday.
    long_day = await pool.post(start=at(date(2026, 12, 7), 8, 0), hours=10, urgent=True)
    await pool.send(gp, f"YES {await pool.offer_code(gp, long_day)}")
    await on(pool, date(2026, 12, 7), 9, 0)
    await on(pool, date(2026, 12, 8), 12, 0)
    await pool.send(gp, "4")  # the hours question for the long day, nothing to do with check-ins
    await pool.send(gp, "PAUSE 15/12")
    await on(pool, date(2026, 12, 14), 9, 0)
    await pool.send(gp, "RESUME")
    await on(pool, date(2026, 12, 21), 9, 0)
    await on(pool, date(2026, 12, 28), 9, 0)
    await on(pool, date(2027, 1, 4), 9, 0)
    asked = [m.sent_at.astimezone(LONDON).date() for m in await pool.messages(gp) if m.kind == "checkin"]
    assert asked == [date(2026, 12, 21), date(2027, 1, 4)]


async def answer_a_check_in(pool: Harness, gp, score: str) -> None:
    """Move the clock to the next check-in (bank holidays skipped) and answer it."""
    due = await pool.pool.store.reader().timers.due_timers(pool.clock.now() + timedelta(days=60))
    pool.clock.set(min(t.due_at for t in due if t.kind == "checkin" and t.subject == str(gp.id)))
    await pool.pool.settle()
    if (await pool.last(gp)).kind != "checkin":  # skipped (a bank holiday): the next one
        await answer_a_check_in(pool, gp, score)
        return
    await pool.send(gp, score)


async def test_a_good_answer_thanks_and_takes_a_comment_that_never_reaches_the_inbox(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "CHECKIN WEEKLY MON 09:00")
    await answer_a_check_in(pool, gp, "4")
    assert (await pool.last(gp)).kind == "checkin_thanks"
    await pool.send(gp, "Busy week but the team at Riverside were lovely")
    assert (await pool.last(gp)).kind == "checkin_comment"
    assert await pool.pool.store.reader().inbox.items("open") == []


async def test_a_low_score_gets_signposting_and_only_a_yes_tells_the_lead(pool: Harness) -> None:
    lead = await pool.member("Dr Helen Marsh", phone=LEAD, roles=("lead",))
    yes, no, silent = await pool.gp("Dr Yes"), await pool.gp("Dr No"), await pool.gp("Dr Silent")
    for gp in (yes, no, silent):
        await pool.send(gp, "CHECKIN WEEKLY MON 09:00")
    await on(pool, date(2026, 12, 7), 9, 0)
    for gp in (yes, no, silent):
        await pool.send(gp, "2")
        follow_up = await pool.last(gp)
        assert follow_up.kind == "checkin_low" and "Practitioner Health" in follow_up.body
        assert "wellbeing lead to contact you" in follow_up.body
    await pool.send(yes, "YES")
    await pool.send(no, "no thanks")
    await on(pool, date(2026, 12, 10), 9, 0)
    told = [m for m in await pool.messages(lead) if m.kind == "checkin_lead_told"]
    assert len(told) == 1 and "Dr Yes" in told[0].body and "2/5" in told[0].body
    assert "I've let Dr Helen Marsh know" in (await pool.messages(yes))[-1].body
    assert "nobody has been told" in (await pool.last(no)).body


async def test_two_below_their_usual_is_a_low_score_too(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "CHECKIN WEEKLY MON 09:00")
    for score in ("5", "5", "4"):
        await answer_a_check_in(pool, gp, score)
        assert (await pool.last(gp)).kind == "checkin_thanks"
    await answer_a_check_in(pool, gp, "3")  # usual is 5: a drop of two
    assert (await pool.last(gp)).kind == "checkin_low"


async def test_a_risk_phrase_in_a_comment_gets_crisis_help(pool: Harness) -> None:
    await pool.member("Dr Helen Marsh", phone=LEAD, roles=("lead",))
    gp = await pool.gp()
    await pool.send(gp, "CHECKIN WEEKLY MON 09:00")
    await answer_a_check_in(pool, gp, "3")
    await pool.send(gp, "honestly I want to end it all")
    assert (await pool.last(gp)).kind == "crisis"
    await pool.send(gp, "this rota is killing me")  # a near-miss: a comment, not a crisis
    assert (await pool.last(gp)).kind != "crisis"


async def test_a_bare_number_with_hours_and_a_check_in_open_is_asked_about(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "CHECKIN WEEKLY MON 09:00")
    session = await pool.post(start=at(date(2026, 12, 7), 8, 0), urgent=True)
    await pool.send(gp, f"YES {await pool.offer_code(gp, session)}")
    await on(pool, date(2026, 12, 7), 12, 0)  # the session ended: "did it go ahead?"
    await pool.send(gp, "PAUSE 6/12")  # (no effect: in the past) keeps the day open for the check-in
    await on(pool, date(2026, 12, 14), 9, 0)
    await pool.send(gp, "4")
    assert (await pool.last(gp)).kind == "clarify"
    assert (await pool.view(session)).session.delivered_hours is None


async def test_checkins_shows_their_own_trend_and_forget_deletes_it(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "CHECKIN WEEKLY MON 09:00")
    for score in ("3", "4"):
        await answer_a_check_in(pool, gp, score)
    await pool.send(gp, "CHECKINS")
    trend = await pool.last(gp)
    assert "Mon 7 Dec 3" in trend.body and "Mon 14 Dec 4" in trend.body
    await pool.send(gp, "FORGET CHECKINS")
    assert "FORGET CHECKINS CONFIRM" in (await pool.last(gp)).body
    async with pool.pool.store.unit_of_work() as uow:
        assert await uow.wellbeing.checkin_history(gp.id, 10) != [], "nothing deleted before the confirmation"
    await pool.send(gp, "FORGET CHECKINS CONFIRM")
    async with pool.pool.store.unit_of_work() as uow:
        assert await uow.wellbeing.checkin_history(gp.id, 10) == []
    await pool.send(gp, "CHECKINS")
    assert "no check-in answers yet" in (await pool.last(gp)).body


async def test_no_coordinator_facing_output_carries_a_score_or_a_comment(pool: Harness) -> None:
    gp = await pool.gp()
    await pool.send(gp, "CHECKIN WEEKLY MON 09:00")
    await answer_a_check_in(pool, gp, "2")
    await pool.send(gp, "no")
    await pool.send(gp, "Zebra-striped secret comment")
    reader = pool.pool.store.reader()
    tables = [await exports.members(reader), await exports.sessions(reader), await exports.bookings(reader)]
    report = await pool.pool.engine.execute(BuildReport(), actor="test")
    outputs = json.dumps([list(t) for t in tables], default=str) + json.dumps(
        report.__dict__ if hasattr(report, "__dict__") else str(report), default=str
    )
    assert "Zebra-striped" not in outputs
    inbox = await reader.inbox.items("open")
    assert all("Zebra" not in (item.body or "") for item in inbox)
    app = build_app(pool.pool, "token")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pool") as http:
        for path in (
            "/api/report",
            "/api/inbox",
            "/api/sessions",
            "/api/unreachable",
            "/api/inbox?state=done",
        ):
            answer = await http.get(path, headers={"Authorization": "Bearer token"})
            assert answer.status_code == 200, path
            assert "Zebra" not in answer.text and '"score"' not in answer.text, path


async def test_one_reminder_then_after_three_unanswered_ask_once_if_they_still_want_them(
    pool: Harness,
) -> None:
    gp = await pool.gp()
    await pool.send(gp, "CHECKIN WEEKLY TUE 09:00")
    for week in range(6):
        tuesday = date(2026, 12, 8) + timedelta(days=7 * week)
        await on(pool, tuesday, 9, 0)
        await on(pool, tuesday + timedelta(days=1), 9, 0)
    sent = kinds(await pool.messages(gp))
    assert sent.count("checkin_reminder") == sent.count("checkin"), "one reminder for each, no more"
    assert sent.count("checkin_still_want") == 1
    assert sent.index("checkin_still_want") > [i for i, k in enumerate(sent) if k == "checkin"][2]
    await pool.send(gp, "CHECKIN STOP")
    before = len(await pool.messages(gp))
    await on(pool, date(2027, 1, 26), 9, 0)
    assert len(await pool.messages(gp)) == before, "stopped means stopped"


async def test_check_in_words_of_despair_get_crisis_help_and_near_misses_do_not(pool: Harness) -> None:
    await pool.member("Dr Helen Marsh", phone=LEAD, roles=("lead",))
    gp = await pool.gp()
    for text in ("some days I just want to disappear", "honestly I cant see any way out"):
        await pool.send(gp, text)
        assert (await pool.last(gp)).kind == "crisis", text
    for near_miss in (
        "dying to get home tonight",
        "this rota is killing me",
        "I'll disappear off to Spain in May",
    ):
        await pool.send(gp, near_miss)
        assert (await pool.last(gp)).kind != "crisis", near_miss


async def test_the_report_shows_months_only_over_five_people(pool: Harness) -> None:
    await pool.member("Dr Helen Marsh", phone=LEAD, roles=("lead",))
    gps = await pool.gps(5)
    for gp in gps:
        await pool.send(gp, "CHECKIN MONTHLY MON 09:00")
    await on(pool, date(2026, 12, 7), 9, 0)
    for gp, score in zip(gps[:4], "3454", strict=True):
        await pool.send(gp, score)
    report = await pool.pool.engine.execute(BuildReport(), actor="test")
    assert report.wellbeing == [{"month": "2026-12", "withheld": "fewer than 5 people answered"}]
    await pool.send(gps[4], "1")
    await pool.send(gps[4], "yes")
    report = await pool.pool.engine.execute(BuildReport(), actor="test")
    [december] = report.wellbeing
    assert december["people_answering"] == 5 and december["scores"] == {
        "1": 1,
        "2": 0,
        "3": 1,
        "4": 2,
        "5": 1,
    }
    assert december["follow_ups_offered"] == 1 and december["follow_ups_accepted"] == 1
    assert december["participation"] == 1.0
    assert set(december) == {
        "participation",
        "month",
        "people_answering",
        "answers",
        "scores",
        "mean_score",
        "follow_ups_offered",
        "follow_ups_accepted",
    }


async def test_a_bare_yes_with_an_offer_and_the_lead_question_open_is_asked_about(pool: Harness) -> None:
    lead = await pool.member("Dr Helen Marsh", phone=LEAD, roles=("lead",))
    gp = await pool.gp()
    await pool.send(gp, "CHECKIN WEEKLY MON 09:00")
    await on(pool, date(2026, 12, 7), 9, 0)
    await pool.send(gp, "1")
    session = await pool.post(start=at(date(2026, 12, 9), 9, 0), urgent=True)
    await pool.send(gp, "yes")
    asked = await pool.last(gp)
    assert asked.kind == "clarify" and "wellbeing lead" in asked.body and "the offer at" in asked.body
    assert not [m for m in await pool.messages(lead) if m.kind == "checkin_lead_told"], "no consent taken"
    assert (await pool.view(session)).booked is None


async def test_a_low_score_also_points_to_their_mentor_and_their_groups_next_session(pool: Harness) -> None:
    lead = await pool.member("Lee Lead", roles=("lead",))
    mentor = await pool.gp("Dr Mo Khan", gp_type="partner")
    gp, alone = await pool.gp("Dr Fay Bell", gp_type="fellow"), await pool.gp("Dr Solo")
    run = pool.pool.engine.execute
    await run(AddMentor(mentor.phone, 1, by=lead.id), actor="test")
    await pool.send(gp, "MENTOR")
    await run(ProposeMatches(by=lead.id), actor="test")
    await run(ApproveMatches(by=lead.id), actor="test")
    await run(CreateGroup("New GPs", "action_learning", (gp.phone,), by=lead.id), actor="test")
    start = at(date(2026, 12, 17), 12, 30)
    await run(
        ScheduleGroupSessions("New GPs", start, start + timedelta(hours=1), "Room 2", by=lead.id),
        actor="test",
    )
    for member in (gp, alone):
        await pool.send(member, "CHECKIN WEEKLY MON 09:00")
    await on(pool, date(2026, 12, 7), 9, 0)
    await pool.send(gp, "1")
    await pool.send(alone, "1")
    follow_up = await pool.last(gp)
    assert follow_up.kind == "checkin_peer"
    assert follow_up.body == (
        "You're not on your own. Your mentor, Dr Mo Khan (07700 900002), is there to talk. "
        "New GPs meets next on Thu 17 Dec, 12:30-13:30: it would be good to see you."
    )
    assert (await pool.last(alone)).kind == "checkin_low", "nothing to point to: no second text"
    assert [m for m in await pool.messages(lead) if m.kind.startswith("checkin")] == [], "still private"
