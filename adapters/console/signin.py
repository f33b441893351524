"""Signing in: ask for a link, open it, press Sign in; the admin token for set-up; sign out."""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.console.auth import Console, form_token, home_of, redirect, with_form_cookie
from adapters.console.views import page
from bot.commands import CheckSignInLink, RequestSignIn, SignOut, StartAdminSession, UseSignInLink
from bot.errors import Refused

MAX_WHO = 200  # a phone number or an email; anything longer is not one


def client_of(request: Request) -> str:
    """The client's address (behind a proxy on this machine, uvicorn takes X-Forwarded-For)."""
    return request.client.host if request.client else "unknown"


def routes(console: Console) -> list[Route]:
    engine = console.pool.engine

    async def sign_in_page(request: Request, **context: object) -> Response:
        token = form_token(request)
        status = int(context.pop("status", 200))  # type: ignore[call-overload]
        response = page(request, "signin.html", status=status, csrf=token, signed=None, **context)
        return with_form_cookie(console, response, token)

    async def start(request: Request) -> Response:
        signed = await console.signed_in(request)
        if signed is not None:
            return redirect(home_of(signed.member))
        signed_out = request.query_params.get("signed_out") == "1"
        return await sign_in_page(request, signed_out=signed_out)

    async def ask_for_link(request: Request) -> Response:
        form = await console.form(request, None)
        who = str(form.get("who") or "").strip()
        if not who or len(who) > MAX_WHO:
            return await sign_in_page(
                request, status=422, error="Enter your mobile phone number or your email.", who=who[:MAX_WHO]
            )
        try:
            await engine.execute(RequestSignIn(who, client_of(request)), actor="console")
        except Refused as refusal:
            status = 429 if refusal.field == "rate" else 422
            return await sign_in_page(request, status=status, error=refusal.message, who=who)
        return page(request, "link_sent.html", who=who, signed=None)

    async def open_link(request: Request) -> Response:
        """Only shows a button: opening a link (a chat preview, a link scanner) never uses it."""
        token = request.path_params["token"]
        refusal = await engine.query(CheckSignInLink(token[:200]), actor="console")
        csrf = form_token(request)
        response = page(
            request,
            "link.html",
            status=410 if refusal else 200,
            token=token,
            csrf=csrf,
            error=refusal,
            signed=None,
        )
        return with_form_cookie(console, response, csrf)

    async def use_link(request: Request) -> Response:
        await console.form(request, None)
        token = request.path_params["token"]
        try:
            signed = await engine.execute(UseSignInLink(token[:200]), actor="console")
        except Refused as refusal:
            csrf = form_token(request)
            response = page(
                request, "link.html", status=410, token=token, csrf=csrf, error=refusal.message, signed=None
            )
            return with_form_cookie(console, response, csrf)
        response = redirect(home_of(signed.member))
        console.set_session(response, signed)
        return response

    async def admin(request: Request) -> Response:
        """The admin token, for setting a pool up: by a form POST only, never in a URL."""
        form = await console.form(request, None)
        given = str(form.get("token") or "")
        right = secrets.compare_digest(given.encode(), console.admin_token.encode())
        try:
            signed = await engine.execute(StartAdminSession(client_of(request), right), actor="console")
        except Refused as refusal:
            return await sign_in_page(request, status=429, admin_error=refusal.message)
        if signed is None:
            return await sign_in_page(request, status=401, admin_error="That is not the pool's admin token.")
        response = redirect("/board")
        console.set_session(response, signed)
        return response

    async def sign_out(request: Request) -> Response:
        signed = await console.require(request)
        await console.form(request, signed)
        await engine.execute(SignOut(signed.token), actor="console")
        response = redirect("/?signed_out=1")
        console.end_session(response)
        return response

    return [
        Route("/", start, methods=["GET"]),
        Route("/sign-in", ask_for_link, methods=["POST"]),
        Route("/link/{token}", open_link, methods=["GET"]),
        Route("/link/{token}", use_link, methods=["POST"]),
        Route("/admin", admin, methods=["POST"]),
        Route("/sign-out", sign_out, methods=["POST"]),
    ]
