"""Peer support in the console: a lead's groups with the check-ins' aggregates (never a month
under five people), a group's sessions with going, waitlist, no answer and attendance,
scheduling by the form (errors by field) and cancelling, and mentoring's proposals approved."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import httpx

from bot.commands import AddMentor, CreateGroup, ScheduleGroupSessions, WellbeingFigures
from bot.domain import Member
from tests.console.conftest import sign_in
from tests.harness import Harness, at


async def run(pool: Harness, command: object):
    return await pool.pool.engine.execute(command, actor="test")


async def a_group(pool: Harness, lead: Member, people: int = 3):
    members = [await pool.gp(f"Dr {name}") for name in ("Ana", "Ben", "Cai", "Dee", "Eve")[:people]]
    group = await run(pool, CreateGroup("New GPs", "networking", tuple(m.phone for m in members), by=lead.id))
    return group, members


def text_of(page: str) -> str:
    """The page's words, tags and runs of space removed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def card_of(page: str, session_id: int) -> str:
    found = re.search(rf'<div class="nhsuk-card" id="session-{session_id}">(.*?)</form>|'
                      rf'<div class="nhsuk-card" id="session-{session_id}">(.*?)</dl>', page, re.S)  # fmt: skip
    assert found, f"session {session_id} is on the page"
    return text_of(found.group(0))


async def test_a_lead_lands_on_their_groups_and_sees_each_sessions_answers_and_attendance(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    lead = await pool.member("Lee Ward", roles=("lead",))
    group, (ana, ben, cai) = await a_group(pool, lead)
    start = at(pool.today + timedelta(days=3), 12, 30)
    [session] = await run(
        pool, ScheduleGroupSessions("New GPs", start, start + timedelta(hours=1), "Riverside Surgery",
                                    capacity=2, by=lead.id),
    )  # fmt: skip
    for member in (ana, ben, cai):
        await pool.send(member, "yes")
    await sign_in(browser, pool, lead)
    assert (await browser.get("/console/")).headers["location"] == "/console/peer"

    listed = await browser.get("/console/peer")
    assert listed.status_code == 200 and ">Peer support<" in listed.text
    assert ">Fill board<" not in listed.text and ">Inbox<" not in listed.text
    row = text_of(re.search(rf'id="group-{group.id}">(.*?)</tr>', listed.text, re.S).group(1))  # type: ignore[union-attr]
    assert "New GPs" in row and "Networking, open to all" in row and "Members 3" in row
    assert "Fri 4 Dec 12:30" in row and "Lead Lee Ward" in row
    assert f'href="/console/peer/groups/{group.id}"' in listed.text
    assert 'href="/console/peer/mentoring"' in listed.text

    shown = await browser.get(f"/console/peer/groups/{group.id}")
    card = card_of(shown.text, session.id)
    assert "Going 2: Dr Ana, Dr Ben" in card and "Waitlist 1: Dr Cai" in card
    assert "Not going None" in card and "No answer 0" in card and "Places 2" in card

    await pool.send(ben, f"no {(await pool.messages(ben))[0].choices[0].value.split()[1]}")
    card = card_of((await browser.get(f"/console/peer/groups/{group.id}")).text, session.id)
    assert "Going 2: Dr Ana, Dr Cai" in card and "Not going 1: Dr Ben" in card, "Cai moved up"

    pool.clock.set(session.ends_at)
    await pool.pool.settle()
    await pool.send(ana, "yes")
    await pool.send(cai, "no")
    await sign_in(browser, pool, lead)  # days on: the console session has ended
    page = (await browser.get(f"/console/peer/groups/{group.id}")).text
    assert "Recent sessions" in page and f"/sessions/{session.id}/cancel" not in page
    past = card_of(page, session.id)
    assert "Made it 1: Dr Ana" in past and "Did not make it 1: Dr Cai" in past


def schedule_form(pool: Harness, csrf: str, **changes: str) -> dict[str, str]:
    values = {"csrf": csrf, "date": (pool.today + timedelta(days=7)).isoformat(), "start": "12:30",
              "end": "14:00", "place": "Riverside Surgery", "link": "", "capacity": "", "times": "1",
              "every": ""}  # fmt: skip
    return {**values, **changes}


async def test_scheduling_by_the_form_shows_each_error_by_its_field_and_a_series_invites_members(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    lead = await pool.member("Lee Ward", roles=("lead",))
    group, (ana, *_) = await a_group(pool, lead)
    csrf = await sign_in(browser, pool, lead)
    path = f"/console/peer/groups/{group.id}/sessions"
    cases = [
        ({"end": "12:00"}, "end", "must end after it starts"),
        ({"place": ""}, "place", "Give a place or a video link"),
        ({"link": "http://meet.example.org/a"}, "link", "starts with https://"),
        ({"date": "next week"}, "date", "Enter the date"),
        ({"date": (pool.today - timedelta(days=1)).isoformat()}, "start", "That time has passed"),
        ({"capacity": "0"}, "capacity", "number of places"),
        ({"times": "3", "every": "0"}, "every", "weeks apart"),
        ({"times": "40"}, "times", "from 1 to 26"),
    ]
    for change, field, words in cases:
        refused = await browser.post(path, data=schedule_form(pool, csrf, **change))
        assert refused.status_code == 422, (change, refused.status_code)
        assert f'id="{field}-error"' in refused.text and words in html.unescape(refused.text), change
        assert 'class="nhsuk-error-summary"' in refused.text and refused.text.count("<title>Error: ") == 1
        assert f'href="#{field}"' in refused.text, "the summary links to the field"
        for value in change.values():
            if value:
                assert f'value="{html.escape(value)}"' in refused.text, "what was typed is kept"
    reader = pool.pool.store.reader().groups
    assert await reader.group_sessions(group.id) == []

    made = await browser.post(
        path,
        data=schedule_form(pool, csrf, times="3", every="2", capacity="8", link="https://meet.example.org/a"),
    )
    assert made.status_code == 303 and made.headers["location"].startswith(
        f"/console/peer/groups/{group.id}?done="
    )
    sessions = await reader.group_sessions(group.id)
    assert [s.starts_at for s in sessions] == [
        at(pool.today + timedelta(days=7 + 14 * n), 12, 30) for n in range(3)
    ]
    assert {s.capacity for s in sessions} == {8}
    assert (await pool.last(ana)).kind == "peer_invite", "the first is within a fortnight: invited now"
    page = await browser.get(made.headers["location"])
    assert "Scheduled" in page.text and page.text.count('class="nhsuk-card"') == 3


async def test_cancelling_a_session_tells_those_going(pool: Harness, browser: httpx.AsyncClient) -> None:
    lead = await pool.member("Lee Ward", roles=("lead",))
    group, (ana, ben, _) = await a_group(pool, lead)
    start = at(pool.today + timedelta(days=5), 18)
    [session] = await run(
        pool, ScheduleGroupSessions("New GPs", start, start + timedelta(hours=1), "The Crown", by=lead.id)
    )
    await pool.send(ana, "yes")
    csrf = await sign_in(browser, pool, lead)
    cancelled = await browser.post(
        f"/console/peer/groups/{group.id}/sessions/{session.id}/cancel", data={"csrf": csrf}
    )
    assert cancelled.status_code == 303
    assert (await pool.last(ana)).kind == "peer_cancelled"
    assert (await pool.last(ben)).kind == "peer_invite", "only those going are told"
    page = await browser.get(cancelled.headers["location"])
    assert "Session cancelled" in page.text and f'id="session-{session.id}"' not in page.text
    again = await browser.post(
        f"/console/peer/groups/{group.id}/sessions/{session.id}/cancel", data={"csrf": csrf}
    )
    assert again.status_code == 422 and "No session to cancel" in html.unescape(again.text)
    forged = await browser.post(f"/console/peer/groups/{group.id}/sessions/{session.id}/cancel", data={})
    assert forged.status_code == 403


async def test_a_lead_runs_a_matching_and_approves_a_proposal_and_both_are_introduced(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    lead = await pool.member("Lee Ward", roles=("lead",))
    mentor = await pool.gp("Dr Oz Other", gp_type="partner", practices=("X20002",), localities=("Northside",))
    fellow = await pool.gp(
        "Dr Fay Fellow", gp_type="fellow", practices=("X10001",), localities=("Northside",)
    )
    await run(
        pool, AddMentor(mentor.phone, 1, interests=("teaching",), localities=("Northside",), by=lead.id)
    )
    await pool.send(fellow, "MENTOR teaching")
    csrf = await sign_in(browser, pool, lead)
    before = await browser.get("/console/peer/mentoring")
    assert before.status_code == 200 and "None waiting" in before.text
    assert "Waiting for a mentor 1" in text_of(before.text)

    matched = await browser.post("/console/peer/mentoring/match", data={"csrf": csrf})
    assert matched.status_code == 303
    page = await browser.get(matched.headers["location"])
    words = text_of(page.text)
    assert "Dr Fay Fellow with Dr Oz Other" in words and "teaching" in words and "Fit " in words
    assert [m.kind for m in await pool.messages(fellow)] == ["mentor_requested"], "nobody told yet"
    number = re.search(r'name="proposals" type="checkbox" value="(\d+)"', page.text).group(1)  # type: ignore[union-attr]

    none_chosen = await browser.post(
        "/console/peer/mentoring/approve", data={"csrf": csrf, "approve": "chosen"}
    )
    assert none_chosen.status_code == 422 and 'id="proposals-error"' in none_chosen.text
    assert [m.kind for m in await pool.messages(fellow)] == ["mentor_requested"]

    approved = await browser.post(
        "/console/peer/mentoring/approve", data={"csrf": csrf, "approve": "chosen", "proposals": number}
    )
    assert approved.status_code == 303
    intro = await pool.last(fellow)
    assert intro.kind == "mentor_introduction" and "Dr Oz Other" in intro.body
    told = await pool.last(mentor)
    assert told.kind == "mentor_introduction" and "Dr Fay Fellow" in told.body
    after = text_of((await browser.get(approved.headers["location"])).text)
    assert "Approved" in after and "Pairs meeting now 1" in after and "None waiting" in after

    stale = await browser.post(
        "/console/peer/mentoring/approve", data={"csrf": csrf, "approve": "chosen", "proposals": number}
    )
    assert stale.status_code == 422 and "No proposal numbered" in stale.text


async def test_practice_managers_gps_and_mentors_have_no_peer_pages(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    lead = await pool.member("Lee Ward", roles=("lead",))
    group, _ = await a_group(pool, lead)
    manager = await pool.member("Sam Ortiz", roles=("practice:X10001",))
    csrf = await sign_in(browser, pool, manager)
    assert ">Peer support<" not in (await browser.get("/console/board")).text
    for path in ("/console/peer", f"/console/peer/groups/{group.id}", "/console/peer/mentoring"):
        refused = await browser.get(path)
        assert refused.status_code == 403 and "peer-network leads and coordinators" in refused.text, path
    scheduled = await browser.post(
        f"/console/peer/groups/{group.id}/sessions", data=schedule_form(pool, csrf)
    )
    assert scheduled.status_code == 403
    assert await pool.pool.store.reader().groups.group_sessions(group.id) == []
    assert (await browser.post("/console/peer/mentoring/match", data={"csrf": csrf})).status_code == 403
    await browser.post("/console/sign-out", data={"csrf": csrf})

    mentor = await pool.member("Dr Mo Mentor", roles=("gp", "mentor"))
    await sign_in(browser, pool, mentor)
    assert (await browser.get("/console/")).headers["location"] == "/console/home"
    home = await browser.get("/console/home")
    assert "REMATCH" in home.text and ">Peer support<" not in home.text
    assert (await browser.get("/console/peer")).status_code == 403


async def test_wellbeing_months_under_five_people_are_never_shown(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    lead = await pool.member("Lee Ward", roles=("lead",))
    gps = await pool.gps(5)
    for gp in gps:
        await pool.send(gp, "CHECKIN MONTHLY MON 09:00")
    pool.clock.set(at(date(2026, 12, 7), 9))
    await pool.pool.settle()
    for gp, score in zip(gps[:4], "3454", strict=True):
        await pool.send(gp, score)
    await sign_in(browser, pool, lead)
    page = text_of((await browser.get("/console/peer")).text)
    assert "December 2026" not in page and "No month to show yet" in page
    assert await run(pool, WellbeingFigures(by=lead.id)) == [], "not even marked withheld"

    await pool.send(gps[4], "2")
    page = text_of((await browser.get("/console/peer")).text)
    assert "December 2026" in page and "5 (100% of those asked)" in page
    assert "3.6" in page and "0, 1, 1, 2, 1" in page
    for gp in gps:
        assert gp.name not in page, "never anyone's name"
