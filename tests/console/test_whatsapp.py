"""A member's WhatsApp on their console page (issue 27): opted in or not, the window, the
number, and a coordinator's form to opt them in (once they said yes), out, or set the number."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import httpx

from bot.clock import LONDON
from bot.domain import Member
from tests.console.conftest import sign_in
from tests.harness import Harness


def section(page: str) -> str:
    """The WhatsApp section's words, tags gone."""
    found = re.search(r'<h2 class="nhsuk-heading-m" id="whatsapp">(.*?)</form>', page, re.S)
    assert found, "the page has a WhatsApp section"
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))))


async def state(pool: Harness, member: Member) -> str:
    found = await pool.pool.store.reader().whatsapp.state(member.id)
    return "none" if found is None else f"{found.number} {found.opt_in_source}"


async def test_a_coordinator_opts_a_member_in_once_they_said_yes(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    priya = await pool.coordinator()
    ada = await pool.gp("Dr Ada Lovelace")
    csrf = await sign_in(browser, pool, priya)
    before = section((await browser.get(f"/console/people/{ada.id}")).text)
    assert "Opted in No" in before and "never written on WhatsApp" in before
    assert "said yes to you" in before, "the form says an opt-in needs their yes"
    refused = await browser.post(
        f"/console/people/{ada.id}/whatsapp", data={"csrf": csrf, "wa_action": "opt_in"}
    )
    assert refused.status_code == 422 and 'id="wa_said_yes-error"' in refused.text
    assert await state(pool, ada) == "none"
    saved = await browser.post(
        f"/console/people/{ada.id}/whatsapp",
        data={"csrf": csrf, "wa_action": "opt_in", "wa_said_yes": "yes"},
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=whatsapp#whatsapp")
    assert await state(pool, ada) == f"{ada.phone} console"
    after = section((await browser.get(f"/console/people/{ada.id}")).text)
    assert "by a coordinator, after they said yes" in after and "Their channel WhatsApp" in after
    assert "only messages with a template go" in after


async def test_a_whatsapp_number_other_than_their_phone_and_the_window(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    priya = await pool.coordinator()
    ada = await pool.gp("Dr Ada Lovelace")
    csrf = await sign_in(browser, pool, priya)
    bad = await browser.post(
        f"/console/people/{ada.id}/whatsapp", data={"csrf": csrf, "wa_action": "number", "wa_number": "hello"}
    )
    assert bad.status_code == 422 and 'id="wa_number-error"' in bad.text
    taken = await browser.post(
        f"/console/people/{ada.id}/whatsapp",
        data={"csrf": csrf, "wa_action": "number", "wa_number": priya.phone},
    )
    assert taken.status_code == 422 and "Priya Shah" in html.unescape(taken.text)
    saved = await browser.post(
        f"/console/people/{ada.id}/whatsapp",
        data={"csrf": csrf, "wa_action": "number", "wa_number": "07700 900999"},
    )
    assert saved.status_code == 303
    assert await state(pool, ada) == "+447700900999 None", "a number is not an opt-in"
    # She wrote on WhatsApp from it 25 hours ago (opted in by her message), then again now.
    async with pool.pool.store.unit_of_work() as uow:
        await uow.whatsapp.note_inbound(ada.id, "+447700900999", pool.clock.now() - timedelta(hours=25))
    shown = section((await browser.get(f"/console/people/{ada.id}")).text)
    assert "Closed since" in shown and "by writing to the pool on WhatsApp" in shown
    async with pool.pool.store.unit_of_work() as uow:
        await uow.whatsapp.note_inbound(ada.id, "+447700900999", pool.clock.now())
    closes = (pool.clock.now() + timedelta(hours=24)).astimezone(LONDON)
    assert f"Open until {closes:%H:%M}" in section((await browser.get(f"/console/people/{ada.id}")).text)


async def test_a_practice_manager_cannot_and_a_form_needs_its_csrf_token(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    priya = await pool.coordinator()
    sam = await pool.member("Sam Ortiz", roles=("practice:X10001",))
    ada = await pool.gp("Dr Ada Lovelace")
    csrf = await sign_in(browser, pool, sam)
    refused = await browser.post(
        f"/console/people/{ada.id}/whatsapp",
        data={"csrf": csrf, "wa_action": "opt_in", "wa_said_yes": "yes"},
    )
    assert refused.status_code == 403
    await sign_in(browser, pool, priya)
    for data in ({"wa_action": "opt_in", "wa_said_yes": "yes"}, {"csrf": "forged", "wa_action": "opt_out"}):
        forged = await browser.post(f"/console/people/{ada.id}/whatsapp", data=data)
        assert forged.status_code == 403
    assert await state(pool, ada) == "none"
    assert not await pool.pool.store.reader().members.opt_outs_of(ada.id)


async def test_opting_out_is_whatsapp_only(pool: Harness, browser: httpx.AsyncClient) -> None:
    priya = await pool.coordinator()
    ada = await pool.gp("Dr Ada Lovelace")
    csrf = await sign_in(browser, pool, priya)
    await browser.post(
        f"/console/people/{ada.id}/whatsapp", data={"csrf": csrf, "wa_action": "opt_in", "wa_said_yes": "yes"}
    )
    out = await browser.post(
        f"/console/people/{ada.id}/whatsapp", data={"csrf": csrf, "wa_action": "opt_out"}
    )
    assert out.status_code == 303
    shown = section((await browser.get(f"/console/people/{ada.id}")).text)
    assert "Of WhatsApp since" in shown
    assert [c for c, _, _ in await pool.pool.store.reader().members.opt_outs_of(ada.id)] == ["whatsapp"]
