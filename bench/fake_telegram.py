"""A stand-in for Telegram's Bot API on localhost, for benchmarks: answers getMe and every
sendMessage at once, as Telegram does."""

from __future__ import annotations

import itertools
import sys
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

_ids = itertools.count(1)


async def method(request: Request) -> JSONResponse:
    name = request.path_params["method"]
    form = dict(parse_qsl((await request.body()).decode()))
    if name == "getMe":
        return JSONResponse(
            {
                "ok": True,
                "result": {"id": 1, "is_bot": True, "first_name": "Pool", "username": "BenchPoolBot"},
            }
        )
    if name == "sendMessage":
        chat = int(str(form.get("chat_id", "0")))
        return JSONResponse(
            {
                "ok": True,
                "result": {
                    "message_id": next(_ids),
                    "date": 1_800_000_000,
                    "text": form.get("text"),
                    "chat": {"id": chat, "type": "private"},
                },
            }
        )
    return JSONResponse({"ok": True, "result": True})


app = Starlette(routes=[Route("/bot{token}/{method}", method, methods=["POST"])])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
