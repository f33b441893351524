"""The figures page in a real browser at phone width: axe-core's WCAG 2.1 A and AA rules, a
chart's table showing the report's numbers, the download, and the screenshot for the README."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import Page, expect

from bot.commands import BuildReport, RecordDelivery
from tests.console.browsing import Site, accessible
from tests.harness import at


async def a_month(site: Site) -> None:
    """Sessions at both practices over a few weeks: filled, delivered, one left to expire."""
    pool = site.pool
    first = await pool.post(start=at(pool.today, 13), urgent=True)
    await pool.advance(minutes=15)
    await pool.send(site.gp, f"YES {await pool.offer_code(site.gp, first)}")
    for days, practice in ((1, "X20002"), (9, "X10001"), (16, "X20002")):
        session = await pool.post(practice, start=at(pool.today + timedelta(days=days), 9))
        await pool.advance(minutes=30)
        await pool.send(site.gp, f"YES {await pool.offer_code(site.gp, session)}")
    await pool.post("X20002", start=at(pool.today + timedelta(days=2), 13))  # left to expire
    await pool.advance(days=3)
    await pool.pool.engine.execute(RecordDelivery(first.code, 4), actor="test")


async def test_the_figures_at_phone_width_pass_axe_and_show_the_reports_numbers(
    site: Site, page: Page
) -> None:
    await a_month(site)
    await site.sign_in(page, site.coordinator)
    # At phone width the header folds the menu's last items under "More".
    await page.get_by_role("button", name="More").click()
    await page.get_by_role("link", name="Figures").click()
    await expect(page.get_by_role("heading", name="Figures for 2026/27", level=1)).to_be_visible()
    await accessible(page)

    report = await site.pool.pool.engine.query(BuildReport(by=site.coordinator.id), actor="test")
    shown = page.locator("#table-practices tbody tr")
    await expect(shown).to_have_count(len(report.by_practice))
    for i, practice in enumerate(report.by_practice):
        cells = shown.nth(i).locator("td")
        await expect(cells.nth(0)).to_contain_text(f"{practice['name']} ({practice['ods_code']})")
        await expect(cells.nth(2)).to_contain_text(str(practice["posted"]))
        await expect(cells.nth(3)).to_contain_text(str(practice["filled"]))
    chart = page.get_by_role("img", name=f"Sessions by practice, {report.financial_year}")
    await expect(chart).to_be_visible()
    assert (await chart.bounding_box())["width"] <= 375  # type: ignore[index]
    await expect(page.locator("#chart-practices desc")).to_contain_text(
        f"{report.by_practice[0]['name']}: {report.by_practice[0]['posted']} posted"
    )

    # The weekly numbers open beside their chart, and pass the same checks open.
    await page.get_by_text("The numbers week by week").click()
    weeks = page.locator("#table-weeks tbody tr")
    await expect(weeks).to_have_count(len(report.by_week))
    await expect(weeks.first.locator("td").nth(1)).to_contain_text(str(report.by_week[0]["posted"]))
    await accessible(page)
    no_scrolling_sideways = await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_scrolling_sideways

    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Download the NHS return for 2026/27 (CSV)").click()
    download = await downloading.value
    assert download.suggested_filename == "pool-report-2026-27.csv"
    await page.set_viewport_size({"width": 1200, "height": 900})
    await site.shot(page, "figures")
