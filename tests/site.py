"""The pool with every channel on (SMS, Slack, Telegram and the sandbox), each provider faked
at its HTTP boundary, and its HTTP app: for tests of what crosses channels."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import respx

from adapters.slack import SlackDesk
from config import load_settings
from main import build_app
from tests.fakes import (
    PUBLIC_URL,
    SLACK_SECRET,
    SLACK_TOKEN,
    TELEGRAM_ENV,
    TELEGRAM_SECRET,
    TWILIO_ENV,
    FakeSlack,
    FakeTelegram,
    FakeTwilio,
    slack_now,
    slack_signature,
    twilio_signature,
)
from tests.harness import ADMIN_TOKEN, Harness


@dataclass
class Site:
    """The pool with SMS, Slack, Telegram and the sandbox on, and its HTTP app."""

    pool: Harness
    app: object
    http: httpx.AsyncClient
    slack: FakeSlack
    desk: SlackDesk
    twilio: FakeTwilio
    telegram_api: FakeTelegram

    async def sms(self, params: dict[str, str], path: str = "/twilio/sms") -> httpx.Response:
        headers = {"X-Twilio-Signature": twilio_signature(f"{PUBLIC_URL}{path}", params)}
        return await self.http.post(path, data=params, headers=headers)

    async def slack_raw(
        self, body: bytes, content_type: str = "application/json", signed: bool = True, timestamp: str = ""
    ) -> httpx.Response:
        stamp = timestamp or str(slack_now())
        signature = slack_signature(body, int(stamp)) if signed else "v0=" + "0" * 64
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature,
        }
        response = await self.http.post("/slack/events", content=body, headers=headers)
        await self.desk.channel.idle()
        return response

    async def telegram(self, update: object, secret: str = TELEGRAM_SECRET) -> httpx.Response:
        body = update if isinstance(update, bytes) else json.dumps(update).encode()
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"}
        return await self.http.post("/telegram/webhook", content=body, headers=headers)


@contextlib.asynccontextmanager
async def open_site(folder: Path) -> AsyncIterator[Site]:
    slack = await FakeSlack().start()
    env = {
        **TWILIO_ENV,
        **TELEGRAM_ENV,
        "SLACK_BOT_TOKEN": SLACK_TOKEN,
        "SLACK_SIGNING_SECRET": SLACK_SECRET,
        "SLACK_API_BASE": slack.api_base,
    }
    with respx.mock(assert_all_called=False) as router:
        twilio = FakeTwilio(router)
        telegram = FakeTelegram(router)
        pool = await Harness.open(folder, **env)
        await pool.practice()
        app = build_app(
            pool.pool, ADMIN_TOKEN, settings=load_settings({"POOL_DATABASE": str(pool.database), **env})
        )
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL) as http:
                yield Site(pool, app, http, slack, app.state.slack_desk, twilio, telegram)
        finally:
            await pool.close()
            await slack.stop()
