"""The console in a real browser: Debian's chromium driven by Playwright, every page checked
with axe-core against WCAG 2.1 A and AA at phone width, and screenshots for the README
(the site, the page and the checks are in tests/console/browsing.py and conftest.py)."""

from __future__ import annotations

import time
from datetime import timedelta

from playwright.async_api import Page, expect

from bot.domain import Session, SessionStatus
from tests.console.browsing import Site, accessible
from tests.harness import AUTH, at


async def test_signing_in_by_the_link_from_the_sandbox_outbox(site: Site, page: Page) -> None:
    await page.goto(f"{site.base}/console/")
    await accessible(page)
    await site.shot(page, "sign-in")
    link = await site.ask_for_link(page, site.coordinator)
    await accessible(page)
    await page.goto(link)
    await accessible(page)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Fill board")).to_be_visible()
    await accessible(page)
    cookie = next(c for c in await page.context.cookies() if c["name"] == "pool_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_text("You have signed out.")).to_be_visible()


async def test_a_link_fetched_by_get_still_signs_in_and_is_refused_after_its_post(
    site: Site, page: Page
) -> None:
    link = await site.ask_for_link(page, site.coordinator)
    scanned = await site.api.get(link)  # a chat preview or a mail scanner fetches it first
    assert scanned.status_code == 200
    await page.goto(link)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Fill board")).to_be_visible()
    await page.goto(link)
    await expect(page.get_by_role("heading", name="This link cannot sign you in")).to_be_visible()
    await expect(page.get_by_text("used already")).to_be_visible()
    await accessible(page)


async def test_an_expired_link_is_refused(site: Site, page: Page) -> None:
    link = await site.ask_for_link(page, site.coordinator)
    await page.goto(link)
    site.pool.clock.advance(timedelta(minutes=11))
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_text("has expired")).to_be_visible()
    assert not [c for c in await page.context.cookies() if c["name"] == "pool_console"]


async def test_the_board_shows_a_session_filled_within_two_seconds_of_the_yes(site: Site, page: Page) -> None:
    session = await site.pool.post(urgent=True)
    await site.pool.post(start=at(site.pool.today + timedelta(days=2), 13, 30), rate_pence=30000)
    await site.sign_in(page, site.coordinator)
    row = page.locator(f"#session-{session.id}")
    await expect(row).to_have_attribute("data-status", "open")
    await site.shot(page, "board-phone")
    code = await site.pool.offer_code(site.gp, session)
    said = await site.api.post(
        "/sandbox/inbound", json={"from": site.gp.phone, "text": f"YES {code}"}, headers=AUTH
    )
    assert said.json() == {"status": "received"}
    started = time.monotonic()
    await expect(row).to_have_attribute("data-status", "filled", timeout=2_500)
    assert time.monotonic() - started < 2.5
    await expect(row).to_contain_text("Dr Ada Lovelace")
    await accessible(page)
    await page.set_viewport_size({"width": 1200, "height": 900})
    await site.shot(page, "board")


async def test_posting_a_session_by_the_form_with_a_field_error(site: Site, page: Page) -> None:
    await site.sign_in(page, site.manager)
    await site.nav(page, "Post a session")
    await accessible(page)
    await page.get_by_label("Date").fill(site.pool.tomorrow.isoformat())
    await page.get_by_label("Starts").fill("13:30")
    await page.get_by_label("Ends").fill("12:30")
    await page.get_by_label("Pay for the whole session, in pounds").fill("300")
    await page.get_by_role("button", name="Post the session").click()
    await expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    await expect(page.locator("#end-error")).to_contain_text("must end after it starts")
    await accessible(page)
    await site.shot(page, "post-error")
    await page.get_by_label("Ends").fill("17:30")
    await page.get_by_role("button", name="Post the session").click()
    await expect(page.get_by_text("Session posted")).to_be_visible()
    await accessible(page)
    await site.shot(page, "session")
    [posted] = await site.pool.pool.store.reader().sessions.open_sessions(site.pool.clock.now())
    assert (posted.practice, posted.posted_by, posted.rate_pence) == ("X10001", site.manager.id, 30000)


async def test_a_practice_manager_can_neither_see_nor_act_on_another_practice(site: Site, page: Page) -> None:
    own = await site.pool.post()
    other = await site.pool.post(practice="X20002")
    await site.sign_in(page, site.manager)
    await expect(page.locator(f"#session-{own.id}")).to_be_visible()
    await expect(page.locator(f"#session-{other.id}")).to_have_count(0)
    await page.goto(f"{site.base}/console/sessions/{other.id}")
    await expect(page.get_by_role("heading", name="Session not found")).to_be_visible()
    await accessible(page)
    await page.goto(f"{site.base}/console/sessions/{own.id}")
    csrf = await page.locator("input[name=csrf]").first.input_value()
    for action, data in (("cancel", {"reason": "x"}), ("urgent", {}), ("delivered", {"hours": "4"})):
        response = await page.request.post(
            f"{site.base}/console/sessions/{other.id}/{action}", form={"csrf": csrf, **data}
        )
        assert response.status == 404, action
    assert await _status(site, other) == (SessionStatus.OPEN, False)


async def test_a_forged_csrf_token_is_refused(site: Site, page: Page) -> None:
    session = await site.pool.post()
    await site.sign_in(page, site.coordinator)
    await page.goto(f"{site.base}/console/sessions/{session.id}")
    await accessible(page)
    await page.locator("form[action$='/cancel'] input[name=csrf]").evaluate("input => input.value = 'forged'")
    await page.get_by_role("button", name="Cancel the session").click()
    await expect(page.get_by_role("heading", name="This form cannot be used")).to_be_visible()
    assert await _status(site, session) == (SessionStatus.OPEN, False)


async def test_the_inbox_and_the_unreachable_list(site: Site, page: Page) -> None:
    await site.pool.send(site.gp, "Is there parking at Riverside?")
    await site.sign_in(page, site.coordinator)
    await site.nav(page, "Inbox")
    await expect(page.get_by_text("Is there parking at Riverside?")).to_be_visible()
    await accessible(page)
    await site.shot(page, "inbox")
    await page.get_by_label("Your answer").fill("Yes, bay 4.")
    await page.get_by_role("button", name="Send answer").click()
    await expect(page.get_by_text("Answer sent; marked done.")).to_be_visible()
    assert ((await site.pool.last(site.gp)).body or "").startswith("Yes, bay 4.")
    await site.nav(page, "Unreachable")  # at phone width, under "More"
    await expect(page.get_by_role("heading", name="People the pool could not reach")).to_be_visible()
    await accessible(page)


async def _status(site: Site, session: Session) -> tuple[str, bool]:
    view = await site.pool.view(session)
    return view.session.status, view.session.urgent
