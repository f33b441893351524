"""The inbox (answer, mark done) and the unreachable list, for coordinators only."""

from __future__ import annotations

import httpx

from tests.console.conftest import sign_in
from tests.harness import Harness


async def test_a_coordinator_answers_and_closes_inbox_items(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    priya = await pool.coordinator()
    ada = await pool.gp("Dr Ada Lovelace")
    await pool.send(ada, "Is there parking at Riverside?")
    await pool.send("07700 900999", "Who is this?")
    csrf = await sign_in(browser, pool, priya)
    page = await browser.get("/console/inbox")
    assert "Is there parking at Riverside?" in page.text and "Not in the pool" in page.text
    [first, second] = await pool.pool.store.reader().inbox.items("open")
    empty = await browser.post(f"/console/inbox/{first.id}/answer", data={"csrf": csrf, "text": ""})
    assert empty.status_code == 422 and f'id="answer-{first.id}-error"' in empty.text
    answered = await browser.post(
        f"/console/inbox/{first.id}/answer", data={"csrf": csrf, "text": "Yes, bay 4."}
    )
    assert answered.status_code == 303
    assert (await pool.last(ada)).body == "Yes, bay 4.\n- Priya Shah, Test Pool"  # signed by who answered
    assert (await browser.post(f"/console/inbox/{second.id}/done", data={"csrf": csrf})).status_code == 303
    assert await pool.pool.store.reader().inbox.items("open") == []
    assert "Nothing waiting." in (await browser.get("/console/inbox")).text


async def test_the_inbox_is_for_coordinators(pool: Harness, browser: httpx.AsyncClient) -> None:
    manager = await pool.member("Sam Ortiz", roles=("practice:X10001",))
    await pool.send("07700 900999", "Who is this?")
    csrf = await sign_in(browser, pool, manager)
    assert (await browser.get("/console/inbox")).status_code == 403
    assert (await browser.get("/console/unreachable")).status_code == 403
    [item] = await pool.pool.store.reader().inbox.items("open")
    assert (await browser.post(f"/console/inbox/{item.id}/done", data={"csrf": csrf})).status_code == 403
    assert len(await pool.pool.store.reader().inbox.items("open")) == 1


async def test_the_unreachable_list_names_who_and_why(pool: Harness, browser: httpx.AsyncClient) -> None:
    priya = await pool.coordinator()
    ada = await pool.gp("Dr Ada Lovelace")
    session = await pool.post()
    [offer] = [m for m in await pool.messages(ada) if m.kind == "offer"] or [None]
    assert offer is not None and session
    await pool.pool.engine.report_delivery(
        "sandbox", f"sandbox-{offer.id}", "undelivered", 9, "30003", reason="unreachable handset"
    )
    await sign_in(browser, pool, priya)
    page = await browser.get("/console/unreachable")
    assert "Dr Ada Lovelace" in page.text and "unreachable handset" in page.text and "30003" in page.text
