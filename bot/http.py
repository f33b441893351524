"""The HTTP app: the adapters' webhooks, the JSON API, the sandbox and /healthz on one server."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bot.api import api_router
from bot.guard import RequestGuard
from bot.log_limit import LogLimit
from bot.pay_api import documents_router, pay_router
from bot.peer_api import calendar_router, peer_router
from bot.pool import Pool


def bearer_auth(token: str) -> Callable[..., None]:
    """A dependency that lets through only ``Authorization: Bearer <token>``."""
    scheme = HTTPBearer(auto_error=False, description="POOL_ADMIN_TOKEN")

    # async, so FastAPI runs it on the loop rather than sending it to a thread pool.
    async def check(credentials: HTTPAuthorizationCredentials | None = Depends(scheme)) -> None:  # noqa: B008
        given = credentials.credentials if credentials else ""
        if not secrets.compare_digest(given.encode(), token.encode()):
            raise HTTPException(
                status_code=401,
                detail="a bearer token (POOL_ADMIN_TOKEN) is needed",
                headers={"WWW-Authenticate": "Bearer"},
            )

    return check


def create_app(
    pool: Pool,
    admin_token: str,
    routers: Sequence[APIRouter] = (),
    run_background: bool = False,
) -> FastAPI:
    """``run_background``: start the dispatcher and timer loop with the server (``serve``)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if run_background:
            await pool.start()
        try:
            yield
        finally:
            if run_background:
                await pool.stop()

    app = FastAPI(
        title="GP pool bot",
        summary="Offers vacant GP sessions by SMS, Slack and Telegram and books the first valid acceptance.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.pool = pool
    # The token and the body limit come before FastAPI reads anything; the dependency below
    # stays so the OpenAPI document shows which routes need the token.
    app.state.log_limit = LogLimit()  # tests move its clock to see repeats counted
    app.add_middleware(RequestGuard, token=admin_token, limit=app.state.log_limit)
    auth = bearer_auth(admin_token)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_: Request, error: RequestValidationError) -> JSONResponse:
        if any(e["type"] == "json_invalid" for e in error.errors()):
            return JSONResponse({"detail": "the body is not valid JSON"}, status_code=400)
        problems = [
            {"field": ".".join(str(p) for p in e["loc"] if p != "body"), "problem": e["msg"]}
            for e in error.errors()
        ]
        return JSONResponse({"detail": problems}, status_code=422)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        await pool.store.reader().timers.next_timer_due()
        return {"status": "ok"}

    # The channels' webhooks first: every route is tried in order, and a GP's reply should not
    # be matched against the whole JSON API before reaching its own (none of their paths overlap).
    for router in routers:
        app.include_router(router)
    app.include_router(api_router(pool, auth))
    app.include_router(peer_router(pool, auth))
    app.include_router(pay_router(pool, auth))
    app.include_router(documents_router(pool))
    app.include_router(calendar_router(pool))
    return app
