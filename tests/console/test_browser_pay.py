"""Hours and pay in a real browser (see tests/console/browsing.py): a practice manager, on a
phone, confirms the hours a GP reported, with no accessibility faults on the way."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.console.browsing import Site, accessible
from tests.harness import at


async def test_a_practice_manager_confirms_hours_on_a_phone(site: Site, page: Page) -> None:
    pool, gp = site.pool, site.gp
    session = await pool.post(start=at(pool.today, 13, 0), urgent=True)
    await pool.send(gp, f"YES {await pool.offer_code(gp, session)}")
    pool.clock.set(session.ends_at)
    await pool.pool.settle()
    await pool.send(gp, "4")

    await site.sign_in(page, site.manager)
    await site.nav(page, "Hours and pay")
    await expect(page.get_by_role("heading", name="Hours and pay")).to_be_visible()
    row = page.locator(f"#row-{session.code}")
    await expect(row).to_have_attribute("data-state", "awaiting")
    await expect(row).to_contain_text("Dr Ada Lovelace")
    await expect(row).to_contain_text("booked £320")
    await accessible(page)

    # A query left empty is refused beside its field, and the form stays open to correct it.
    await row.locator("summary").filter(has_text="Query").click()
    await row.get_by_role("button", name="Send the query").click()
    await expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    await expect(page.locator(f"#query-{session.code}-error")).to_be_visible()
    await accessible(page)

    await page.locator(f"#row-{session.code}").get_by_role("button", name="Confirm hours").click()
    await expect(page.get_by_text(f"Hours confirmed for session {session.code}")).to_be_visible()
    row = page.locator(f"#row-{session.code}")
    await expect(row).to_have_attribute("data-state", "signed_off")
    await expect(row).to_contain_text("£320")
    await expect(row.get_by_role("button", name="Confirm hours")).to_have_count(0)
    await expect(page.locator("#totals")).to_contain_text("£320 (1 session)")
    await accessible(page)
    await site.shot(page, "pay")
    found = await pool.pool.store.reader().pay.signoff(session.id)
    assert found is not None and (found.state, found.pay_pence) == ("signed_off", 32000)

    await page.get_by_role("link", name="Timesheets for December 2026").click()
    await expect(page.get_by_role("heading", name="Timesheets")).to_be_visible()
    await accessible(page)
