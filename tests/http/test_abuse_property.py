"""Generated requests at every route, most of them correctly signed or authenticated for it
(otherwise only the 401 path would be exercised): nothing a client sends yields a 5xx, and
nothing it sends makes our code log an error.

The routes are the webhooks of DESIGN.md's contract and every operation of the OpenAPI
document the server serves, so a new API route is covered without touching this file.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakes import PUBLIC_URL, SLACK_TEAM, TELEGRAM_SECRET, slack_json, slack_now, slack_signature
from tests.fakes import twilio_signature as sign_twilio
from tests.harness import AUTH
from tests.site import Site, open_site

EXAMPLES = int(os.environ.get("ABUSE_EXAMPLES", "1500"))  # more by hand: ABUSE_EXAMPLES=10000
WEBHOOKS = [("POST", "/twilio/sms"), ("POST", "/twilio/status"), ("POST", "/slack/events"),
            ("POST", "/telegram/webhook")]  # fmt: skip
PHONES = ["+447700900001", "+447700900002", "07700 900003", "+15005550006", "0", "+44", "nope"]
SLACK_USERS = ["U0ZOE", "U0PRIYA", "U0STRANGER", "W0X", ""]
TELEGRAM_CHATS = [555000111, 555000222, -100123, 0, 2**53]

printable = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
words = st.one_of(
    st.sampled_from(["YES", "NO", "yes please", "STOP", "START", "HELP", "OFFERS", "BOOKINGS", "DROP 1234",
                     "PAUSE 20/12", "AVAILABLE tue pm", "1", "5", "2 tbh. rough week", "status", "post", "inbox",
                     "urgent ABCD", "book ABCD 07700900001", "cancel ABCD sorry", "answer 1 hi", "done 99999999999999999999",
                     "groups", "meet X on 14/1 12:30-14:00 at Hall cap 9999999999999999999", "²", "YES ²"]),
    st.text(max_size=60),
)  # fmt: skip
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), printable
)
json_values = st.recursive(
    scalars,
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(printable, kids, max_size=3),
    max_leaves=8,
)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually the plausible value, sometimes any JSON at all in its place."""
    return st.one_of(strategy, strategy, strategy, json_values)


@dataclass
class Attempt:
    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    authentic: bool = True

    def describe(self) -> str:
        return f"{self.method} {self.path} {self.headers} {self.body[:300]!r}"


# -- bodies shaped like each provider's, then signed as it signs -------------------------------------


def twilio_form() -> st.SearchStrategy[bytes]:
    keys = st.sampled_from(
        ["MessageSid", "From", "To", "Body", "NumMedia", "MessageStatus", "ErrorCode", "SmsSid"]
    )
    values = st.one_of(
        st.sampled_from(PHONES), words, st.sampled_from(["delivered", "undelivered", "failed", "read", "30003", "21610"]),
        st.from_regex(r"SM[0-9a-f]{32}", fullmatch=True), st.text(max_size=20),
    )  # fmt: skip
    forms = st.dictionaries(keys | st.text(max_size=8), values, max_size=8).map(
        lambda d: urlencode(d).encode()
    )
    return st.one_of(forms, forms, forms, st.binary(max_size=300))


def slack_body() -> st.SearchStrategy[tuple[bytes, str]]:
    user = st.sampled_from(SLACK_USERS)
    event = st.fixed_dictionaries(
        {"type": maybe(st.sampled_from(["message", "app_home_opened", "app_mention"]))},
        optional={"user": maybe(user), "text": maybe(words), "channel_type": maybe(st.sampled_from(["im", "channel"])),
                  "tab": st.sampled_from(["home", "messages"]), "subtype": st.sampled_from(["bot_message", "message_changed"]),
                  "bot_id": printable, "channel": printable, "ts": printable},
    )  # fmt: skip
    envelope = st.fixed_dictionaries(
        {"type": maybe(st.sampled_from(["event_callback", "url_verification"])), "team_id": st.just(SLACK_TEAM)},
        optional={"event": maybe(event), "event_id": maybe(printable), "challenge": maybe(printable),
                  "api_app_id": printable, "authorizations": json_values},
    ).map(lambda d: (slack_json(d).encode(), "application/json"))  # fmt: skip
    action = st.fixed_dictionaries(
        {"action_id": maybe(st.sampled_from(["choice-0", "choice-1", "inbox-answer", "inbox-done"]))},
        optional={"value": maybe(st.one_of(words, st.integers(-5, 10**20).map(str))), "action_ts": maybe(printable),
                  "type": st.just("button")},
    )  # fmt: skip
    view = st.fixed_dictionaries(
        {},
        optional={"callback_id": maybe(st.sampled_from(["post-session", "inbox-answer"])),
                  "private_metadata": maybe(st.integers(-5, 10**20).map(str)), "state": json_values,
                  "type": maybe(st.sampled_from(["modal", "home"])), "id": printable},
    )  # fmt: skip
    interaction = st.fixed_dictionaries(
        {"type": maybe(st.sampled_from(["block_actions", "view_submission", "view_closed", "shortcut"])),
         "team": st.just({"id": SLACK_TEAM})},
        optional={"user": maybe(st.fixed_dictionaries({"id": user})), "actions": maybe(st.lists(action, max_size=2)),
                  "view": maybe(view), "trigger_id": maybe(printable), "container": json_values},
    ).map(lambda d: (urlencode({"payload": slack_json(d)}).encode(), "application/x-www-form-urlencoded"))  # fmt: skip
    command = st.fixed_dictionaries(
        {"command": st.sampled_from(["/pool", "/other"]), "team_id": st.just(SLACK_TEAM)},
        optional={"text": words, "user_id": user, "trigger_id": printable},
    ).map(lambda d: (urlencode(d).encode(), "application/x-www-form-urlencoded"))
    raw = st.tuples(
        st.binary(max_size=300), st.sampled_from(["application/json", "application/x-www-form-urlencoded"])
    )
    return st.one_of(envelope, interaction, command, raw)


def telegram_body() -> st.SearchStrategy[bytes]:
    person = st.fixed_dictionaries(
        {"id": maybe(st.sampled_from(TELEGRAM_CHATS))},
        optional={"is_bot": maybe(st.booleans()), "first_name": maybe(printable)},
    )
    chat = st.fixed_dictionaries(
        {
            "id": maybe(st.sampled_from(TELEGRAM_CHATS)),
            "type": maybe(st.sampled_from(["private", "group", "channel"])),
        }
    )
    text = st.one_of(words, st.sampled_from(["/start", "/start abc", "/stop", "/offers", "/pause 20/12", "/urgent ABCD",
                                             "/meet x", "/available", "/help@GPPoolBot"]))  # fmt: skip
    message = st.fixed_dictionaries(
        {"message_id": maybe(st.integers(0, 10**6)), "chat": maybe(chat)},
        optional={"date": maybe(st.integers(0, 2**32)), "from": maybe(person), "text": maybe(text),
                  "caption": printable, "photo": json_values},
    )  # fmt: skip
    callback = st.fixed_dictionaries(
        {"id": maybe(printable), "chat_instance": printable},
        optional={"from": maybe(person), "data": maybe(words), "message": maybe(message)},
    )
    update = st.fixed_dictionaries(
        {"update_id": maybe(st.integers(0, 2**31))},
        optional={"message": maybe(message), "callback_query": maybe(callback), "edited_message": message,
                  "poll": json_values},
    ).map(lambda d: json.dumps(d).encode())  # fmt: skip
    return st.one_of(update, update, update, st.binary(max_size=300))


def api_body(schema: dict[str, Any]) -> st.SearchStrategy[bytes]:
    plausible = {
        "practice": st.sampled_from(["X10001", "NOPE1", ""]), "phone": st.sampled_from(PHONES),
        "from": st.sampled_from(PHONES), "start": st.datetimes().map(lambda d: d.isoformat()),
        "end": st.datetimes().map(lambda d: d.isoformat()), "rate_pence": st.integers(-(2**70), 2**70),
        "hours": st.floats(), "date": st.dates().map(str), "amount_pence": st.integers(-(2**70), 2**70),
        "text": words, "kind": st.sampled_from(["prefer", "block"]),
    }  # fmt: skip
    properties = schema.get("properties", {})
    shaped = st.fixed_dictionaries({}, optional={n: maybe(plausible.get(n, json_values)) for n in properties})
    as_json = st.one_of(shaped, shaped, shaped, json_values).map(lambda v: json.dumps(v).encode())
    return st.one_of(as_json, as_json, as_json, st.binary(max_size=200))


# -- choosing and signing a request -------------------------------------------------------------------


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = [(method, path, {}) for method, path in WEBHOOKS]
    schemas = document.get("components", {}).get("schemas", {})
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            content = op.get("requestBody", {}).get("content", {})
            ref = next(iter(content.values()), {}).get("schema", {}).get("$ref", "")
            body = schemas.get(ref.rsplit("/", 1)[-1], {}) if ref else {}
            params = [p for p in op.get("parameters", [])]
            found.append((method.upper(), path, {"body": body, "params": params}))
    return found


@st.composite
def attempts(draw: st.DrawFn, routes: list[tuple[str, str, dict[str, Any]]]) -> Attempt:
    # Half to the four webhooks, half to the many API operations: the webhooks carry strangers.
    hooks = [r for r in routes if not r[2]]
    method, template, spec = draw(st.sampled_from(hooks) | st.sampled_from([r for r in routes if r[2]]))
    authentic = draw(st.sampled_from([True, True, False]))
    path = template
    query: dict[str, str] = {}
    headers: dict[str, str] = {}
    for param in spec.get("params", []):
        value = draw(st.one_of(st.integers(-5, 10**20).map(str), st.sampled_from(PHONES), printable))
        if param["in"] == "path":
            path = path.replace("{" + param["name"] + "}", quote(value, safe="") or "x")
        elif param["in"] == "query" and draw(st.booleans()):
            query[param["name"]] = value
        elif param["in"] == "header" and draw(st.booleans()):
            headers[param["name"]] = draw(st.sampled_from(PHONES))
    if query:
        path += "?" + urlencode(query)
    attempt = Attempt(method, path, headers=headers, authentic=authentic)
    if template.startswith("/twilio/"):
        attempt.body = draw(twilio_form())
        attempt.headers["Content-Type"] = "application/x-www-form-urlencoded"
        params = dict(parse_qsl(attempt.body.decode("utf-8", "replace"), keep_blank_values=True))
        attempt.headers["X-Twilio-Signature"] = (
            sign_twilio(f"{PUBLIC_URL}{template}", params) if authentic else "AAAA="
        )
    elif template == "/slack/events":
        attempt.body, attempt.headers["Content-Type"] = draw(slack_body())
        stamp = slack_now()
        attempt.headers["X-Slack-Request-Timestamp"] = str(stamp)
        attempt.headers["X-Slack-Signature"] = slack_signature(attempt.body, stamp) if authentic else "v0=00"
    elif template == "/telegram/webhook":
        attempt.body = draw(telegram_body())
        attempt.headers["Content-Type"] = "application/json"
        attempt.headers["X-Telegram-Bot-Api-Secret-Token"] = TELEGRAM_SECRET if authentic else "guess"
    else:
        if spec.get("body"):
            attempt.body = draw(api_body(spec["body"]))
            attempt.headers["Content-Type"] = draw(
                st.sampled_from(["application/json", "text/plain", "application/json"])
            )
        needs_token = template.startswith(("/api/", "/sandbox/"))
        attempt.authentic = authentic or not needs_token
        if needs_token and authentic:
            attempt.headers.update(AUTH)
    return attempt


async def _send(site: Site, attempt: Attempt) -> httpx.Response:
    response = await site.http.request(
        attempt.method, attempt.path, content=attempt.body, headers=attempt.headers
    )
    await site.desk.channel.idle()  # the work Slack listeners do after their answer
    return response


def _logged(record: logging.LogRecord) -> str:
    trace = logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
    return f"{record.getMessage()}\n{trace}"


def test_nothing_a_client_sends_gets_a_5xx_or_an_error_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    tried: Counter[bool] = Counter()
    statuses: Counter[int] = Counter()
    with asyncio.Runner() as runner:
        context = open_site(tmp_path)
        site = runner.run(context.__aenter__())
        try:
            runner.run(
                site.pool.gp(
                    "Dr Zoë Ng", phone="07700900001", preferred_channel="slack", slack_user_id="U0ZOE"
                )
            )
            runner.run(
                site.pool.member(
                    "Priya Shah", phone="07700900002", roles=("coordinator",), slack_user_id="U0PRIYA"
                )
            )
            runner.run(site.pool.post(urgent=True))
            routes = operations(site.app.openapi())  # type: ignore[attr-defined]

            @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
            @given(attempts(routes))
            def check(attempt: Attempt) -> None:
                caplog.clear()
                response = runner.run(_send(site, attempt))
                tried[attempt.authentic] += 1
                statuses[response.status_code] += 1
                assert response.status_code < 500, (attempt.describe(), response.text)
                errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
                assert not errors, (attempt.describe(), [_logged(r) for r in errors])

            check()
        finally:
            runner.run(context.__aexit__(None, None, None))
    total = tried[True] + tried[False]
    print(f"\n{total} requests: {tried[True]} authentic, statuses {dict(sorted(statuses.items()))}")
    assert total >= EXAMPLES and tried[True] >= total / 2
