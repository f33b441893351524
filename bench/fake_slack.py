"""A stand-in for Slack's Web API on localhost, for benchmarks: answers every call at once as
Slack does, and counts the messages posted (GET /count)."""

from __future__ import annotations

import itertools
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

_ts = itertools.count(1)
posted = {"chat.postMessage": 0, "chat.update": 0, "views.publish": 0}


async def method(request: Request) -> JSONResponse:
    name = request.path_params["method"]
    body = (
        await request.json() if request.headers.get("content-type", "").startswith("application/json") else {}
    )
    if name in posted:
        posted[name] += 1
    if name == "auth.test":
        return JSONResponse({"ok": True, "team_id": "T0BENCH", "user_id": "U0BOT", "bot_id": "B0BOT"})
    if name == "chat.postMessage":
        channel = str(body.get("channel", "U0"))
        return JSONResponse(
            {"ok": True, "channel": "D" + channel[1:], "ts": f"{1_800_000_000 + next(_ts)}.000100"}
        )
    if name == "chat.update":
        return JSONResponse({"ok": True, "channel": body.get("channel"), "ts": body.get("ts")})
    return JSONResponse({"ok": True, "view": {"id": "V0"}})


async def response_url(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({"ok": True})


async def count(_: Request) -> JSONResponse:
    return JSONResponse(posted)


app = Starlette(
    routes=[
        Route("/api/{method}", method, methods=["POST", "GET"]),
        Route("/response/{n}", response_url, methods=["POST"]),
        Route("/count", count),
    ]
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
