"""The fill board: the next fortnight by day, each session's offers, booking, time to fill and
escalation; a practice manager sees only their practices'; the rows fragment htmx polls."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx

from tests.console.conftest import sign_in
from tests.harness import Harness, at


def row_of(html: str, session_id: int) -> str:
    found = re.search(
        rf'<tr class="nhsuk-table__row" role="row" id="session-{session_id}"[^>]*>(.*?)</tr>', html, re.S
    )
    assert found, f"session {session_id} is on the board"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))


async def test_the_board_shows_offers_booking_and_time_to_fill(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    priya = await pool.coordinator()
    ada, bo, cy = (
        await pool.gp("Dr Ada Lovelace"),
        await pool.gp("Dr Bo Chen"),
        await pool.gp("Dr Cy Twombly"),
    )
    session = await pool.post(urgent=True)
    await sign_in(browser, pool, priya)
    before = row_of((await browser.get("/console/board")).text, session.id)
    assert (
        "Urgent" in before
        and "3 made" in before
        and "3 unanswered" in before
        and "Offered to everyone" in before
    )

    await pool.advance(minutes=5)
    await pool.send(bo, f"NO {await pool.offer_code(bo, session)}")
    await pool.advance(minutes=20)
    await pool.send(ada, f"YES {await pool.offer_code(ada, session)}")
    rows = await browser.get("/console/board/rows")
    assert rows.status_code == 200 and "<html" not in rows.text  # a fragment, for htmx to swap in
    after = row_of(rows.text, session.id)
    assert "Filled" in after and "Dr Ada Lovelace" in after
    assert "2 answered, 1 declined" in after and "1 unanswered" in after
    assert "25 min" in after  # posted, then booked 25 minutes later
    assert cy.name not in after


async def test_the_board_covers_fourteen_days_including_quiet_ones(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    priya = await pool.coordinator()
    await pool.gp()
    near = await pool.post()
    far = await pool.post(start=at(pool.today + timedelta(days=13), 9))
    beyond = await pool.post(start=at(pool.today + timedelta(days=14), 9))
    await sign_in(browser, pool, priya)
    html = (await browser.get("/console/board")).text
    assert html.count('class="console-day"') == 14
    assert f'id="session-{near.id}"' in html and f'id="session-{far.id}"' in html
    assert f'id="session-{beyond.id}"' not in html
    assert "No sessions." in html


async def test_escalation_shows_what_is_next_and_what_has_happened(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    priya = await pool.coordinator()
    await pool.gp()
    session = await pool.post(start=at(pool.today + timedelta(days=3), 9))
    await sign_in(browser, pool, priya)
    before = row_of((await browser.get("/console/board/rows")).text, session.id)
    assert "next alert" in before and "alerted" not in before
    await pool.advance(days=2, hours=1)  # past the first step, 24 hours before the start
    await sign_in(browser, pool, priya)  # a new day, a new sign-in
    after = row_of((await browser.get("/console/board/rows")).text, session.id)
    assert "Practice alerted" in after


async def test_filters_narrow_the_board(pool: Harness, browser: httpx.AsyncClient) -> None:
    await pool.practice("X20002", "Hillside Practice", pcn="South PCN")
    priya = await pool.coordinator()
    await pool.gp()
    north = await pool.post()
    south = await pool.post(practice="X20002")
    await sign_in(browser, pool, priya)
    html = (await browser.get("/console/board", params={"pcn": "South PCN"})).text
    assert f'id="session-{south.id}"' in html and f'id="session-{north.id}"' not in html
    # The live part keeps the filters when it polls.
    assert 'hx-get="/console/board/rows?pcn=South+PCN&amp;v=' in html
    html = (await browser.get("/console/board/rows", params={"practice": "X10001", "status": "open"})).text
    assert f'id="session-{north.id}"' in html and f'id="session-{south.id}"' not in html
    html = (await browser.get("/console/board/rows", params={"profession": "practice_nurse"})).text
    assert f'id="session-{north.id}"' not in html


async def test_a_practice_manager_sees_only_their_practice(pool: Harness, browser: httpx.AsyncClient) -> None:
    await pool.practice("X20002", "Hillside Practice", pcn="South PCN")
    manager = await pool.member("Sam Ortiz", roles=("practice:X10001",))
    await pool.gp()
    own = await pool.post()
    other = await pool.post(practice="X20002")
    await sign_in(browser, pool, manager)
    html = (await browser.get("/console/board")).text
    assert f'id="session-{own.id}"' in html and f'id="session-{other.id}"' not in html
    assert "Hillside" not in html  # not even as a filter
    asked = await browser.get("/console/board/rows", params={"practice": "X20002"})
    assert f'id="session-{other.id}"' not in asked.text
    assert ">Inbox<" not in html  # the coordinators' pages are not offered


async def test_an_ended_session_sends_a_poll_to_sign_in(pool: Harness, browser: httpx.AsyncClient) -> None:
    priya = await pool.coordinator()
    await sign_in(browser, pool, priya)
    await pool.advance(hours=13)
    poll = await browser.get("/console/board/rows", headers={"HX-Request": "true"})
    assert poll.headers["HX-Redirect"] == "/console/"


async def test_a_lead_lands_on_peer_support_not_the_board(pool: Harness, browser: httpx.AsyncClient) -> None:
    lead = await pool.member("Lee Ward", roles=("lead",))
    await sign_in(browser, pool, lead)
    board = await browser.get("/console/board")
    assert board.status_code == 303 and board.headers["location"] == "/console/peer"


async def test_a_poll_when_nothing_changed_sends_no_board(pool: Harness, browser: httpx.AsyncClient) -> None:
    priya = await pool.coordinator()
    ada = await pool.gp("Dr Ada Lovelace")
    session = await pool.post()
    await sign_in(browser, pool, priya)
    poll = re.search(r'hx-get="([^"]+)"', (await browser.get("/console/board")).text)
    assert poll
    url = poll.group(1).replace("&amp;", "&")
    unchanged = await browser.get(url)
    assert unchanged.status_code == 204 and unchanged.content == b""  # htmx keeps the page as it is
    await pool.send(ada, f"YES {await pool.offer_code(ada, session)}")
    changed = await browser.get(url)
    assert changed.status_code == 200 and "Dr Ada Lovelace" in row_of(changed.text, session.id)
