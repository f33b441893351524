"""A member's WhatsApp through the JSON API and the CLI (issue 27): the same commands, the
same roles as the console's section."""

from __future__ import annotations

from pathlib import Path

import httpx

from bot.domain import Member
from tests.harness import AUTH, Harness
from tests.test_cli import run


def acting(member: Member) -> dict[str, str]:
    return {**AUTH, "X-Acting-As": member.phone}


async def test_a_coordinator_sees_and_sets_a_members_whatsapp(
    pool: Harness, client: httpx.AsyncClient
) -> None:
    priya = await pool.coordinator()
    ada = await pool.gp("Dr Ada Lovelace")
    url = f"/api/members/{ada.phone}/whatsapp"
    shown = await client.get(url, headers=acting(priya))
    assert shown.status_code == 200
    assert (shown.json()["status"], shown.json()["number"], shown.json()["opted_in_at"]) == (
        "not opted in",
        ada.phone,
        None,
    )
    numbered = await client.put(url, json={"number": "07700 900999"}, headers=acting(priya))
    assert numbered.status_code == 200 and numbered.json()["number"] == "+447700900999"
    assert numbered.json()["status"] == "not opted in", "a number is not an opt-in"
    opted = await client.put(url, json={"opt_in": True}, headers=acting(priya))
    body = opted.json()
    assert (body["status"], body["opt_in_source"], body["preferred"]) == ("closed", "console", True)
    out = await client.put(url, json={"opt_in": False}, headers=AUTH)
    assert out.json()["status"] == "opted out" and out.json()["opted_out_at"] is not None
    bad = await client.put(url, json={"number": "hello"}, headers=AUTH)
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "number"
    nothing = await client.put(url, json={}, headers=AUTH)
    assert nothing.status_code == 422
    assert (await client.get(url)).status_code == 401


async def test_the_member_may_look_and_nobody_else_but_coordinators(
    pool: Harness, client: httpx.AsyncClient
) -> None:
    sam = await pool.member("Sam Ortiz", roles=("practice:X10001",))
    ada = await pool.gp("Dr Ada Lovelace")
    url = f"/api/members/{ada.phone}/whatsapp"
    assert (await client.get(url, headers=acting(ada))).status_code == 200
    assert (await client.get(url, headers=acting(sam))).status_code == 403
    for who in (sam, ada):
        refused = await client.put(url, json={"opt_in": True}, headers=acting(who))
        assert refused.status_code == 403
    assert await pool.pool.store.reader().whatsapp.state(ada.id) is None
    missing = await client.get("/api/members/07700900777/whatsapp", headers=AUTH)
    assert missing.status_code == 422


def test_the_cli_shows_and_sets_a_members_whatsapp(tmp_path: Path) -> None:
    assert run(tmp_path, "seed").returncode == 0
    status = run(tmp_path, "whatsapp", "status", "07700 900113")
    assert status.returncode == 0, status.stderr
    assert "Dr Maya Patel (+447700900113): not opted in" in status.stdout
    opted = run(
        tmp_path, "whatsapp", "opt-in", "07700 900113", "--number", "07700 900999", "--as", "07700 900001"
    )
    assert opted.returncode == 0, opted.stderr
    assert ": closed" in opted.stdout and "number: +447700900999" in opted.stdout
    assert "by a coordinator, after they said yes" in opted.stdout
    out = run(tmp_path, "whatsapp", "opt-out", "07700 900113")
    assert out.returncode == 0 and ": opted out" in out.stdout
    refused = run(tmp_path, "whatsapp", "opt-in", "07700 900001", "--as", "07700 900113")
    assert refused.returncode == 2 and "coordinators" in refused.stderr
