"""The fill board, and its rows as a fragment that htmx polls every two seconds (so a session
shows filled within two seconds of the GP's yes, whichever process booked it)."""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.console.auth import Console, by_of, home_of, redirect
from adapters.console.views import page
from bot.commands import FillBoard
from bot.errors import Refused
from bot.ports import Board

FILTERS = ("pcn", "practice", "profession", "status")


def routes(console: Console) -> list[Route]:
    engine = console.pool.engine

    async def board(request: Request, template: str, polled: bool = False) -> Response:
        signed = await console.require(request)
        chosen = {name: request.query_params.get(name, "")[:100] for name in FILTERS}
        by = by_of(signed)
        try:
            found = await engine.query(FillBoard(by=by, **chosen), actor="console")
        except Refused:
            return redirect(home_of(signed.member))
        query = urlencode({k: v for k, v in chosen.items() if v})
        version = _version(found)
        if polled and request.query_params.get("v") == version:
            # Nothing changed since the page's copy: no body, and htmx leaves the page alone
            # (the whole board of a busy pool is hundreds of KB, asked for every two seconds).
            return Response(status_code=204, headers={"Cache-Control": "no-store"})
        return page(
            request, template, signed=signed, board=found, chosen=chosen, query=query, nav="board",
            version=version,
            pcn_options=[(pcn, pcn) for pcn in found.pcns],
            practice_options=[(p.ods_code, p.name) for p in found.practices],
        )  # fmt: skip

    async def whole(request: Request) -> Response:
        return await board(request, "board.html")

    async def rows(request: Request) -> Response:
        return await board(request, "_board_rows.html", polled=True)

    async def home(request: Request) -> Response:
        signed = await console.require(request)
        return page(request, "home.html", signed=signed, nav="home")

    return [
        Route("/board", whole, methods=["GET"]),
        Route("/board/rows", rows, methods=["GET"]),
        Route("/home", home, methods=["GET"]),
    ]


def _version(board: Board) -> str:
    """What the board shows, as a short hash: its rows, and the minute (times to fill move on)."""
    shown = repr((board.days, board.practices, board.now.replace(second=0, microsecond=0)))
    return hashlib.blake2b(shown.encode(), digest_size=8).hexdigest()
