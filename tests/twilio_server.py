"""Twilio's Messages API as a real HTTP server on 127.0.0.1, for tests that run `serve` as a
process (tests/fakes.py's FakeTwilio mocks httpx inside the test process and cannot see one).

Like bench/fake_twilio.py it accepts every send at once and answers as Twilio does (201 with a
Message resource), but it also records each send: who it went to, what it said, when it
arrived and which worker sent it. A worker is told apart by the path its ``TWILIO_API_BASE``
ends in (``http://127.0.0.1:PORT/w1``): ``/w1/2010-04-01/Accounts/.../Messages.json``. Status
callbacks are not sent.
"""

from __future__ import annotations

import itertools
import json
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


@dataclass(frozen=True, slots=True)
class Send:
    worker: str  # the first path segment before /2010-04-01 ('' when there is none)
    to: str
    sender: str  # the From number
    body: str
    sid: str
    at: float  # time.monotonic() when the request arrived


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A worker killed mid-request resets its connection: expected in these tests, not noise."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class TwilioServer:
    """``with TwilioServer() as twilio:`` serves on a free port until the block ends."""

    def __init__(self) -> None:
        self.sends: list[Send] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as httpx's pool expects

            def do_POST(self) -> None:
                arrived = time.monotonic()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                form = dict(parse_qsl(body.decode(errors="replace")))
                worker, marker, _ = self.path.partition("/2010-04-01/Accounts/")
                if not marker or not self.path.endswith("/Messages.json"):
                    self._answer(404, {"code": 20404, "message": "not found"})
                    return
                if len(body) < length or not form.get("To"):
                    # Cut off part-way (its worker was killed mid-request): Twilio sends nothing.
                    self._answer(400, {"code": 21604, "message": "A 'To' phone number is required."})
                    return
                sid = server._record(worker.strip("/"), form, arrived)
                self._answer(201, {"sid": sid, "status": "queued", "to": form.get("To"), "num_segments": "1"})

            def _answer(self, status: int, body: dict[str, object]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass  # one line a request would drown the test's output

        self._server = _Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-twilio", daemon=True)

    def base(self, worker: str) -> str:
        """The ``TWILIO_API_BASE`` for one worker: its sends are recorded under ``worker``."""
        return f"http://127.0.0.1:{self.port}/{worker}"

    def _record(self, worker: str, form: dict[str, str], arrived: float) -> str:
        with self._lock:
            sid = f"SM{next(self._ids):032d}"
            self.sends.append(
                Send(worker, form.get("To", ""), form.get("From", ""), form.get("Body", ""), sid, arrived)
            )
            return sid

    def snapshot(self) -> list[Send]:
        with self._lock:
            return list(self.sends)

    def per_phone(self) -> Counter[str]:
        return Counter(send.to for send in self.snapshot())

    def __enter__(self) -> TwilioServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
