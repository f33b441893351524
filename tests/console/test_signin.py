"""Signing in without a password: links by the channel that reaches the person, used once,
ten minutes at most; sessions in an HttpOnly cookie, twelve hours at most; CSRF on every form."""

from __future__ import annotations

import html

import httpx
import pytest

from flows.people.signin import token_hash
from tests.console.conftest import ask_for_link, csrf_of, link_sent_to, sign_in
from tests.harness import ADMIN_TOKEN, Harness


async def test_a_coordinator_signs_in_by_the_link_sent_to_their_phone(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    priya = await pool.coordinator()
    asked = await ask_for_link(browser, "07700 900001")
    assert asked.status_code == 200 and "Check your messages" in asked.text
    path = await link_sent_to(pool, priya)
    [sent] = [m for m in await pool.messages(priya) if m.kind == "signin_link"]
    assert sent.channel == "sandbox" and "works once, for 10 minutes" in (sent.body or "")

    opened = await browser.get(path)
    assert opened.status_code == 200 and ">Sign in</button>" in opened.text
    used = await browser.post(path, data={"csrf": csrf_of(opened.text)})
    assert used.status_code == 303 and used.headers["location"] == "/console/board"
    cookie = used.headers["set-cookie"]
    assert "pool_console=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Max-Age=43200" in cookie and "Secure" not in cookie  # 12 hours; http://localhost
    board = await browser.get("/console/board")
    assert board.status_code == 200 and "Signed in as <strong>Priya Shah</strong>" in board.text


async def test_only_the_hash_of_a_link_is_stored(pool: Harness, browser: httpx.AsyncClient) -> None:
    priya = await pool.coordinator()
    await ask_for_link(browser, priya.phone)
    token = (await link_sent_to(pool, priya)).rsplit("/", 1)[1]
    reader = pool.pool.store.reader()
    assert await reader.signins.link(token) is None
    assert await reader.signins.link(token_hash(token)) is not None


async def test_the_page_says_the_same_whoever_asks(pool: Harness, browser: httpx.AsyncClient) -> None:
    await pool.coordinator()
    gp = await pool.gp("Dr Ada Lovelace")
    known = await ask_for_link(browser, "07700 900001")
    stranger = await ask_for_link(browser, "07700 900999")
    clinician = await ask_for_link(browser, gp.phone)
    strip = lambda r: r.text.replace("07700 900001", "X").replace("07700 900999", "X").replace(gp.phone, "X")  # noqa: E731
    assert strip(known) == strip(stranger) == strip(clinician)
    assert known.status_code == stranger.status_code == clinician.status_code == 200
    # A GP who runs nothing gets no link: the console is for the people who run the pool.
    assert not [m for m in await pool.messages(gp) if m.kind == "signin_link"]


async def test_an_email_finds_the_person_too(pool: Harness, browser: httpx.AsyncClient) -> None:
    manager = await pool.member("Sam Ortiz", roles=("practice:X10001",), email="sam@riverside.example")
    await ask_for_link(browser, "SAM@riverside.example")
    assert await link_sent_to(pool, manager)


async def test_opening_a_link_does_not_use_it_but_signing_in_does(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    priya = await pool.coordinator()
    await ask_for_link(browser, priya.phone)
    path = await link_sent_to(pool, priya)
    for _ in range(3):  # a chat preview, a link scanner, the person
        assert (await browser.get(path)).status_code == 200
    opened = await browser.get(path)
    assert (await browser.post(path, data={"csrf": csrf_of(opened.text)})).status_code == 303
    again = await browser.get(path)
    assert again.status_code == 410 and "used already" in again.text
    # Posted again (the page kept open in another tab, with its own form token): refused.
    replay = await browser.post(path, data={"csrf": browser.cookies.get("pool_console_form")})
    assert replay.status_code == 410 and "used already" in replay.text


async def test_a_link_expires_after_ten_minutes(pool: Harness, browser: httpx.AsyncClient) -> None:
    priya = await pool.coordinator()
    await ask_for_link(browser, priya.phone)
    path = await link_sent_to(pool, priya)
    opened = await browser.get(path)
    await pool.advance(minutes=10, seconds=1)
    late = await browser.post(path, data={"csrf": csrf_of(opened.text)})
    assert late.status_code == 410 and "expired" in late.text
    assert "pool_console=" not in late.headers.get("set-cookie", "")


async def test_links_are_limited_by_number_and_by_address(pool: Harness, browser: httpx.AsyncClient) -> None:
    priya = await pool.coordinator()
    for _ in range(3):
        assert (await ask_for_link(browser, priya.phone)).status_code == 200
    fourth = await ask_for_link(browser, priya.phone)
    assert fourth.status_code == 429 and "Wait 15 minutes" in fourth.text
    assert len([m for m in await pool.messages(priya) if m.kind == "signin_link"]) == 3
    await pool.advance(minutes=16)
    assert (await ask_for_link(browser, priya.phone)).status_code == 200
    # One address asking for many numbers is stopped too (each link is a text).
    for n in range(6):
        await ask_for_link(browser, f"07700 9005{n:02d}")
    assert (await ask_for_link(browser, "07700 900600")).status_code == 429


async def test_a_session_lasts_twelve_hours_and_sign_out_ends_it(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    priya = await pool.coordinator()
    csrf = await sign_in(browser, pool, priya)
    await pool.advance(hours=11, minutes=59)
    assert (await browser.get("/console/board")).status_code == 200
    await pool.advance(minutes=2)
    assert (await browser.get("/console/board")).headers["location"] == "/console/"

    csrf = await sign_in(browser, pool, priya)
    out = await browser.post("/console/sign-out", data={"csrf": csrf})
    assert out.status_code == 303 and 'pool_console=""' in out.headers["set-cookie"]
    assert (await browser.get("/console/board")).status_code == 303


async def test_a_cookie_kept_after_sign_out_no_longer_works(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    priya = await pool.coordinator()
    csrf = await sign_in(browser, pool, priya)
    kept = browser.cookies.get("pool_console")
    await browser.post("/console/sign-out", data={"csrf": csrf})
    browser.cookies.set("pool_console", kept, path="/console")
    assert (await browser.get("/console/board")).status_code == 303


async def test_a_forged_csrf_token_is_refused_and_changes_nothing(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    priya = await pool.coordinator()
    await sign_in(browser, pool, priya)
    posted = await browser.post(
        "/console/sessions",
        data={"csrf": "forged", "practice": "X10001", "date": pool.tomorrow.isoformat(), "start": "08:30",
              "end": "12:30", "rate": "320", "professions": "gp", "repeat_weeks": "1"},
    )  # fmt: skip
    assert posted.status_code == 403 and "nothing was done" in posted.text
    assert await pool.pool.store.reader().sessions.open_sessions(pool.clock.now()) == []
    assert (await browser.post("/console/sign-out", data={})).status_code == 403


async def test_the_admin_token_signs_in_by_a_form_post(pool: Harness, browser: httpx.AsyncClient) -> None:
    page = await browser.get("/console/")
    wrong = await browser.post("/console/admin", data={"token": "guess", "csrf": csrf_of(page.text)})
    assert wrong.status_code == 401 and "not the pool's admin token" in html.unescape(wrong.text)
    page = await browser.get("/console/")
    right = await browser.post("/console/admin", data={"token": ADMIN_TOKEN, "csrf": csrf_of(page.text)})
    assert right.status_code == 303
    board = await browser.get("/console/board")
    assert "Signed in as <strong>the pool's admin</strong>" in html.unescape(board.text)
    # Never in a URL: a token in the query string signs nobody in.
    fresh = httpx.AsyncClient(transport=browser._transport, base_url="http://localhost:8000")
    assert (await fresh.get(f"/console/board?token={ADMIN_TOKEN}")).status_code == 303


async def test_a_sign_in_form_from_another_site_is_refused(pool: Harness, browser: httpx.AsyncClient) -> None:
    priya = await pool.coordinator()
    forged = await browser.post("/console/sign-in", data={"who": priya.phone, "csrf": "from-elsewhere"})
    assert forged.status_code == 403
    assert not [m for m in await pool.messages(priya) if m.kind == "signin_link"]


async def test_cookies_are_secure_when_the_pool_is_served_over_https(tmp_path) -> None:
    from bot.policy import PoolPolicy
    from main import build_app

    harness = await Harness.open(
        tmp_path, policy=PoolPolicy(pool_name="Test Pool", public_url="https://pool.example")
    )
    try:
        await harness.practice()
        priya = await harness.coordinator()
        app = build_app(harness.pool, ADMIN_TOKEN)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://pool.example"
        ) as http:
            await ask_for_link(http, priya.phone)
            path = await link_sent_to(harness, priya)
            assert [m.body or "" for m in await harness.messages(priya)][-1].count(
                "https://pool.example/console/link/"
            ) == 1
            opened = await http.get(path)
            used = await http.post(path, data={"csrf": csrf_of(opened.text)})
            assert "Secure" in used.headers["set-cookie"]
    finally:
        await harness.close()


async def test_a_failure_on_a_link_page_never_logs_the_link(
    pool: Harness,
    browser: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    priya = await pool.coordinator()
    await ask_for_link(browser, priya.phone)
    path = await link_sent_to(pool, priya)

    async def broken(*_: object) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(type(pool.pool.store.reader().signins), "link", broken)
    assert (await browser.get(path)).status_code == 500
    [failure] = [r.getMessage() for r in caplog.records if r.name == "bot.guard"]
    assert failure == "GET /console/link/… failed: RuntimeError"
    assert path.rsplit("/", 1)[1] not in caplog.text


async def test_a_huge_form_is_refused_before_it_is_read(pool: Harness, browser: httpx.AsyncClient) -> None:
    page = await browser.get("/console/")
    huge = {"who": "x" * 100_000, "csrf": csrf_of(page.text)}
    assert (await browser.post("/console/sign-in", data=huge)).status_code == 413


async def test_guessing_the_admin_token_is_stopped_after_a_few_tries(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    for _ in range(5):
        page = await browser.get("/console/")
        assert (
            await browser.post("/console/admin", data={"token": "guess", "csrf": csrf_of(page.text)})
        ).status_code == 401
    page = await browser.get("/console/")
    right = await browser.post("/console/admin", data={"token": ADMIN_TOKEN, "csrf": csrf_of(page.text)})
    assert right.status_code == 429 and "Wait an hour" in right.text  # even the right one, for now
    await pool.advance(hours=1, minutes=1)
    page = await browser.get("/console/")
    assert (
        await browser.post("/console/admin", data={"token": ADMIN_TOKEN, "csrf": csrf_of(page.text)})
    ).status_code == 303
