"""A failed offer still reaches the GP, and the coordinators see why; only people get answers.
Every provider faked at its HTTP boundary, answering as it documents (issue 15)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from main import cli
from tests.harness import AUTH, at
from tests.site import Site, open_site

ZOE_CHAT = "555000111"
BLOCKED = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with open_site(tmp_path) as opened:
        yield opened


async def post_urgent(site: Site) -> int:
    body = {
        "practice": "X10001", "start": at(site.pool.tomorrow, 8, 30).isoformat(),
        "end": at(site.pool.tomorrow, 12, 30).isoformat(), "rate_pence": 32321, "urgent": True,
    }  # fmt: skip
    created = await site.http.post("/api/sessions", json=body, headers=AUTH)
    assert created.status_code == 201
    await site.pool.pool.settle()
    return created.json()["id"]


async def offers_seen(site: Site, session_id: int) -> list[tuple[str, str | None]]:
    seen = (await site.http.get(f"/api/sessions/{session_id}", headers=AUTH)).json()
    return [(o["name"], o["channel"]) for o in seen["offers"]]


async def unreachable(site: Site) -> list[dict]:
    found = (await site.http.get("/api/unreachable", headers=AUTH)).json()
    return [{k: row[k] for k in ("name", "channel", "kind", "error_code", "reason")} for row in found]


async def test_a_gp_who_blocked_the_telegram_bot_gets_the_urgent_offer_by_sms(site: Site) -> None:
    zoe = await site.pool.gp("Dr Zoë Ng", preferred_channel="telegram", telegram_chat_id=ZOE_CHAT)
    site.telegram_api.script["sendMessage"] = [(403, BLOCKED)]

    session_id = await post_urgent(site)

    [text] = site.twilio.to(zoe.phone)
    assert "Reply YES" in text["Body"], "the same offer, by text, at once"
    assert await offers_seen(site, session_id) == [("Dr Zoë Ng", "sms")], "the channel it finally went by"
    assert await unreachable(site) == [
        {
            "name": "Dr Zoë Ng",
            "channel": "telegram",
            "kind": "offer",
            "error_code": "403",
            "reason": "blocked the bot",
        }
    ]
    code = text["Body"].split("Reply YES ")[1][:4]
    await site.sms({"MessageSid": "SM" + "7" * 32, "From": zoe.phone, "Body": f"YES {code}"})
    await site.pool.pool.settle()
    booked = (await site.http.get(f"/api/sessions/{session_id}", headers=AUTH)).json()["booked"]
    assert booked["name"] == "Dr Zoë Ng"
    assert len(site.telegram_api.called("sendMessage")) == 1, "nothing more is tried on Telegram"


async def test_a_number_that_is_not_a_mobile_gets_the_offer_on_telegram(site: Site) -> None:
    zoe = await site.pool.gp("Dr Zoë Ng", preferred_channel="sms", telegram_chat_id=ZOE_CHAT)
    site.twilio.script = [
        (400, {"code": 21614, "message": "'To' number is not a valid mobile number", "status": 400}, {})
    ]
    session_id = await post_urgent(site)
    assert [m["chat_id"] for m in site.telegram_api.called("sendMessage")] == [ZOE_CHAT]
    assert await offers_seen(site, session_id) == [("Dr Zoë Ng", "telegram")]
    [row] = await unreachable(site)
    assert row == {"name": "Dr Zoë Ng", "channel": "sms", "kind": "offer", "error_code": "21614",
                   "reason": "not a mobile number"}  # fmt: skip
    assert zoe.phone not in {m["To"] for m in site.twilio.sent}


async def test_a_slack_user_no_longer_in_the_workspace_gets_the_offer_by_sms(site: Site) -> None:
    zoe = await site.pool.gp("Dr Zoë Ng", preferred_channel="slack", slack_user_id="U0ZOE")
    site.slack.script["chat.postMessage"] = [(200, {"ok": False, "error": "user_not_found"}, {})]
    session_id = await post_urgent(site)
    assert len(site.twilio.to(zoe.phone)) == 1
    assert await offers_seen(site, session_id) == [("Dr Zoë Ng", "sms")]
    [row] = await unreachable(site)
    assert (row["error_code"], row["reason"]) == ("user_not_found", "not in the pool's Slack workspace")


async def test_with_no_other_channel_the_coordinators_see_who_and_why(site: Site) -> None:
    zoe = await site.pool.gp("Dr Zoë Ng", preferred_channel="telegram", telegram_chat_id=ZOE_CHAT)
    async with site.pool.pool.store.unit_of_work() as uow:
        await uow.members.opt_out(zoe.id, "sms", site.pool.clock.now())  # she texted STOP once
    site.telegram_api.script["sendMessage"] = [(403, BLOCKED)]
    session_id = await post_urgent(site)
    assert site.twilio.sent == [], "STOP is honoured on every path, fallbacks included"
    assert await offers_seen(site, session_id) == [("Dr Zoë Ng", "telegram")]

    env = {"POOL_DATABASE": str(site.pool.database)}
    printed = await asyncio.to_thread(CliRunner().invoke, cli, ["unreachable"], env=env)
    assert printed.exit_code == 0
    assert "Dr Zoë Ng by telegram: offer failed (blocked the bot: error 403)" in printed.output


async def test_an_undelivered_report_says_why_in_words(site: Site) -> None:
    zoe = await site.pool.gp("Dr Zoë Ng", preferred_channel="sms")
    await post_urgent(site)
    [sent] = site.twilio.to(zoe.phone)
    report = {
        "MessageSid": sent["sid"],
        "MessageStatus": "undelivered",
        "ErrorCode": "30003",
        "To": zoe.phone,
    }
    assert (await site.sms(report, path="/twilio/status")).status_code == 204
    [row] = await unreachable(site)
    assert (row["error_code"], row["reason"]) == ("30003", "phone off or out of signal")


# -- only people get answers -------------------------------------------------------------------------


@pytest.mark.parametrize("sender", ["VERIFY", "88000", "+44", "Amazon"])
async def test_a_text_from_a_sender_that_is_not_a_phone_number_gets_nothing(site: Site, sender: str) -> None:
    said = await site.sms({"MessageSid": "SM" + "8" * 32, "From": sender, "Body": "Your code is 123456"})
    assert said.status_code == 200 and "<Response></Response>" in said.text
    await site.pool.pool.settle()
    assert site.twilio.sent == [] and await site.pool.pool.store.reader().inbox.items() == []


def _telegram_text(update_id: int, text: str, is_bot: bool = False, forwarded: bool = False) -> dict:
    message = {
        "message_id": update_id, "date": 1_800_000_000, "text": text,
        "chat": {"id": int(ZOE_CHAT), "type": "private", "first_name": "Zoë"},
        "from": {"id": int(ZOE_CHAT), "is_bot": is_bot, "first_name": "Zoë"},
    }  # fmt: skip
    if forwarded:  # Bot API 7: who wrote it first
        message["forward_origin"] = {"type": "user", "date": 1_799_999_000,
                                     "sender_user": {"id": 42, "is_bot": False, "first_name": "Sam"}}  # fmt: skip
    return {"update_id": update_id, "message": message}


async def test_a_forwarded_yes_books_nothing_and_asks_for_the_gps_own_answer(site: Site) -> None:
    await site.pool.gp("Dr Zoë Ng", preferred_channel="telegram", telegram_chat_id=ZOE_CHAT)
    session_id = await post_urgent(site)

    assert (await site.telegram(_telegram_text(9001, "yes", forwarded=True))).status_code == 200
    await site.pool.pool.settle()
    answers = [m["text"] for m in site.telegram_api.sent_to(ZOE_CHAT)[1:]]
    assert answers == ["Please type your answer yourself: I don't act on forwarded messages."]
    seen = (await site.http.get(f"/api/sessions/{session_id}", headers=AUTH)).json()
    assert seen["booked"] is None and seen["offers"][0]["status"] == "open"
    assert await site.pool.pool.store.reader().inbox.items() == []

    await site.telegram(_telegram_text(9002, "yes"))
    await site.pool.pool.settle()
    assert (await site.http.get(f"/api/sessions/{session_id}", headers=AUTH)).json()["booked"] is not None


async def test_a_bots_message_gets_nothing_and_changes_nothing(site: Site) -> None:
    await site.pool.gp("Dr Zoë Ng", preferred_channel="telegram", telegram_chat_id=ZOE_CHAT)
    session_id = await post_urgent(site)
    assert (await site.telegram(_telegram_text(9003, "yes", is_bot=True))).status_code == 200
    await site.pool.pool.settle()
    assert len(site.telegram_api.sent_to(ZOE_CHAT)) == 1, "only the offer itself"
    assert (await site.http.get(f"/api/sessions/{session_id}", headers=AUTH)).json()["booked"] is None
