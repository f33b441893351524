"""The floor: the least any server must do per inbound SMS, as a bare Starlette app. It reads the
form, checks the Twilio signature exactly as the pool does, and answers empty TwiML; no store,
no conversation. bench/replies_floor.py runs it beside the pool with the same signed requests.

    python bench/floor.py PORT AUTH_TOKEN PUBLIC_URL
"""

from __future__ import annotations

import sys
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def floor_app(auth_token: str, public_url: str) -> Starlette:
    validator = RequestValidator(auth_token)

    async def inbound(request: Request) -> Response:
        params = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature or not validator.validate(f"{public_url}/twilio/sms", params, signature):
            return Response("forbidden", status_code=403)
        return Response(EMPTY_TWIML, media_type="application/xml")

    return Starlette(routes=[Route("/twilio/sms", inbound, methods=["POST"])])


if __name__ == "__main__":
    port, token, url = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    # The same server settings as `main.py serve`: the standard loop, httptools, no access log.
    uvicorn.run(floor_app(token, url), host="127.0.0.1", port=port, access_log=False, log_level="warning",
                timeout_keep_alive=5, limit_concurrency=1000, server_header=False)  # fmt: skip
