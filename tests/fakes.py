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
                "body": form["Body"],
                "num_segments": str(segments(form["Body"]).count),
            },
        )

    def to(self, phone: str) -> list[dict[str, str]]:
        return [message for message in self.sent if message["To"] == phone]
