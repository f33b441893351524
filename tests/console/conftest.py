"""The console through the HTTP app, in process: a browser's requests without the browser."""

from __future__ import annotations

import asyncio
import os
import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.async_api import Page, async_playwright

from bot.domain import Member
from main import build_app
from tests.console.browsing import CHROMIUM, PHONE, Site, need_chromium
from tests.harness import ADMIN_TOKEN, Harness

LINK = re.compile(r"https?://[^/\s]+(/console/link/[A-Za-z0-9_-]+)")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
async def browser(pool: Harness) -> AsyncIterator[httpx.AsyncClient]:
    """A client that keeps cookies, as a browser does."""
    app = build_app(pool.pool, ADMIN_TOKEN)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost:8000"
    ) as http:
        yield http


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has a form with a CSRF token"
    return found.group(1)


async def link_sent_to(pool: Harness, member: Member) -> str:
    """The path of the newest sign-in link in the member's messages (the sandbox outbox)."""
    texts = [m.body for m in await pool.messages(member) if "/console/link/" in (m.body or "")]
    assert texts, f"a sign-in link reached {member.name}"
    found = LINK.search(texts[-1])
    assert found
    return found.group(1)


async def ask_for_link(http: httpx.AsyncClient, who: str) -> httpx.Response:
    page = await http.get("/console/")
    return await http.post("/console/sign-in", data={"who": who, "csrf": csrf_of(page.text)})


async def sign_in(http: httpx.AsyncClient, pool: Harness, member: Member) -> str:
    """Sign the client in as the member by the link they were sent; the session's CSRF token.
    (Anyone signed in on this client before is signed out first, as on a shared computer.)"""
    http.cookies.clear()
    await ask_for_link(http, member.phone)
    path = await link_sent_to(pool, member)
    opened = await http.get(path)
    used = await http.post(path, data={"csrf": csrf_of(opened.text)})
    assert used.status_code == 303, used.text
    landed = await http.get(used.headers["location"])
    assert landed.status_code == 200
    return csrf_of(landed.text)


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    """The app served for a browser: two practices, a coordinator, a manager of X10001, a GP."""
    need_chromium()
    pool = await Harness.open(tmp_path)
    await pool.practice()
    await pool.practice("X20002", "Hillside Practice", pcn="South PCN")
    coordinator = await pool.coordinator()
    manager = await pool.member("Sam Ortiz", roles=("practice:X10001",))
    gp = await pool.gp("Dr Ada Lovelace")
    app = build_app(pool.pool, ADMIN_TOKEN)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    # The socket listens before the server starts: a connection made meanwhile waits in its
    # backlog, so nothing needs to wait for the server to be up.
    listening = socket.create_server(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    base = f"http://127.0.0.1:{port}"
    shots = Path(os.environ["POOL_SCREENSHOTS"]) if os.environ.get("POOL_SCREENSHOTS") else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    async with httpx.AsyncClient(base_url=base) as api:
        try:
            yield Site(pool, base, api, shots, coordinator, manager, gp)
        finally:
            server.should_exit = True
            await serving
            await pool.close()


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    """A phone-sized page (375 px, en-GB) in Debian's chromium."""
    need_chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--disable-gpu",
                "--disable-quic",
                "--disable-background-networking",
                "--disable-sync",
                "--lang=en-GB",
            ],
        )
        context = await browser.new_context(
            viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="en-GB"
        )
        try:
            yield await context.new_page()
        finally:
            await browser.close()
