"""What a stranger can send, through the HTTP app with every channel on: bodies bounded while
they stream, authentication before parsing, no 5xx, exports safe for spreadsheets, and a log
that cannot be flooded. (The property test that throws generated requests at every route is
in tests/http/test_abuse_property.py; the memory under real uploads is bench/uploads.py.)"""

from __future__ import annotations

import asyncio
import csv
import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from typer.testing import CliRunner

from main import cli
from tests.fakes import (
    SLACK_SECRET,
    SLACK_TOKEN,
    TELEGRAM_SECRET,
    FakeSlack,
    slack_json,
    slack_now,
)
from tests.harness import AUTH, at
from tests.site import Site, open_site

KB = 1024
MB = 1024 * KB


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with open_site(tmp_path) as opened:
        yield opened


# -- driving the app as a server does, chunk by chunk ---------------------------------------------


@dataclass
class Upload:
    """A request fed to the app one chunk at a time, counting what the app asked to read."""

    status: int | None = None
    headers: dict[str, str] | None = None
    read: int = 0
    sent_anything: bool = False


async def upload(
    app: object, path: str, chunks: Iterator[bytes], headers: dict[str, str] | None = None,
    method: str = "POST", disconnect_after: int | None = None,
) -> Upload:  # fmt: skip
    """``chunks`` arrive as the app reads them (a 40 MB upload is never built in memory);
    ``disconnect_after``: the client goes away after that many chunks."""
    done = Upload()
    given = 0
    pending = next(chunks, None)

    async def receive() -> dict:
        nonlocal pending, given
        if pending is None or (disconnect_after is not None and given >= disconnect_after):
            return {"type": "http.disconnect"}
        chunk, pending = pending, next(chunks, None)
        given += 1
        done.read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": pending is not None}

    async def send(message: dict) -> None:
        done.sent_anything = True
        if message["type"] == "http.response.start":
            done.status = message["status"]
            done.headers = {k.decode(): v.decode() for k, v in message["headers"]}

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "https",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "server": ("pool.example.org", 443), "client": ("203.0.113.9", 40000),
    }  # fmt: skip
    await app(scope, receive, send)  # type: ignore[operator]
    return done


def forty_megabytes(chunk: int = 64 * KB) -> Iterator[bytes]:
    block = b"A" * chunk
    for _ in range(40 * MB // chunk):
        yield block


ROUTES = [
    # path, the body limit, what a caller with the right credentials adds
    ("/twilio/sms", 64 * KB, {}),
    ("/twilio/status", 64 * KB, {}),
    ("/slack/events", 64 * KB, {}),
    ("/telegram/webhook", 64 * KB, {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}),
    ("/api/sessions", MB, AUTH),
    ("/sandbox/inbound", MB, AUTH),
]


# -- 1. bodies bounded while they stream -----------------------------------------------------------


@pytest.mark.parametrize(("path", "limit", "credentials"), ROUTES)
async def test_a_declared_body_over_the_limit_is_refused_before_a_byte_is_read(
    site: Site, path: str, limit: int, credentials: dict
) -> None:
    headers = {**credentials, "Content-Length": str(40 * MB), "Content-Type": "application/json"}
    done = await upload(site.app, path, forty_megabytes(), headers)
    assert done.status == 413 and done.read == 0
    assert done.headers and done.headers["connection"] == "close", "the rest of the upload is never read"


@pytest.mark.parametrize(("path", "limit", "credentials"), ROUTES)
async def test_a_streamed_body_is_cut_off_as_it_passes_the_limit(
    site: Site, path: str, limit: int, credentials: dict
) -> None:
    """No Content-Length (chunked): the guard counts as it reads and stops at the limit."""
    done = await upload(
        site.app, path, forty_megabytes(), {**credentials, "Content-Type": "application/json"}
    )
    assert done.status == 413
    assert limit < done.read <= limit + 64 * KB, f"read {done.read} bytes of 40 MB"


async def test_bodies_within_the_limits_are_still_served(site: Site) -> None:
    gp = await site.pool.gp("Dr Zoë Ng")
    session = await site.pool.post(urgent=True)
    code = await site.pool.offer_code(gp, session)
    padding = "x" * (60 * KB)  # Twilio sends a few KB; 60 KB is near the 64 KB limit
    said = await site.sms(
        {"MessageSid": "SM" + "1" * 32, "From": gp.phone, "Body": f"YES {code}", "Padding": padding}
    )
    assert said.status_code == 200 and "<Response>" in said.text
    assert (await site.pool.view(session)).booked.id == gp.id

    body = {
        "practice": "X10001", "start": at(site.pool.tomorrow, 13, 30).isoformat(),
        "end": at(site.pool.tomorrow, 17, 30).isoformat(), "rate_pence": 32000, "notes": "",
    }  # fmt: skip
    padded = json.dumps(body) + " " * (900 * KB)  # JSON allows trailing whitespace
    created = await site.http.post(
        "/api/sessions", content=padded, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert created.status_code == 201


async def test_a_client_that_drops_an_upload_gets_no_answer_and_no_log_line(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    done = await upload(site.app, "/twilio/sms", forty_megabytes(chunk=16 * KB), disconnect_after=3)
    assert not done.sent_anything and done.read == 3 * 16 * KB
    assert not [
        r for r in caplog.records if r.levelno >= logging.INFO and r.name.startswith(("bot", "adapters"))
    ]


# -- 2. authentication before parsing ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/sessions", "/sandbox/inbound", "/api/costs"])
async def test_strangers_get_401_before_the_api_reads_their_body(site: Site, path: str) -> None:
    done = await upload(site.app, path, iter([b"{not json at all"]), {"Content-Type": "application/json"})
    assert done.status == 401 and done.read == 0, "no body read, so no parsing work for a stranger"
    wrong = await site.http.post(path, content=b"{not json", headers={"Authorization": "Bearer guess"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"


async def test_forged_webhooks_are_refused_on_their_headers_and_raw_bytes(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    gp = await site.pool.gp()
    unsigned = await site.http.post(
        "/twilio/sms", content=b"\x00\xff garbage", headers={"X-Twilio-Signature": "x"}
    )
    assert unsigned.status_code == 403
    forged_form = {"MessageSid": "SM" + "2" * 32, "From": gp.phone, "Body": "YES"}
    forged = await site.http.post("/twilio/sms", data=forged_form, headers={"X-Twilio-Signature": "AAAA"})
    assert forged.status_code == 403

    assert (await site.slack_raw(b"not json", signed=False)).status_code == 401
    assert (await site.slack_raw(b"{}", timestamp="soon", signed=False)).status_code == 401
    stale = str(slack_now() - 600)
    assert (await site.slack_raw(b"{}", timestamp=stale)).status_code == 401, "outside Slack's 5 minutes"
    assert (await site.telegram(b"\xff not json", secret="guess")).status_code == 403
    assert (await site.telegram({"update_id": 1}, secret="")).status_code == 403

    assert (
        await site.pool.pool.store.reader().messages.messages_to(
            "sandbox", gp.phone, 0, site.pool.clock.now()
        )
        == []
    )
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# -- 3. no 5xx from anything a client sends ---------------------------------------------------------

SIGNED_BUT_MALFORMED_SLACK = [
    ("not JSON", b"{not json", "application/json"),
    ("a list", b"[1, 2]", "application/json"),
    ("a string", b'"event"', "application/json"),
    ("an event that is a string", b'{"type": "event_callback", "event": "message"}', "application/json"),
    ("a DM without a user", slack_json({"type": "event_callback", "event_id": "Ev1", "team_id": "T0POOL",
     "event": {"type": "message", "channel_type": "im", "text": "yes"}}).encode(), "application/json"),
    ("a DM without an event_id", slack_json({"type": "event_callback", "team_id": "T0POOL",
     "event": {"type": "message", "channel_type": "im", "user": "U0ZOE", "text": "yes"}}).encode(), "application/json"),
    ("a payload that is not JSON", b"payload=%7Bnope", "application/x-www-form-urlencoded"),
    ("a payload that is a list", b"payload=%5B%5D", "application/x-www-form-urlencoded"),
    ("a button press without a user", urlencode({"payload": slack_json({"type": "block_actions", "team": {"id": "T0POOL"},
     "actions": [{"action_id": "choice-0", "value": "YES 1234", "action_ts": "1.2"}]})}).encode(),
     "application/x-www-form-urlencoded"),
    ("a button press whose user is a string", urlencode({"payload": slack_json({"type": "block_actions", "user": "U0ZOE",
     "team": {"id": "T0POOL"}, "actions": [{"action_id": "choice-0", "value": "YES 1234", "action_ts": "1.2"}]})}).encode(),
     "application/x-www-form-urlencoded"),
    ("an inbox answer for item 'abc'", urlencode({"payload": slack_json({"type": "view_submission", "user": {"id": "U0ZOE"},
     "team": {"id": "T0POOL"}, "view": {"callback_id": "inbox-answer", "private_metadata": "abc", "state": {"values": {}}}})}).encode(),
     "application/x-www-form-urlencoded"),
    ("a slash command without a user", urlencode({"command": "/pool", "text": "status", "team_id": "T0POOL"}).encode(),
     "application/x-www-form-urlencoded"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "body", "content_type"), SIGNED_BUT_MALFORMED_SLACK)
async def test_signed_but_malformed_slack_requests_are_400_in_one_line(
    site: Site, caplog: pytest.LogCaptureFixture, what: str, body: bytes, content_type: str
) -> None:
    caplog.set_level(logging.INFO)
    response = await site.slack_raw(body, content_type)
    assert response.status_code == 400, what
    ours = [r for r in caplog.records if r.name.startswith(("bot", "adapters"))]
    assert len(ours) <= 2 and not any(r.exc_info for r in ours), "one line, no traceback"


def _message(**fields: object) -> dict:
    return {"message_id": 7, "date": 1_800_000_000, "chat": {"id": 555, "type": "private", "first_name": "Zoë"},
            "from": {"id": 555, "is_bot": False, "first_name": "Zoë"}, "text": "yes", **fields}  # fmt: skip


UNREADABLE_TELEGRAM = [
    ("from without is_bot", {"message": _message(**{"from": {"id": 555, "first_name": "Zoë"}})}),
    ("message as a string", {"message": "yes"}),
    ("a message without date", {"message": {k: v for k, v in _message().items() if k != "date"}}),
    ("a poll without its newer fields", {"poll": {"id": "1", "question": "Lunch?", "options": []}}),
    ("a callback without from", {"callback_query": {"id": "9", "chat_instance": "1", "data": "YES 1234"}}),
]


async def test_authentic_telegram_updates_the_library_cannot_read_are_taken_and_noted_once(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for n, (what, content) in enumerate(UNREADABLE_TELEGRAM * 3):
        response = await site.telegram({"update_id": 900 + n, **content})
        assert response.status_code == 200, f"{what}: Telegram redelivers anything but a 2xx"
    noted = [r for r in caplog.records if r.name == "adapters.telegram"]
    assert 1 <= len(noted) <= len(UNREADABLE_TELEGRAM), "each kind once, not each of the 15 updates"
    assert not any(r.exc_info for r in noted)


async def test_bodies_the_api_cannot_parse_are_400_after_the_token(site: Site) -> None:
    for body in (b"{not json", b"\xff\xfe", b""):
        response = await site.http.post(
            "/api/sessions", content=body, headers={**AUTH, "Content-Type": "application/json"}
        )
        assert response.status_code in (400, 422), body
    garbage = await site.http.post(
        "/api/sessions", content=b"{nope", headers={**AUTH, "Content-Type": "application/json"}
    )
    assert garbage.status_code == 400 and garbage.json() == {"detail": "the body is not valid JSON"}


PROXY_PAGE = "<html><body><h1>502 Bad Gateway</h1></body></html>"


async def test_a_slack_api_error_that_is_not_json_is_a_failed_send_tried_again(site: Site) -> None:
    await site.pool.gp("Dr Zoë Ng", preferred_channel="slack", slack_user_id="U0ZOE")
    site.slack.script["chat.postMessage"] = [
        (502, PROXY_PAGE, {"Content-Type": "text/html"}),
        (200, "ok", {"Content-Type": "text/plain"}),  # a 200 that is not Slack's JSON is no delivery
    ]
    await site.pool.post(urgent=True)
    store = site.pool.pool.store.reader()
    [offer] = await store.messages.messages_to("slack", "U0ZOE", 0, site.pool.clock.now())
    assert offer.status == "queued" and len(site.slack.called("chat.postMessage")) == 1

    await site.pool.advance(seconds=3)
    [offer] = await store.messages.messages_to("slack", "U0ZOE", 0, site.pool.clock.now())
    assert offer.status == "queued" and len(site.slack.called("chat.postMessage")) == 2

    await site.pool.advance(seconds=10)
    [offer] = await store.messages.messages_to("slack", "U0ZOE", 0, site.pool.clock.now())
    assert offer.status == "sent" and len(site.slack.posted_to("U0ZOE")) == 3


async def test_slack_linking_and_lookups_survive_a_proxy_page(site: Site) -> None:
    await site.pool.gp("Dr Zoë Ng", email="zoe@example.org")
    site.slack.emails["zoe@example.org"] = "U0ZOE"
    site.slack.script["users.lookupByEmail"] = [(502, PROXY_PAGE, {"Content-Type": "text/html"})]
    assert await site.desk.link_by_email() == 0, "Slack down: nobody linked, nothing raised"
    assert await site.desk.link_by_email() == 1, "and linked on the next sweep"

    site.slack.script["users.info"] = [(200, "maintenance", {"Content-Type": "text/plain"})]
    assert await site.desk.member_for("U0STRANGER") is None


def test_slack_link_prints_a_line_not_a_traceback_when_slack_answers_html(tmp_path: Path) -> None:
    async def fake_slack() -> FakeSlack:
        return await FakeSlack().start()

    loop = asyncio.new_event_loop()
    slack = loop.run_until_complete(fake_slack())
    slack.script["auth.test"] = [(502, PROXY_PAGE, {"Content-Type": "text/html"})]
    slack.script["users.lookupByEmail"] = [(502, PROXY_PAGE, {"Content-Type": "text/html"})] * 3
    env = {
        "POOL_DATABASE": str(tmp_path / "pool.db"), "SLACK_BOT_TOKEN": SLACK_TOKEN,
        "SLACK_SIGNING_SECRET": SLACK_SECRET, "SLACK_API_BASE": slack.api_base,
    }  # fmt: skip
    members = tmp_path / "members.csv"
    members.write_text("name,phone,email\nDr Zoë Ng,07700900001,zoe@example.org\n", encoding="utf-8")
    runner = CliRunner()
    thread = loop.run_in_executor(
        None, lambda: runner.invoke(cli, ["import", "members", str(members)], env=env)
    )
    assert loop.run_until_complete(thread).exit_code == 0
    thread = loop.run_in_executor(None, lambda: runner.invoke(cli, ["slack", "link"], env=env))
    result = loop.run_until_complete(thread)
    loop.run_until_complete(slack.stop())
    loop.close()
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output


# -- 4. exports safe for spreadsheets ----------------------------------------------------------------

HOSTILE = [
    '=HYPERLINK("http://x.example","Hi")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "'=already quoted",
]


def test_exports_neutralise_formulas_and_import_back_unchanged(tmp_path: Path) -> None:
    env = {"POOL_DATABASE": str(tmp_path / "pool.db")}
    runner = CliRunner()
    rows = ["name,phone,email,roles,gp_type,registration_number"]
    for n, name in enumerate(HOSTILE):
        quoted = '"' + name.replace('"', '""') + '"'
        rows.append(f"{quoted},0770090010{n},,gp,locum,{7000000 + n}")
    source = tmp_path / "members.csv"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert runner.invoke(cli, ["import", "members", str(source)], env=env).exit_code == 0

    exported = tmp_path / "export.csv"
    assert runner.invoke(cli, ["export", "members", "--out", str(exported)], env=env).exit_code == 0
    with exported.open(encoding="utf-8", newline="") as handle:
        rows_out = list(csv.DictReader(handle))
    # Each shown as text by a spreadsheet; the file's own "'=already quoted" was read as one
    # of ours, so it is stored as "=already quoted" and written back quoted once.
    assert {row["name"] for row in rows_out} == {"'" + name for name in HOSTILE[:4]} | {"'=already quoted"}
    assert {row["phone"] for row in rows_out} == {f"+44770090010{n}" for n in range(5)}, (
        "phones the product formats stay as they are"
    )

    again = tmp_path / "again.db"
    back = runner.invoke(cli, ["import", "members", str(exported)], env={"POOL_DATABASE": str(again)})
    assert back.exit_code == 0, back.output
    second = tmp_path / "second.csv"
    runner.invoke(cli, ["export", "members", "--out", str(second)], env={"POOL_DATABASE": str(again)})
    assert second.read_text(encoding="utf-8") == exported.read_text(encoding="utf-8"), "a file round-trips"


# -- 5. a log that cannot be flooded ----------------------------------------------------------------


async def test_a_flood_of_refusals_is_one_line_a_minute_with_a_count(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    now = [1000.0]
    site.app.state.log_limit.monotonic = lambda: now[0]  # type: ignore[attr-defined]
    for _ in range(100):
        await site.slack_raw(b"not json", signed=False)
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.guard"]
    assert lines == ["refused POST /slack with 401"]

    now[0] += 61
    await site.slack_raw(b"not json", signed=False)
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.guard"]
    assert lines[-1] == "refused POST /slack with 401 (and 99 more like it in the last minute)"
    assert not any(r.exc_info for r in caplog.records)


async def test_an_unexpected_error_is_a_500_with_its_traceback_once_a_minute(
    site: Site, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(_: object) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(type(site.pool.pool.store.reader().timers), "next_timer_due", broken)
    answers = [(await site.http.get("/healthz")).status_code for _ in range(5)]
    assert answers == [500] * 5
    failures = [r for r in caplog.records if r.name == "bot.guard" and r.levelno == logging.ERROR]
    assert len(failures) == 1 and failures[0].exc_info is not None
