"""The console as one ASGI app, mounted by ``serve`` at /console."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from adapters.console import board, inbox, invoices, pay, peer, people, report, sessions, signin
from adapters.console.auth import BadForm, Console, SignInFirst, redirect, refused_form
from adapters.console.views import PREFIX, STATIC
from bot.pool import Pool


class CachedStatic(StaticFiles):
    """The vendored files change only with a release: browsers may keep them for a day."""

    async def get_response(self, path: str, scope):  # type: ignore[no-untyped-def]
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "public, max-age=86400"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def console_app(pool: Pool, admin_token: str) -> Starlette:
    console = Console(pool, admin_token, secure=pool.policy.public_url.startswith("https://"))

    async def sign_in_first(request: Request, _: Exception) -> Response:
        if request.headers.get("HX-Request"):  # a poll after the session ended: the whole page goes
            return Response(status_code=200, headers={"HX-Redirect": f"{PREFIX}/"})
        return redirect("/")

    async def bad_form(request: Request, _: Exception) -> Response:
        return refused_form(request)

    routes = [
        *signin.routes(console),
        *board.routes(console),
        *sessions.routes(console),
        *inbox.routes(console),
        *people.routes(console),
        *report.routes(console),
        *pay.routes(console),
        *invoices.routes(console),
        *peer.routes(console),
        Mount("/static", CachedStatic(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={SignInFirst: sign_in_first, BadForm: bad_form})
    app.state.console = console
    return app
