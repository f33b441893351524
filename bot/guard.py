"""What every request meets first, before any route parses it.

- The bearer token, where a route needs one, is checked on the headers: a stranger gets 401
  without a byte of the body read (FastAPI would otherwise decode and validate the body
  before its dependencies run).
- The body is bounded while it streams: a declared Content-Length over the limit is refused
  at once, and a body that grows past it is refused as soon as it does, never read whole
  (413, and the connection is closed so the rest is not read either).
- Errors never flood the log or reach the client as a traceback: a client going away is not
  an error, a refusal (4xx) is one line, an unexpected exception is a 500 with its traceback,
  and every kind is logged at most once a minute with a count of the rest (bot.log_limit).

The body is handed on whole, so routes read it as usual.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.log_limit import LogLimit

log = logging.getLogger(__name__)

KB = 1024
WEBHOOK_BODY = 64 * KB  # a provider's webhook: Twilio, Slack and Telegram send a few KB at most
API_BODY = 1024 * KB  # the JSON API and the sandbox


@dataclass(frozen=True, slots=True)
class Gate:
    """The rules for paths under ``prefix``."""

    prefix: str
    max_body: int
    bearer: bool = False


DEFAULT_GATE = Gate("", WEBHOOK_BODY)  # webhooks, health, the calendar, anything not listed
EVIDENCE_BODY = 8 * 1024 * KB  # a check's 5 MB document, base64 in JSON or a form's upload
API_GATES = (
    Gate("/api/checks", EVIDENCE_BODY, bearer=True),
    Gate("/api/", API_BODY, bearer=True),
    Gate("/sandbox/", API_BODY, bearer=True),
    Gate("/console/evidence", EVIDENCE_BODY),
    Gate("/console/imports", EVIDENCE_BODY),
)


class RequestGuard:
    """Pure ASGI middleware: the token, the body limit and the error log, in that order."""

    def __init__(
        self,
        app: ASGIApp,
        token: str,
        gates: Sequence[Gate] = API_GATES,
        default: Gate = DEFAULT_GATE,
        limit: LogLimit | None = None,
    ) -> None:
        self.app = app
        self.token = f"Bearer {token}".encode()
        self.gates = tuple(gates)
        self.default = default
        self.limit = limit or LogLimit()

    def gate(self, path: str) -> Gate:
        return next((g for g in self.gates if path.startswith(g.prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        method: str = scope["method"]
        gate = self.gate(path)
        authorization = b""
        declared: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = value
            elif name == b"authorization":
                authorization = value
        if gate.bearer and not secrets.compare_digest(authorization, self.token):
            await self._refuse(
                send, method, path, 401, "a bearer token (POOL_ADMIN_TOKEN) is needed",
                {"www-authenticate": "Bearer"},
            )  # fmt: skip
            return
        if declared is not None:
            if not declared.isdigit():
                await self._refuse(send, method, path, 400, "Content-Length is not a number")
                return
            if int(declared) > gate.max_body:
                await self._refuse(send, method, path, 413, f"the body is over {gate.max_body // KB} KB")
                return
        body = await _read_body(receive, gate.max_body)
        if body is None:  # the client went away
            return
        if body is _TOO_LARGE:
            await self._refuse(send, method, path, 413, f"the body is over {gate.max_body // KB} KB")
            return
        await self._call(scope, _replay(body, receive), send, path)

    async def _call(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        status = 0

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        except ClientDisconnect:
            return  # the client gave up; nothing to answer and nothing wrong here
        except Exception as error:
            self.limit.log(
                log, logging.ERROR, f"500:{type(error).__name__}:{_area(path)}",
                "%s %s failed: %s", scope["method"], _without_secrets(path), type(error).__name__,
                exc_info=error,
            )  # fmt: skip
            if status == 0:
                await _answer(send, 500, "something went wrong on our side", close=True)
            return
        if 400 <= status < 500:
            self._note(scope["method"], path, status)

    async def _refuse(
        self, send: Send, method: str, path: str, status: int, reason: str,
        headers: dict[str, str] | None = None,
    ) -> None:  # fmt: skip
        """Answer before the body is read: the connection closes, so the rest is never read."""
        await _answer(send, status, reason, headers, close=True)
        self._note(method, path, status, reason)

    def _note(self, method: str, path: str, status: int, reason: str = "") -> None:
        self.limit.log(
            log, logging.INFO, f"{status}:{_area(path)}", "refused %s %s with %d%s",
            method, _area(path), status, f": {reason}" if reason else "",
        )  # fmt: skip


_TOO_LARGE: Any = object()


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or _TOO_LARGE as soon as it passes ``limit``, or None on disconnect."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return _TOO_LARGE
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body already read, then the real channel (which reports a disconnect)."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _answer(
    send: Send, status: int, reason: str, headers: dict[str, str] | None = None, close: bool = False
) -> None:
    content = json.dumps({"detail": reason}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    if close:  # the rest of the body is never read, so the connection cannot carry another request
        raw.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": content})


# Paths whose last part is a secret: a sign-in link, a calendar file's address, a document link.
SECRET_PATHS = ("/console/link/", "/calendar/", "/documents/")


def _without_secrets(path: str) -> str:
    """The path as a log may show it: '/console/link/…', never the link's token."""
    return next((f"{prefix}…" for prefix in SECRET_PATHS if path.startswith(prefix)), path)


def _area(path: str) -> str:
    """The first part of a path (/api, /twilio): a log kind that a stranger cannot multiply."""
    first = path.split("/", 2)[1] if path.count("/") >= 1 else ""
    return f"/{first}"[:32]
