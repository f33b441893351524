"""Fakes of the ports, shared by the tests. (Provider APIs are faked at the HTTP boundary in
their own adapter tests; these stand in for a channel as the dispatcher sees it.)"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.clock import Clock
from bot.domain import Choice
from bot.ports import ChannelLimits, OutboxMessage, SendResult, Sent
from bot.render import text_with_choices


class RecordingChannel:
    """A channel that records each send with the clock's time; ``script`` gives the results of
    the first sends (then every send succeeds)."""

    edits_are_free = True

    def __init__(
        self,
        clock: Clock,
        name: str = "sandbox",
        limits: ChannelLimits | None = None,
        script: Sequence[SendResult] = (),
    ) -> None:
        self.clock = clock
        self.name = name
        self.limits = limits or ChannelLimits()
        self.script = list(script)
        self.sent: list[tuple[datetime, OutboxMessage]] = []
        self.attempts: list[OutboxMessage] = []

    async def send(self, message: OutboxMessage) -> SendResult:
        self.attempts.append(message)
        result = self.script.pop(0) if self.script else Sent(f"rec-{message.id}")
        if isinstance(result, Sent):
            self.sent.append((self.clock.now(), message))
        return result

    def render(self, text: str, choices: Sequence[Choice]) -> str:
        return text_with_choices(text, choices)

    @property
    def sent_ids(self) -> list[int]:
        return [message.id for _, message in self.sent]


# -- Twilio --------------------------------------------------------------------------------------

import base64  # noqa: E402
import hashlib  # noqa: E402
import hmac  # noqa: E402
import itertools  # noqa: E402
from urllib.parse import parse_qsl  # noqa: E402

import httpx  # noqa: E402
import respx  # noqa: E402

from adapters.gsm import segments  # noqa: E402

TWILIO_BASE = "https://api.twilio.test"
TWILIO_SID = "AC00000000000000000000000000000001"
TWILIO_TOKEN = "twilio-auth-token-for-tests"
TWILIO_FROM = "+447700900999"
PUBLIC_URL = "https://pool.example.org"
TWILIO_ENV = {
    "TWILIO_ACCOUNT_SID": TWILIO_SID,
    "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
    "TWILIO_FROM_NUMBER": TWILIO_FROM,
    "TWILIO_API_BASE": TWILIO_BASE,
    "POOL_PUBLIC_URL": PUBLIC_URL,
}


def twilio_signature(url: str, params: dict[str, str], token: str = TWILIO_TOKEN) -> str:
    """As Twilio documents it: the full URL, then each POST parameter's name and value sorted
    by name, HMAC-SHA1 with the auth token, base64. Written out here, independently of the
    twilio package the app uses, so the two must agree."""
    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class FakeTwilio:
    """Twilio's Messages API on respx: records exactly what Twilio would receive. ``script``
    gives the responses of the first sends (status code, JSON body, headers), or an httpx
    exception to raise (a timeout); then 201s."""

    def __init__(self, router: respx.MockRouter) -> None:
        self.sent: list[dict[str, str]] = []
        self.script: list[tuple[int, dict, dict] | httpx.HTTPError] = []
        self._ids = itertools.count(1)
        path = f"{TWILIO_BASE}/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
        self.route = router.post(path).mock(side_effect=self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        assert (
            request.headers["Authorization"]
            == "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
        )
        form = dict(parse_qsl(request.content.decode()))
        if self.script:
            answer = self.script.pop(0)
            if isinstance(answer, httpx.HTTPError):
                raise answer
            status, body, headers = answer
            return httpx.Response(status, json=body, headers=headers)
        sid = f"SM{next(self._ids):032d}"
        self.sent.append({**form, "sid": sid})
        return httpx.Response(
            201,
            json={
                "sid": sid,
                "status": "queued",
                "to": form["To"],
                "body": form.get("Body", ""),  # none for a WhatsApp template (ContentSid)
                "num_segments": str(segments(form.get("Body", "")).count),
            },
        )

    def to(self, phone: str) -> list[dict[str, str]]:
        return [message for message in self.sent if message["To"] == phone]


# -- Slack ----------------------------------------------------------------------------------------

import json  # noqa: E402
import time  # noqa: E402

from aiohttp import web  # noqa: E402

SLACK_SECRET = "slack-signing-secret-for-tests"
SLACK_TOKEN = "xoxb-test-token"
SLACK_TEAM = "T0POOL"


def slack_signature(body: bytes, timestamp: int, secret: str = SLACK_SECRET) -> str:
    """As Slack documents it: v0=hex(HMAC-SHA256(secret, 'v0:{timestamp}:{body}')). Written
    out here, independently of slack-bolt's verifier."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class FakeSlack:
    """Slack's Web API on a loopback port (slack-sdk's AsyncWebClient runs on aiohttp, so
    respx cannot see it), answering as Slack does and recording every call; response_url
    posts land here too. ``script[method]`` gives the first answers of a method
    (status, body, headers), the body JSON or, as a string, sent as it is (a proxy's HTML
    page, say; give its Content-Type in the headers); then the usual success."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.responses: list[dict] = []
        self.posted: list[dict] = []  # chat.postMessage: {"args", "channel", "ts"}
        self.script: dict[str, list[tuple[int, dict | str, dict]]] = {}
        self.emails: dict[str, str] = {}  # email -> user id: users.lookupByEmail and users.info
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_post("/api/{method}", self._method)
        app.router.add_get("/api/{method}", self._method)
        app.router.add_post("/response/{n}", self._response)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"{self.url}/api/"

    async def _args(self, request: web.Request) -> dict:
        args = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(dict(await request.post()))
        return args

    async def _method(self, request: web.Request) -> web.Response:
        assert request.headers.get("Authorization") == f"Bearer {SLACK_TOKEN}"
        method = request.match_info["method"]
        args = await self._args(request)
        self.calls.append((method, args))
        scripted = self.script.get(method)
        if scripted:
            status, body, headers = scripted.pop(0)
            if isinstance(body, str):
                return web.Response(status=status, body=body.encode(), headers=headers)
            return web.json_response(body, status=status, headers=headers)
        return web.json_response(self._answer(method, args))

    def _answer(self, method: str, args: dict) -> dict:
        match method:
            case "auth.test":
                return {"ok": True, "url": "https://pool.slack.com/", "team": "Pool", "user": "poolbot",
                        "team_id": SLACK_TEAM, "user_id": "U0BOT", "bot_id": "B0BOT"}  # fmt: skip
            case "chat.postMessage":
                channel = args["channel"]
                dm = "D" + channel[1:] if channel.startswith(("U", "W")) else channel
                ts = f"{1_800_000_000 + next(self._ts)}.000100"
                self.posted.append({"args": args, "channel": dm, "ts": ts})
                return {"ok": True, "channel": dm, "ts": ts,
                        "message": {"type": "message", "text": args.get("text"), "ts": ts, "bot_id": "B0BOT"}}  # fmt: skip
            case "chat.update":
                return {"ok": True, "channel": args["channel"], "ts": args["ts"], "text": args.get("text")}
            case "views.open" | "views.publish":
                return {"ok": True, "view": {"id": "V0VIEW", **(args.get("view") or {})}}
            case "users.lookupByEmail":
                user = self.emails.get(args.get("email", ""))
                if user is None:
                    return {"ok": False, "error": "users_not_found"}
                return {
                    "ok": True,
                    "user": {"id": user, "team_id": SLACK_TEAM, "profile": {"email": args["email"]}},
                }
            case "users.info":
                email = next((e for e, u in self.emails.items() if u == args.get("user")), None)
                profile = {"real_name": "Someone", **({"email": email} if email else {})}
                return {
                    "ok": True,
                    "user": {"id": args.get("user"), "team_id": SLACK_TEAM, "profile": profile},
                }
            case "conversations.open":
                return {"ok": True, "channel": {"id": "D" + str(args.get("users", "U0"))[1:]}}
        return {"ok": False, "error": "unknown_method"}

    async def _response(self, request: web.Request) -> web.Response:
        self.responses.append(await request.json())
        return web.Response(text="ok")

    # -- reading what was sent ---------------------------------------------------------------

    def called(self, method: str) -> list[dict]:
        return [args for name, args in self.calls if name == method]

    def posted_to(self, user: str) -> list[dict]:
        return [args for args in self.called("chat.postMessage") if args["channel"] == user]

    def updates_of(self, channel: str, ts: str) -> list[dict]:
        return [a for a in self.called("chat.update") if a["channel"] == channel and a["ts"] == ts]

    def message(self, user: str, n: int = -1) -> dict:
        """The n-th message posted to ``user``: what was sent, and the DM channel and ts that
        Slack gave it."""
        return [p for p in self.posted if p["args"]["channel"] == user][n]


def slack_now() -> int:
    """Slack stamps requests with the real time, and Bolt checks them against it."""
    return int(time.time())


def slack_json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


# -- Telegram -------------------------------------------------------------------------------------

import re  # noqa: E402

TELEGRAM_TOKEN = "123456789:AAH-test-token-for-the-pool-bot_xyz"
TELEGRAM_BASE = "https://api.telegram.test"
TELEGRAM_SECRET = "telegram-webhook-secret-for-tests"
TELEGRAM_BOT = "GPPoolBot"
TELEGRAM_ENV = {
    "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
    "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
    "TELEGRAM_API_BASE": TELEGRAM_BASE,
}


class FakeTelegram:
    """The Bot API on respx (PTB sends through httpx): answers as Telegram does and records
    every call with its parameters (PTB form-encodes them, JSON for the non-strings).
    ``script[method]`` gives the first answers of a method (status, body)."""

    def __init__(self, router: respx.MockRouter) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.script: dict[str, list[tuple[int, dict]]] = {}
        self.delivered: list[dict] = []  # sendMessage that succeeded: {"params", "message_id", "chat"}
        self._ids = itertools.count(1000)
        pattern = rf"^{re.escape(TELEGRAM_BASE)}/bot{re.escape(TELEGRAM_TOKEN)}/(?P<method>\w+)$"
        router.post(url__regex=pattern).mock(side_effect=self._answer)

    def _answer(self, request: httpx.Request, method: str) -> httpx.Response:
        params = dict(parse_qsl(request.content.decode()))
        for key in ("reply_markup", "commands", "allowed_updates"):
            if key in params:
                params[key] = json.loads(params[key])
        self.calls.append((method, params))
        scripted = self.script.get(method)
        if scripted:
            status, body = scripted.pop(0)
            return httpx.Response(status, json=body)
        return httpx.Response(200, json={"ok": True, "result": self._result(method, params)})

    def _result(self, method: str, params: dict) -> object:
        match method:
            case "getMe":
                return {"id": 123456789, "is_bot": True, "first_name": "GP Pool", "username": TELEGRAM_BOT,
                        "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}  # fmt: skip
            case "sendMessage" | "editMessageText":
                message_id = int(params["message_id"]) if "message_id" in params else next(self._ids)
                chat = int(params["chat_id"])
                result = {"message_id": message_id, "date": 1_800_000_000, "text": params["text"],
                          "chat": {"id": chat, "type": "private", "first_name": "GP"},
                          "from": {"id": 123456789, "is_bot": True, "first_name": "GP Pool", "username": TELEGRAM_BOT}}  # fmt: skip
                if "reply_markup" in params:
                    result["reply_markup"] = params["reply_markup"]
                if method == "sendMessage":
                    self.delivered.append({"params": params, "message_id": message_id, "chat": chat})
                return result
        return True

    def called(self, method: str) -> list[dict]:
        return [params for name, params in self.calls if name == method]

    def sent_to(self, chat: int | str) -> list[dict]:
        return [p for p in self.called("sendMessage") if str(p["chat_id"]) == str(chat)]

    def edits_of(self, chat: int | str, message_id: int) -> list[dict]:
        return [
            p for p in self.called("editMessageText")
            if str(p["chat_id"]) == str(chat) and int(p["message_id"]) == message_id
        ]  # fmt: skip

    def last_to(self, chat: int | str) -> dict:
        """The last message delivered to ``chat``: its parameters and message_id."""
        return [d for d in self.delivered if str(d["chat"]) == str(chat)][-1]
