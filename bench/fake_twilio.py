"""A stand-in for Twilio's Messages API on localhost, for benchmarks: accepts every send at
once and answers as Twilio does (201 with a Message resource)."""

from __future__ import annotations

import itertools
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

_ids = itertools.count(1)


async def create_message(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse(
        {"sid": f"SM{next(_ids):032d}", "status": "queued", "num_segments": "1"}, status_code=201
    )


app = Starlette(
    routes=[Route("/2010-04-01/Accounts/{account}/Messages.json", create_message, methods=["POST"])]
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
