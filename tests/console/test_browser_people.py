"""People, checks with evidence and imports in a real browser (see tests/console/browsing.py)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from playwright.async_api import Page, expect

from bot.domain import CHECK_KINDS
from tests.console.browsing import Site, accessible

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer<<>>\n%%EOF\n"


async def test_a_coordinator_onboards_a_gp_with_evidence_and_a_manager_cannot_see_it(
    site: Site, page: Page, tmp_path: Path
) -> None:
    newcomer = await site.pool.gp("Dr New Starter", checks={k: None for k in CHECK_KINDS if k != "dbs"})
    await site.sign_in(page, site.coordinator)
    await site.nav(page, "People")
    await expect(page.get_by_role("heading", name="People")).to_be_visible()
    row = page.locator(f"#member-{newcomer.id}")
    await expect(row).to_have_attribute("data-checks", "missing")
    await expect(row).to_contain_text("Missing DBS check")
    await accessible(page)
    await site.shot(page, "people")

    await page.get_by_label("Checks").select_option("missing")
    await page.get_by_role("button", name="Show").click()
    await row.get_by_role("link", name="Dr New Starter").click()
    await expect(page.locator('[data-check="dbs"]')).to_have_attribute("data-state", "missing")
    await accessible(page)

    evidence = tmp_path / "dbs-certificate.pdf"
    evidence.write_bytes(PDF)
    expires = site.pool.today + timedelta(days=3 * 365)
    await page.get_by_label("Check", exact=True).select_option("dbs")
    await page.get_by_label("Expires (leave empty if it never lapses)").fill(expires.isoformat())
    await page.get_by_label("The evidence (optional)").set_input_files(str(evidence))
    await page.get_by_role("button", name="Record the check").click()
    await expect(page.get_by_text("Check recorded.")).to_be_visible()
    await expect(page.locator('[data-check="dbs"]')).to_have_attribute("data-state", "valid")
    await accessible(page)
    await site.shot(page, "person")
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Download (PDF)").click()
    download = await downloading.value
    assert await asyncio.to_thread(Path(await download.path()).read_bytes) == PDF
    document = page.get_by_role("link", name="Download (PDF)")
    address = site.base + (await document.get_attribute("href") or "")

    await site.sign_in(page, site.manager)
    response = await page.request.get(address)
    assert response.status == 403
    await page.goto(f"{site.base}/console/people/{newcomer.id}")
    await expect(page.get_by_role("heading", name="Not available")).to_be_visible()


async def test_an_import_by_upload_lists_its_bad_lines(site: Site, page: Page, tmp_path: Path) -> None:
    await site.sign_in(page, site.coordinator)
    await page.goto(f"{site.base}/console/imports")
    await accessible(page)
    bad = tmp_path / "practices.csv"
    bad.write_text(
        "ods_code,name,pcn,locality,address,clinical_system,info_pack\n,No Code,,,,,\n", encoding="utf-8"
    )
    await page.get_by_label("Practices").check()
    await page.get_by_label("The CSV file (UTF-8, 5 MB at most)").set_input_files(str(bad))
    await page.get_by_role("button", name="Import").click()
    await expect(page.get_by_role("heading", name="There is a problem: nothing was imported")).to_be_visible()
    await expect(page.get_by_text("line 2")).to_be_visible()
    await accessible(page)
