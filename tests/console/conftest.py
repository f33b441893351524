"""The console through the HTTP app, in process: a browser's requests without the browser."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.domain import Member
from main import build_app
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
    """Sign the client in as the member by the link they were sent; the session's CSRF token."""
    await ask_for_link(http, member.phone)
    path = await link_sent_to(pool, member)
    opened = await http.get(path)
    used = await http.post(path, data={"csrf": csrf_of(opened.text)})
    assert used.status_code == 303, used.text
    landed = await http.get(used.headers["location"])
    assert landed.status_code == 200
    return csrf_of(landed.text)
