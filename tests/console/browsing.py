"""Shared by the console's browser tests: the site under test (the app served by uvicorn in
the test's own loop), a phone-sized page in Debian's chromium, and the accessibility check.

Playwright cannot download its own browser here, so it runs /usr/bin/chromium through
``executable_path``. Without chromium the browser tests skip, with a message; under CI they
never skip (``.ci/run`` installs it). Set POOL_SCREENSHOTS=docs/screenshots to refresh the
README's pictures; otherwise they go to the test's own folder.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from bot.domain import Member
from tests.harness import AUTH, Harness

CHROMIUM = os.environ.get("POOL_CHROMIUM", "/usr/bin/chromium")
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {"width": 375, "height": 812}
LINK = re.compile(r"https?://\S+?(/console/link/[A-Za-z0-9_-]+)")


def need_chromium() -> None:
    """Skip the test, saying why, where chromium is missing; under CI, fail instead."""
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return
    if os.environ.get("CI"):
        raise RuntimeError(f"CI needs chromium for the console's browser tests: {CHROMIUM} is missing")
    pytest.skip(f"the console's browser tests need chromium ({CHROMIUM}): apt-get install chromium")


@dataclass
class Site:
    pool: Harness
    base: str
    api: httpx.AsyncClient
    shots: Path
    coordinator: Member
    manager: Member
    gp: Member

    async def link_for(self, member: Member) -> str:
        """The newest sign-in link in the member's sandbox outbox, as the person reads it."""
        outbox = (await self.api.get("/sandbox/outbox", params={"to": member.phone}, headers=AUTH)).json()
        links = [LINK.search(m["text"]) for m in outbox["messages"] if m["kind"] == "signin_link"]
        assert links and links[-1], f"a sign-in link reached {member.name}"
        return self.base + links[-1].group(1)

    async def ask_for_link(self, page: Page, member: Member) -> str:
        await page.context.clear_cookies()  # whoever used this browser before is signed out
        await page.goto(f"{self.base}/console/")
        await page.get_by_label("Your mobile phone number or email").fill(member.phone)
        await page.get_by_role("button", name="Send me a link").click()
        await expect(page.get_by_role("heading", name="Check your messages")).to_be_visible()
        return await self.link_for(member)

    async def sign_in(self, page: Page, member: Member) -> None:
        link = await self.ask_for_link(page, member)
        await page.goto(link)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_text(f"Signed in as {member.name}")).to_be_visible()

    async def nav(self, page: Page, name: str) -> None:
        """Follow the header's link, as a person on a phone would: under "More" when it does not fit."""
        # Only once the header's script has run does a link that does not fit move under "More":
        # asked before, a link may seem visible and then move away (the attribute marks it run).
        await page.locator("header[data-nhsuk-header-init]").wait_for(state="attached")
        link = page.get_by_role("navigation", name="Menu").get_by_role("link", name=name, exact=True)
        if not await link.first.is_visible():
            await page.get_by_role("button", name="More").click()
        await link.first.click()

    async def shot(self, page: Page, name: str) -> None:
        await page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)


async def accessible(page: Page) -> None:
    """No violations of axe-core's WCAG 2.1 A and AA rules on the page as it stands."""
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(
        page, options={"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]}
    )
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"
