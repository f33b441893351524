"""Acting from the console: posting (errors by field, repeats), a session's page, urgent,
cancel, book by hand and delivery; a practice manager only for their own practice."""

from __future__ import annotations

import html
from datetime import timedelta

import httpx

from bot.domain import SessionStatus
from bot.phones import national
from tests.console.conftest import csrf_of, sign_in
from tests.harness import Harness, at


def form(pool: Harness, csrf: str, **changes: str) -> dict[str, str]:
    values = {"csrf": csrf, "practice": "X10001", "date": pool.tomorrow.isoformat(), "start": "08:30",
              "end": "12:30", "rate": "320", "professions": "gp", "repeat_weeks": "1", "notes": ""}  # fmt: skip
    return {**values, **changes}


async def sessions_of(pool: Harness) -> list:
    start = at(pool.today, 0)
    return await pool.pool.store.reader().sessions.sessions_between(start, start + timedelta(days=400))


async def test_posting_a_session_by_the_form(pool: Harness, browser: httpx.AsyncClient) -> None:
    priya = await pool.coordinator()
    ada = await pool.gp("Dr Ada Lovelace")
    csrf = await sign_in(browser, pool, priya)
    page = await browser.get("/console/sessions/new")
    assert page.status_code == 200 and "Riverside Surgery (X10001)" in page.text
    posted = await browser.post(
        "/console/sessions", data=form(pool, csrf, rate="320.50", notes="Duty doctor")
    )
    assert posted.status_code == 303
    [session] = await sessions_of(pool)
    assert (session.rate_pence, session.notes, session.posted_by) == (32050, "Duty doctor", priya.id)
    assert session.starts_at == at(pool.tomorrow, 8, 30)
    shown = await browser.get(posted.headers["location"])
    assert "Session posted" in shown.text and session.code in shown.text
    await pool.advance(minutes=3)  # the batch window: routine offers go together
    assert any(m.kind == "offer" for m in await pool.messages(ada))


async def test_a_refused_post_shows_its_error_by_the_field_and_posts_nothing(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    priya = await pool.coordinator()
    csrf = await sign_in(browser, pool, priya)
    cases = [
        ({"end": "08:00"}, "end", "must end after it starts"),
        ({"rate": "lots"}, "rate", "in pounds"),
        ({"date": "tomorrow"}, "date", "Enter the date"),
        ({"rate": "5"}, "rate", "outside that"),  # below a GP session's pay range
        ({"date": (pool.today - timedelta(days=1)).isoformat()}, "start", "already passed"),
        ({"repeat_weeks": "60"}, "repeat_weeks", "1 to 52 weeks"),
    ]
    for change, field, words in cases:
        refused = await browser.post("/console/sessions", data=form(pool, csrf, **change))
        text = html.unescape(refused.text)
        assert refused.status_code == 422, change
        assert f'id="{field}-error"' in refused.text and words in text, (change, text[-3000:])
        assert 'href="#' in refused.text and "There is a problem" in text  # the error summary links to it
    assert await sessions_of(pool) == []


async def test_repeats_post_the_same_session_weeks_running(pool: Harness, browser: httpx.AsyncClient) -> None:
    priya = await pool.coordinator()
    csrf = await sign_in(browser, pool, priya)
    posted = await browser.post("/console/sessions", data=form(pool, csrf, repeat_weeks="3"))
    assert posted.status_code == 303
    found = await sessions_of(pool)
    assert [s.starts_at for s in found] == [at(pool.tomorrow + timedelta(weeks=n), 8, 30) for n in range(3)]


async def test_a_practice_manager_posts_only_for_their_practice(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    await pool.practice("X20002", "Hillside Practice")
    manager = await pool.member("Sam Ortiz", roles=("practice:X10001",))
    csrf = await sign_in(browser, pool, manager)
    page = await browser.get("/console/sessions/new")
    assert "Riverside Surgery" in page.text and "Hillside" not in page.text
    refused = await browser.post("/console/sessions", data=form(pool, csrf, practice="X20002"))
    assert refused.status_code == 403 and "your own practice" in html.unescape(refused.text)
    assert await sessions_of(pool) == []
    assert (await browser.post("/console/sessions", data=form(pool, csrf))).status_code == 303


async def test_a_practice_manager_can_neither_see_nor_act_on_another_practice(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    await pool.practice("X20002", "Hillside Practice")
    manager = await pool.member("Sam Ortiz", roles=("practice:X10001",))
    await pool.gp()
    other = await pool.post(practice="X20002")
    csrf = await sign_in(browser, pool, manager)
    assert (await browser.get(f"/console/sessions/{other.id}")).status_code == 404
    for action, data in (
        ("cancel", {"reason": "no"}),
        ("urgent", {}),
        ("book", {"who": "Dr 001"}),
        ("delivered", {"hours": "4"}),
    ):
        refused = await browser.post(f"/console/sessions/{other.id}/{action}", data={"csrf": csrf, **data})
        assert refused.status_code == 404, action
    [still] = await sessions_of(pool)
    assert (still.status, still.urgent) == (SessionStatus.OPEN, False)


async def test_cancel_urgent_book_and_deliver_from_a_session_page(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    priya = await pool.coordinator()
    ada = await pool.gp("Dr Ada Lovelace")
    session = await pool.post()
    csrf = await sign_in(browser, pool, priya)
    page = await browser.get(f"/console/sessions/{session.id}")
    assert csrf_of(page.text) == csrf and "Offer to everyone now" in page.text

    assert (
        await browser.post(f"/console/sessions/{session.id}/urgent", data={"csrf": csrf})
    ).status_code == 303
    assert (await pool.view(session)).session.urgent

    found = await browser.get(f"/console/sessions/{session.id}/people", params={"who": "lovel"})
    assert f"Dr Ada Lovelace, {national(ada.phone)}" in found.text  # 07700 900002, as people write it
    booked = await browser.post(
        f"/console/sessions/{session.id}/book", data={"csrf": csrf, "who": "ada lovelace"}
    )
    assert booked.status_code == 303
    view = await pool.view(session)
    assert view.booked and view.booked.id == ada.id

    early = await browser.get(f"/console/sessions/{session.id}")
    assert "Record the hours" not in early.text  # not before it has started
    await pool.advance(days=1, hours=6)
    await sign_in(browser, pool, priya)
    csrf = csrf_of((await browser.get(f"/console/sessions/{session.id}")).text)
    bad = await browser.post(
        f"/console/sessions/{session.id}/delivered", data={"csrf": csrf, "hours": "lots"}
    )
    assert bad.status_code == 422 and 'id="hours-error"' in bad.text
    done = await browser.post(f"/console/sessions/{session.id}/delivered", data={"csrf": csrf, "hours": "4"})
    assert done.status_code == 303
    assert (await pool.view(session)).session.delivered_hours == 4


async def test_cancelling_tells_the_booked_gp_the_reason(pool: Harness, browser: httpx.AsyncClient) -> None:
    manager = await pool.member("Sam Ortiz", roles=("practice:X10001",))
    ada = await pool.gp("Dr Ada Lovelace")
    session = await pool.post()
    await pool.send(ada, f"YES {await pool.offer_code(ada, session)}")
    csrf = await sign_in(browser, pool, manager)
    page = await browser.get(f"/console/sessions/{session.id}")
    assert "Book someone by hand" not in page.text  # a coordinator's job
    cancelled = await browser.post(
        f"/console/sessions/{session.id}/cancel", data={"csrf": csrf, "reason": "Clinic closed"}
    )
    assert cancelled.status_code == 303
    assert (await pool.view(session)).session.status == SessionStatus.CANCELLED
    assert "Clinic closed" in ((await pool.last(ada)).body or "")


async def test_a_name_shared_by_two_is_refused_with_both_listed(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    priya = await pool.coordinator()
    await pool.gp("Dr Sam Lee")
    await pool.gp("Dr Sam Lee")
    session = await pool.post()
    csrf = await sign_in(browser, pool, priya)
    refused = await browser.post(
        f"/console/sessions/{session.id}/book", data={"csrf": csrf, "who": "Sam Lee"}
    )
    assert refused.status_code == 422 and 'id="who-error"' in refused.text
    assert (await pool.view(session)).booked is None
