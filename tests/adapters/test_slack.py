"""Slack, against a fake Web API on a loopback port that records every call, with requests
to /slack/events built in Slack's documented shapes and signed as Slack signs them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from adapters.slack import SlackChannel, SlackDesk
from bot.domain import Member
from bot.outbox import RetryPolicy
from config import load_settings
from main import build_app
from tests.fakes import (
    SLACK_SECRET,
    SLACK_TEAM,
    SLACK_TOKEN,
    FakeSlack,
    slack_json,
    slack_now,
    slack_signature,
)
from tests.harness import Harness, at


class Slack:
    def __init__(self, pool: Harness, fake: FakeSlack, http: httpx.AsyncClient, desk: SlackDesk) -> None:
        self.pool, self.fake, self.http, self.desk = pool, fake, http, desk
        self.channel: SlackChannel = desk.channel
        self._n = 0

    def next_id(self) -> int:
        self._n += 1
        return self._n

    async def settle(self) -> None:
        """The work after each acknowledgement, then the outbox, until nothing is left."""
        for _ in range(5):
            await self.channel.idle()
            await self.pool.pool.settle()
        await self.channel.idle()

    async def post(
        self, body: bytes, content_type: str, timestamp: int | None = None, signature: str | None = None,
        **headers: str,
    ) -> httpx.Response:  # fmt: skip
        stamp = slack_now() if timestamp is None else timestamp
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": signature or slack_signature(body, stamp),
            **headers,
        }
        response = await self.http.post("/slack/events", content=body, headers=sent)
        await self.settle()
        return response

    async def event(self, event: dict, event_id: str | None = None, **headers: str) -> httpx.Response:
        envelope = {
            "token": "legacy-verification-token", "team_id": SLACK_TEAM, "api_app_id": "A0POOL",
            "event": event, "type": "event_callback", "event_id": event_id or f"Ev{self.next_id():08d}",
            "event_time": slack_now(), "authorizations": [{"team_id": SLACK_TEAM, "user_id": "U0BOT", "is_bot": True}],
        }  # fmt: skip
        return await self.post(slack_json(envelope).encode(), "application/json", **headers)

    async def dm(self, user: str, text: str, **kwargs: str) -> httpx.Response:
        ts = f"1700000000.{self.next_id():06d}"
        event = {"type": "message", "channel": "D" + user[1:], "user": user, "text": text, "ts": ts,
                 "event_ts": ts, "channel_type": "im"}  # fmt: skip
        return await self.event(event, **kwargs)

    async def interaction(self, payload: dict) -> httpx.Response:
        return await self.post(
            urlencode({"payload": slack_json(payload)}).encode(), "application/x-www-form-urlencoded"
        )

    def _base(self, user: str) -> dict:
        return {"user": {"id": user, "username": user.lower(), "team_id": SLACK_TEAM}, "api_app_id": "A0POOL",
                "token": "legacy-verification-token", "team": {"id": SLACK_TEAM, "domain": "pool"},
                "trigger_id": f"{self.next_id()}.1234.abcdef", "is_enterprise_install": False}  # fmt: skip

    async def click(self, user: str, message: dict, label: str) -> httpx.Response:
        """Press the button labelled ``label`` on a message the bot posted."""
        actions = next(b for b in message["args"]["blocks"] if b["type"] == "actions")
        button = next(e for e in actions["elements"] if e["text"]["text"] == label)
        payload = {
            **self._base(user), "type": "block_actions",
            "container": {"type": "message", "message_ts": message["ts"], "channel_id": message["channel"], "is_ephemeral": False},
            "channel": {"id": message["channel"], "name": "directmessage"},
            "message": {"type": "message", "ts": message["ts"], "text": message["args"]["text"], "blocks": message["args"]["blocks"]},
            "response_url": f"{self.fake.url}/response/{self.next_id()}",
            "actions": [{"action_id": button["action_id"], "block_id": actions.get("block_id", "b"), "text": button["text"],
                         "value": button["value"], "type": "button", "action_ts": f"1700000001.{self.next_id():06d}"}],
        }  # fmt: skip
        return await self.interaction(payload)

    async def command(self, user: str, text: str) -> httpx.Response:
        form = {
            "token": "legacy-verification-token", "team_id": SLACK_TEAM, "team_domain": "pool", "channel_id": "C0DESK",
            "channel_name": "desk", "user_id": user, "user_name": user.lower(), "command": "/pool", "text": text,
            "api_app_id": "A0POOL", "is_enterprise_install": "false",
            "response_url": f"{self.fake.url}/response/{self.next_id()}", "trigger_id": f"{self.next_id()}.1234.abcdef",
        }  # fmt: skip
        return await self.post(urlencode(form).encode(), "application/x-www-form-urlencoded")

    async def submit(self, user: str, view: dict, values: dict) -> httpx.Response:
        state = {"values": {block: {"value": value} for block, value in values.items()}}
        payload = {**self._base(user), "type": "view_submission",
                   "view": {**view, "id": "V0VIEW", "state": state, "hash": "1.abc"}, "response_urls": []}  # fmt: skip
        return await self.interaction(payload)


@contextlib.asynccontextmanager
async def open_slack(folder: Path) -> AsyncIterator[Slack]:
    fake = await FakeSlack().start()
    env = {
        "SLACK_BOT_TOKEN": SLACK_TOKEN,
        "SLACK_SIGNING_SECRET": SLACK_SECRET,
        "SLACK_API_BASE": fake.api_base,
    }
    pool = await Harness.open(folder, **env)
    settings = load_settings({"POOL_DATABASE": str(pool.database), **env})
    app = build_app(pool.pool, "token", settings=settings)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://pool.example.org"
        ) as http:
            yield Slack(pool, fake, http, app.state.slack_desk)
    finally:
        await pool.close()
        await fake.stop()


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[Slack]:
    async with open_slack(tmp_path) as opened:
        await opened.pool.practice(name="St Mary’s Surgery", address="1 Church Lane, Northside NS2 4CD")
        yield opened


async def gp_on_slack(slack: Slack, user: str, name: str = "") -> Member:
    return await slack.pool.gp(name or f"Dr {user}", preferred_channel="slack", slack_user_id=user)


def texts(blocks: list[dict]) -> str:
    """Every piece of text in some blocks, as a person would read them."""
    found = []
    for block in blocks:
        if "text" in block and isinstance(block["text"], dict):
            found.append(block["text"]["text"])
        found.extend(f["text"] for f in block.get("fields", []))
        found.extend(
            e["text"]["text"] if isinstance(e.get("text"), dict) else e.get("text", "")
            for e in block.get("elements", [])
        )
    return "\n".join(found)


# -- GPs -------------------------------------------------------------------------------------------


async def test_an_offer_is_a_dm_with_fields_and_buttons_and_accept_books_it_in_place(slack: Slack) -> None:
    zoe = await gp_on_slack(slack, "U0ZOE")
    session = await slack.pool.post(urgent=True)
    await slack.settle()
    offer = slack.fake.message("U0ZOE")
    blocks = offer["args"]["blocks"]
    fields = next(b for b in blocks if "fields" in b)["fields"]
    assert any("St Mary’s Surgery" in f["text"] for f in fields) and any("£" in f["text"] for f in fields)
    assert [e["text"]["text"] for e in blocks[-1]["elements"]] == ["Accept", "Decline"]

    assert (await slack.click("U0ZOE", offer, "Accept")).status_code == 200

    assert (await slack.pool.view(session)).booked.id == zoe.id
    [update] = slack.fake.updates_of(offer["channel"], offer["ts"])
    assert update["text"].startswith("Booked: St Mary’s Surgery")
    assert "1 Church Lane" in texts(update["blocks"]) and "Accept" not in texts(update["blocks"])
    later = [m["text"] for m in slack.fake.posted_to("U0ZOE")[1:]]
    assert later == ["First time at St Mary’s Surgery: Park in bay 4."], (
        "the answer shows in place; only the first-visit information pack is a new message"
    )


async def test_decline_by_button_edits_the_offer(slack: Slack) -> None:
    await gp_on_slack(slack, "U0ZOE")
    session = await slack.pool.post(urgent=True)
    await slack.settle()
    offer = slack.fake.message("U0ZOE")
    await slack.click("U0ZOE", offer, "Decline")
    [update] = slack.fake.updates_of(offer["channel"], offer["ts"])
    assert "declined" in update["text"] and "actions" not in [b["type"] for b in update["blocks"]]
    assert (await slack.pool.view(session)).booked is None


async def test_two_gps_clicking_accept_at_once_make_one_booking_and_the_rest_see_filled(slack: Slack) -> None:
    users = [f"U0GP{n}" for n in range(4)]
    for user in users:
        await gp_on_slack(slack, user)
    session = await slack.pool.post(urgent=True)
    await slack.settle()
    offers = {user: slack.fake.message(user) for user in users}

    first, second = await asyncio.gather(
        slack.click(users[0], offers[users[0]], "Accept"), slack.click(users[1], offers[users[1]], "Accept")
    )

    assert first.status_code == second.status_code == 200
    view = await slack.pool.view(session)
    assert view.booked is not None and view.booked.slack_user_id in users[:2]
    outcomes = {u: slack.fake.updates_of(offers[u]["channel"], offers[u]["ts"])[-1]["text"] for u in users}
    assert sorted(o.split(":")[0] for o in outcomes.values() if o.startswith("Booked")) == ["Booked"]
    loser = users[1] if view.booked.slack_user_id == users[0] else users[0]
    assert "already been filled" in outcomes[loser]
    for holder in users[2:]:
        assert "has been filled" in outcomes[holder], "every other GP's offer now says filled"


async def test_typed_replies_in_the_dm_are_understood_like_texts(slack: Slack) -> None:
    zoe = await gp_on_slack(slack, "U0ZOE")
    session = await slack.pool.post(urgent=True)
    await slack.settle()
    code = await slack.pool.offer_code(zoe, session)
    await slack.dm("U0ZOE", f"yes please {code}")
    assert (await slack.pool.view(session)).booked.id == zoe.id
    assert slack.fake.posted_to("U0ZOE")[-2]["text"].startswith("Booked:"), "a typed reply gets a new message"
    await slack.dm("U0ZOE", "yes &amp; thanks?")
    assert slack.fake.posted_to("U0ZOE")[-1]["text"] != "", "always an answer, never silence"


async def test_a_retried_event_has_one_effect(slack: Slack) -> None:
    zoe = await gp_on_slack(slack, "U0ZOE")
    session = await slack.pool.post(urgent=True)
    await slack.settle()
    code = await slack.pool.offer_code(zoe, session)
    ts = "1700000000.999999"
    event = {"type": "message", "channel": "D0ZOE", "user": "U0ZOE", "text": f"NO {code}", "ts": ts,
             "event_ts": ts, "channel_type": "im"}  # fmt: skip
    await slack.event(event, event_id="Ev0RETRY")
    before = len(slack.fake.posted_to("U0ZOE"))
    again = await slack.event(
        event, event_id="Ev0RETRY", **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert again.status_code == 200
    assert len(slack.fake.posted_to("U0ZOE")) == before, "the retry changed nothing and said nothing"


async def test_forged_and_stale_signatures_are_refused(slack: Slack) -> None:
    await gp_on_slack(slack, "U0ZOE")
    body = slack_json({"type": "event_callback", "event_id": "Ev0FORGED", "team_id": SLACK_TEAM,
                       "event": {"type": "message", "channel": "D0ZOE", "user": "U0ZOE", "text": "STOP",
                                 "ts": "1.1", "channel_type": "im"}}).encode()  # fmt: skip
    forged = await slack.post(
        body, "application/json", signature=slack_signature(body, slack_now(), "wrong-secret")
    )
    stale_time = slack_now() - 6 * 60
    stale = await slack.post(
        body, "application/json", timestamp=stale_time, signature=slack_signature(body, stale_time)
    )
    missing = await slack.http.post(
        "/slack/events", content=body, headers={"Content-Type": "application/json"}
    )
    assert {forged.status_code, stale.status_code, missing.status_code} == {401}
    member = await slack.pool.pool.store.reader().members.member_by_address("slack", "U0ZOE")
    assert member is not None and not member.opted_out and slack.fake.posted == []


async def test_app_home_shows_bookings_and_offers_with_buttons(slack: Slack) -> None:
    zoe = await gp_on_slack(slack, "U0ZOE")
    booked = await slack.pool.post(urgent=True)
    await slack.settle()
    await slack.dm("U0ZOE", f"YES {await slack.pool.offer_code(zoe, booked)}")
    await slack.pool.post(start=booked.starts_at + timedelta(days=1), urgent=True)
    await slack.settle()
    assert slack.fake.called("views.publish") == [], "not published to anyone until they open it"

    await slack.event({"type": "app_home_opened", "user": "U0ZOE", "channel": "D0ZOE", "tab": "home",
                       "event_ts": "1700000002.000001"})  # fmt: skip

    [published] = slack.fake.called("views.publish")
    assert published["user_id"] == "U0ZOE" and published["view"]["type"] == "home"
    shown = texts(published["view"]["blocks"])
    assert "Your bookings" in shown and "Booked: St Mary’s Surgery" in shown and "1 Church Lane" in shown
    buttons = [e for b in published["view"]["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == ["Accept", "Decline", "Open sessions you can take"]


async def test_someone_not_in_the_pool_is_told_to_ask_their_coordinator_and_nothing_else(
    slack: Slack,
) -> None:
    await slack.dm("U0STRANGER", "hello, any sessions?")
    [reply] = slack.fake.posted_to("U0STRANGER")
    assert "ask your pool coordinator to add you" in reply["text"] and "number" not in reply["text"]
    await slack.command("U0STRANGER", "post")
    assert "coordinator to add you" in slack.fake.responses[-1]["text"]
    assert slack.fake.called("views.open") == []


async def test_a_member_who_writes_is_linked_by_the_email_on_their_slack_profile(slack: Slack) -> None:
    # Fifty unlinked members with emails ahead of her: she is found directly, not by a sweep.
    for n in range(50):
        await slack.pool.gp(f"Dr Other {n}", email=f"other{n}@example.nhs.uk")
    zoe = await slack.pool.gp("Dr Zoë", email="Zoe@Example.nhs.uk", preferred_channel="slack")
    slack.fake.emails["zoe@example.nhs.uk"] = "U0ZOE"
    await slack.dm("U0ZOE", "OFFERS")
    assert (await slack.pool.pool.store.reader().members.member(zoe.id)).slack_user_id == "U0ZOE"
    assert "open offers" in slack.fake.posted_to("U0ZOE")[-1]["text"]
    await slack.dm("U0ZOE", "BOOKINGS")
    assert len(slack.fake.called("users.info")) == 1, "once linked, never asked again"


async def test_members_who_have_not_written_are_linked_by_email_once(slack: Slack) -> None:
    zoe = await slack.pool.gp("Dr Zoë", email="zoe@example.nhs.uk", preferred_channel="slack")
    await slack.pool.gp("Dr Other", email="other@example.nhs.uk")
    slack.fake.emails["zoe@example.nhs.uk"] = "U0ZOE"
    assert await slack.desk.link_by_email() == 1
    assert (await slack.pool.pool.store.reader().members.member(zoe.id)).slack_user_id == "U0ZOE"
    await slack.pool.post(urgent=True)
    await slack.settle()
    assert slack.fake.message("U0ZOE")["args"]["text"].startswith("URGENT"), "her offers now come on Slack"
    assert len(slack.fake.called("users.lookupByEmail")) == 2
    assert await slack.desk.link_by_email() == 0
    assert len(slack.fake.called("users.lookupByEmail")) == 2, "each email is looked up once a day at most"
    await slack.pool.advance(days=1, minutes=1)
    await slack.desk.link_by_email()
    assert len(slack.fake.called("users.lookupByEmail")) == 3, "the miss is tried again a day later"


# -- coordinators ------------------------------------------------------------------------------------


async def coordinator(slack: Slack, user: str = "U0COORD") -> Member:
    return await slack.pool.member(
        "Sam Coordinator", roles=("coordinator",), preferred_channel="slack", slack_user_id=user
    )


async def test_a_coordinator_posts_through_the_modal_and_hears_when_it_fills(slack: Slack) -> None:
    await coordinator(slack)
    for user in ("U0GP1", "U0GP2"):
        await gp_on_slack(slack, user)
    await slack.command("U0COORD", "post")
    [opened] = slack.fake.called("views.open")
    view = opened["view"]
    assert view["callback_id"] == "post_session"
    rate = next(b for b in view["blocks"] if b["block_id"] == "rate")["element"]["initial_value"]
    assert rate == "320", "prefilled from the pool's default"
    day = (slack.pool.tomorrow).isoformat()
    values = {
        "practice": {"type": "static_select", "selected_option": {"value": "X10001"}},
        "date": {"type": "datepicker", "selected_date": day},
        "start": {"type": "timepicker", "selected_time": "08:30"},
        "end": {"type": "timepicker", "selected_time": "12:30"},
        "rate": {"type": "plain_text_input", "value": "£350"},
        "urgent": {"type": "checkboxes", "selected_options": [{"value": "urgent"}]},
        "notes": {"type": "plain_text_input", "value": "Duty doctor"},
    }
    answer = await slack.submit("U0COORD", view, values)
    assert answer.status_code == 200 and answer.content in (b"", b"{}")
    assert "Offered to 2 GPs" in slack.fake.posted_to("U0COORD")[-1]["text"]
    offer = slack.fake.message("U0GP1")
    assert "£350" in texts(offer["args"]["blocks"]) and "Duty doctor" in texts(offer["args"]["blocks"])

    await slack.click("U0GP1", offer, "Accept")

    assert (
        "has been filled"
        in slack.fake.updates_of(slack.fake.message("U0GP2")["channel"], slack.fake.message("U0GP2")["ts"])[
            -1
        ]["text"]
    )
    assert any("Dr U0GP1" in m["text"] for m in slack.fake.posted_to("U0COORD")), "the poster is told who"


async def test_modal_validation_errors_are_shown_in_the_modal(slack: Slack) -> None:
    await coordinator(slack)
    await slack.command("U0COORD", "post")
    view = slack.fake.called("views.open")[0]["view"]
    values = {
        "practice": {"type": "static_select", "selected_option": {"value": "X10001"}},
        "date": {"type": "datepicker", "selected_date": slack.pool.tomorrow.isoformat()},
        "start": {"type": "timepicker", "selected_time": "12:30"},
        "end": {"type": "timepicker", "selected_time": "08:30"},
        "rate": {"type": "plain_text_input", "value": "320"},
        "urgent": {"type": "checkboxes", "selected_options": []},
        "notes": {"type": "plain_text_input", "value": None},
    }
    answer = await slack.submit("U0COORD", view, values)
    assert answer.json() == {
        "response_action": "errors",
        "errors": {"end": "A session can be at most 14 hours long."},
    }
    values["end"] = {"type": "timepicker", "selected_time": "17:30"}
    values["rate"] = {"type": "plain_text_input", "value": "three hundred"}
    answer = await slack.submit("U0COORD", view, values)
    assert answer.json()["errors"] == {"rate": "Give the rate in pounds, like 320 or 320.50."}
    for bad in ("-320", "Infinity"):
        values["rate"] = {"type": "plain_text_input", "value": bad}
        answer = await slack.submit("U0COORD", view, values)
        assert answer.status_code == 200 and list(answer.json()["errors"]) == ["rate"]
    for bad, shown in (("3.20", "£3.20"), ("32,000", "£32,000")):  # a GP session's pay range
        values["rate"] = {"type": "plain_text_input", "value": bad}
        answer = await slack.submit("U0COORD", view, values)
        assert answer.json()["errors"] == {
            "rate": f"A GP session pays £100 to £1,000 here: {shown} is outside that."
        }
    assert (
        await slack.pool.pool.store.reader().sessions.sessions_between(
            slack.pool.clock.now(), slack.pool.clock.now() + timedelta(days=30)
        )
        == []
    ), "nothing was posted"


async def test_an_overnight_session_ends_the_next_morning(slack: Slack) -> None:
    await coordinator(slack)
    await slack.command("U0COORD", "post")
    view = slack.fake.called("views.open")[0]["view"]
    values = {
        "practice": {"type": "static_select", "selected_option": {"value": "X10001"}},
        "date": {"type": "datepicker", "selected_date": slack.pool.tomorrow.isoformat()},
        "start": {"type": "timepicker", "selected_time": "18:30"},
        "end": {"type": "timepicker", "selected_time": "08:00"},
        "rate": {"type": "plain_text_input", "value": "500"},
        "urgent": {"type": "checkboxes", "selected_options": []},
        "notes": {"type": "plain_text_input", "value": None},
    }
    assert (await slack.submit("U0COORD", view, values)).content in (b"", b"{}")
    [session] = await slack.pool.pool.store.reader().sessions.sessions_between(
        slack.pool.clock.now(), slack.pool.clock.now() + timedelta(days=3)
    )
    assert session.hours == 13.5 and session.ends_at.date() > session.starts_at.date()


async def test_a_gp_running_pool_post_is_refused_politely(slack: Slack) -> None:
    await gp_on_slack(slack, "U0ZOE")
    for text in ("post", "urgent ABCD", "status", "inbox"):
        await slack.command("U0ZOE", text)
        assert "only the pool's coordinators" in slack.fake.responses[-1]["text"]
        assert slack.fake.responses[-1]["response_type"] == "ephemeral"
    assert slack.fake.called("views.open") == []


async def test_urgent_status_cancel_and_book_from_slack(slack: Slack) -> None:
    await coordinator(slack)
    zoe = await gp_on_slack(slack, "U0ZOE", "Dr Zoë Smith")
    await gp_on_slack(slack, "U0ALI", "Dr Ali Khan")
    session = await slack.pool.post()
    await slack.settle()
    await slack.command("U0COORD", "status")
    status = slack.fake.responses[-1]["text"]
    assert session.code in status and "not answered" in status and "Dr Zoë Smith" in status
    await slack.command("U0COORD", f"urgent {session.code}")
    assert f"{session.code} is now urgent" in slack.fake.responses[-1]["text"]
    await slack.command("U0COORD", f"book {session.code} <@U0ZOE|zoe>")
    assert "Booked Dr Zoë Smith" in slack.fake.responses[-1]["text"]
    assert (await slack.pool.view(session)).booked.id == zoe.id
    await slack.command("U0COORD", f"cancel {session.code} Practice closed")
    assert "Cancelled" in slack.fake.responses[-1]["text"]
    assert "cancelled" in slack.fake.posted_to("U0ZOE")[-1]["text"], "the booked GP is told"


async def test_the_inbox_from_slack_answers_and_marks_done(slack: Slack) -> None:
    await coordinator(slack)
    await gp_on_slack(slack, "U0ZOE")
    await slack.dm("U0ZOE", "Can I bring my dog?")
    await slack.command("U0COORD", "inbox")
    listing = slack.fake.responses[-1]
    assert "Can I bring my dog?" in texts(listing["blocks"])
    buttons = next(b for b in listing["blocks"] if b["type"] == "actions")
    item_id = buttons["elements"][0]["value"]
    payload = {**slack._base("U0COORD"), "type": "block_actions", "container": {"type": "message", "is_ephemeral": True},
               "response_url": f"{slack.fake.url}/response/99",
               "actions": [{"action_id": "inbox_answer", "block_id": buttons["block_id"], "value": item_id,
                            "type": "button", "action_ts": "1700000003.000001", "text": {"type": "plain_text", "text": "Answer"}}]}  # fmt: skip
    await slack.interaction(payload)
    modal = slack.fake.called("views.open")[-1]["view"]
    await slack.submit(
        "U0COORD", modal, {"answer": {"type": "plain_text_input", "value": "Sadly not, sorry!"}}
    )
    assert "Sadly not, sorry!" in slack.fake.posted_to("U0ZOE")[-1]["text"]
    assert await slack.pool.pool.store.reader().inbox.items("open") == []


# -- limits ------------------------------------------------------------------------------------------


async def test_a_429_is_waited_out_then_sent(slack: Slack) -> None:
    await gp_on_slack(slack, "U0ZOE")
    slack.fake.script["chat.postMessage"] = [
        (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "30"})
    ]
    await slack.pool.post(urgent=True)
    await slack.settle()
    assert len(slack.fake.called("chat.postMessage")) == 1 and slack.fake.posted == []
    await slack.pool.advance(seconds=29)
    await slack.settle()
    assert len(slack.fake.called("chat.postMessage")) == 1
    await slack.pool.advance(seconds=1)
    await slack.settle()
    assert (
        len(slack.fake.called("chat.postMessage")) == 2
        and slack.fake.posted[-1]["args"]["channel"] == "U0ZOE"
    )


async def test_an_error_that_will_not_change_fails_the_message_with_its_reason(slack: Slack) -> None:
    await gp_on_slack(slack, "U0GONE")
    slack.pool.pool.dispatcher.retry = RetryPolicy(max_attempts=2)
    slack.fake.script["chat.postMessage"] = [(200, {"ok": False, "error": "user_not_found"}, {})]
    await slack.pool.post(urgent=True)
    await slack.settle()
    [(change, member, _)] = await slack.pool.pool.store.undelivered(
        slack.pool.clock.now() - timedelta(days=1)
    )
    assert member.slack_user_id == "U0GONE" and change.status == "failed"


def test_the_manifest_points_every_url_at_the_public_url() -> None:
    from typer.testing import CliRunner

    from main import cli

    result = CliRunner().invoke(
        cli, ["slack", "manifest"], env={"POOL_PUBLIC_URL": "https://pool.nhs.example", "POOL_SANDBOX": "on"}
    )
    assert result.exit_code == 0, result.output
    urls = [
        line.split('"')[1]
        for line in result.output.splitlines()
        if line.strip().startswith(("url:", "request_url:"))
    ]
    assert urls == ["https://pool.nhs.example/slack/events"] * 3
    for scope in ("chat:write", "commands", "im:history", "users:read.email"):
        assert f"- {scope}" in result.output
    assert "app_home_opened" in result.output and "message.im" in result.output


async def test_the_poster_hears_when_the_session_is_still_open_as_its_start_nears(slack: Slack) -> None:
    sam = await coordinator(slack)
    await gp_on_slack(slack, "U0ZOE")
    session = await slack.pool.post(start=slack.pool.clock.now() + timedelta(days=3), posted_by=sam)
    await slack.settle()
    await slack.pool.advance(days=2, hours=-0.5)
    await slack.settle()
    assert not any("Still open" in m["text"] for m in slack.fake.posted_to("U0COORD"))
    await slack.pool.advance(hours=1)
    await slack.settle()
    alert = slack.fake.message("U0COORD")
    assert (
        alert["args"]["text"].startswith("Still open: St Mary’s Surgery")
        and session.code in alert["args"]["text"]
    )
    await slack.click("U0COORD", alert, "Offer to everyone")
    assert f"{session.code} is now urgent" in slack.fake.posted_to("U0COORD")[-1]["text"]


async def test_slacks_url_check_is_answered_with_its_challenge(slack: Slack) -> None:
    body = slack_json({"token": "legacy", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                       "type": "url_verification"}).encode()  # fmt: skip
    answer = await slack.post(body, "application/json")
    assert answer.status_code == 200
    assert answer.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


async def test_a_refused_request_does_not_put_what_was_said_in_the_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")  # as `serve` logs, set before the app is built
    body = slack_json({"type": "event_callback", "event_id": "Ev0LOG", "team_id": SLACK_TEAM,
                       "event": {"type": "message", "user": "U0ZOE", "text": "I feel awful today",
                                 "channel_type": "im", "ts": "1.2"}}).encode()  # fmt: skip
    async with open_slack(tmp_path) as slack:
        refused = await slack.post(body, "application/json", signature="v0=forged")
    assert refused.status_code == 401
    assert "I feel awful today" not in caplog.text


async def test_desk_text_arrives_as_typed_not_as_slacks_escapes(slack: Slack) -> None:
    await coordinator(slack)
    zoe = await gp_on_slack(slack, "U0ZOE", "Dr Zoë Smith")
    session = await slack.pool.post()
    await slack.command("U0COORD", f"book {session.code} <@U0ZOE|zoe>")
    assert (await slack.pool.view(session)).booked.id == zoe.id
    await slack.command("U0COORD", f"cancel {session.code} A&amp;E cover &lt;urgent&gt;")
    assert "A&E cover <urgent>" in slack.fake.posted_to("U0ZOE")[-1]["text"]


async def test_pressing_accept_again_keeps_the_booked_message_and_its_address(slack: Slack) -> None:
    await gp_on_slack(slack, "U0ZOE")
    await slack.pool.post(urgent=True)
    await slack.settle()
    offer = slack.fake.message("U0ZOE")
    await slack.click("U0ZOE", offer, "Accept")
    await slack.click("U0ZOE", offer, "Accept")  # a double tap, before the edit showed
    [update] = slack.fake.updates_of(offer["channel"], offer["ts"])
    assert update["text"].startswith("Booked:") and "1 Church Lane" in texts(update["blocks"])
    assert "already booked" in slack.fake.posted_to("U0ZOE")[-1]["text"]


async def test_someone_not_in_the_pool_is_looked_up_once_not_on_every_message(slack: Slack) -> None:
    for text in ("hello?", "anyone?", "hello again"):
        await slack.dm("U0STRANGER", text)
    assert len(slack.fake.called("users.info")) == 1


async def test_the_post_form_asks_who_the_session_is_for(slack: Slack) -> None:
    await coordinator(slack)
    await gp_on_slack(slack, "U0GP1")
    nurse = await slack.pool.member(
        "Nia Evans", profession="practice_nurse", preferred_channel="slack", slack_user_id="U0NURSE"
    )
    await slack.command("U0COORD", "post")
    view = slack.fake.called("views.open")[0]["view"]
    who = next(b for b in view["blocks"] if b["block_id"] == "professions")["element"]
    assert who["type"] == "multi_static_select" and [o["value"] for o in who["initial_options"]] == ["gp"]
    assert {"gp", "practice_nurse", "clinical_pharmacist"} <= {o["value"] for o in who["options"]}
    values = {
        "practice": {"type": "static_select", "selected_option": {"value": "X10001"}},
        "date": {"type": "datepicker", "selected_date": slack.pool.tomorrow.isoformat()},
        "start": {"type": "timepicker", "selected_time": "09:00"},
        "end": {"type": "timepicker", "selected_time": "12:30"},
        "professions": {"type": "multi_static_select", "selected_options": [{"value": "practice_nurse"}]},
        "rate": {"type": "plain_text_input", "value": "150"},
    }
    assert (await slack.submit("U0COORD", view, values)).status_code == 200
    assert slack.fake.posted_to("U0GP1") == [], "a GP is not offered a nurse session"
    [offer] = slack.fake.posted_to(nurse.slack_user_id)
    assert offer["text"].startswith("Practice nurse session at")

    values["rate"] = {"type": "plain_text_input", "value": "2000"}
    refused = await slack.submit("U0COORD", view, values)
    assert "£600" in refused.json()["errors"]["rate"], "the pay range is the profession's"


async def test_a_session_posted_at_night_says_when_its_offers_will_go(slack: Slack) -> None:
    await coordinator(slack)
    await gp_on_slack(slack, "U0GP1")
    slack.pool.clock.set(at(slack.pool.today, 22, 0))
    await slack.command("U0COORD", "post")
    view = slack.fake.called("views.open")[0]["view"]
    values = {
        "practice": {"type": "static_select", "selected_option": {"value": "X10001"}},
        "date": {"type": "datepicker", "selected_date": (slack.pool.today + timedelta(days=2)).isoformat()},
        "start": {"type": "timepicker", "selected_time": "09:00"},
        "end": {"type": "timepicker", "selected_time": "13:00"},
        "rate": {"type": "plain_text_input", "value": "320"},
    }
    assert (await slack.submit("U0COORD", view, values)).status_code == 200
    told = slack.fake.posted_to("U0COORD")
    assert told, "the poster hears at once: they have just posted it"
    assert "It's quiet hours, so the offers wait until 07:30 on Wed 2 Dec." in told[-1]["text"]
    assert slack.fake.posted_to("U0GP1") == [], "the GP is not woken"
