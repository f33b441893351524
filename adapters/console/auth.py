"""Who is signed in, and whether a form came from our own page.

The session is an HttpOnly cookie holding a random token (only its hash is stored), Secure
when the pool's public address is https, SameSite=Lax, lasting as long as the session (12
hours at most). Forms carry a CSRF token: the session's own once signed in; before that, a
random value also set as a cookie (the double-submit pattern), so the sign-in forms cannot be
posted from another site either.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from adapters.console.views import PREFIX, SECURITY_HEADERS, leads_peer, page, runs_sessions
from bot.commands import ConsoleSessionFor
from bot.domain import Member
from bot.pool import Pool
from bot.ports.signin import SignedIn

SESSION_COOKIE = "pool_console"
FORM_COOKIE = "pool_console_form"


class SignInFirst(Exception):
    """The page needs someone signed in: they are sent to the sign-in page."""


class BadForm(Exception):
    """The form's CSRF token is missing or wrong: nothing is done."""


@dataclass
class Console:
    pool: Pool
    admin_token: str
    secure: bool  # cookies only over https (POOL_PUBLIC_URL is https)

    async def signed_in(self, request: Request) -> SignedIn | None:
        token = request.cookies.get(SESSION_COOKIE)
        if not token or len(token) > 200:
            return None
        found: SignedIn | None = await self.pool.engine.query(ConsoleSessionFor(token), actor="console")
        return found

    async def require(self, request: Request) -> SignedIn:
        found = await self.signed_in(request)
        if found is None:
            raise SignInFirst
        return found

    async def form(self, request: Request, signed: SignedIn | None) -> Any:
        """The posted form, once its CSRF token matches (the session's, or the pre-sign-in
        cookie's); otherwise BadForm."""
        form = await request.form()
        given = str(form.get("csrf") or "")
        expected = signed.session.csrf if signed else request.cookies.get(FORM_COOKIE, "")
        if not given or not expected or not secrets.compare_digest(given.encode(), expected.encode()):
            raise BadForm
        return form

    def set_session(self, response: Response, signed: SignedIn) -> None:
        lifetime = signed.session.expires_at - self.pool.clock.now()
        response.set_cookie(
            SESSION_COOKIE,
            signed.token,
            max_age=max(0, int(lifetime.total_seconds())),
            path=PREFIX,
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )
        response.delete_cookie(FORM_COOKIE, path=PREFIX)

    def end_session(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path=PREFIX, secure=self.secure, httponly=True, samesite="lax")


def by_of(signed: SignedIn) -> int | None:
    """The member a command is run for (None: the admin)."""
    return signed.member.id if signed.member else None


def actor_of(signed: SignedIn) -> str:
    """Who the audit log says acted."""
    return f"member:{signed.member.id}" if signed.member else "console"


def path_number(request: Request, name: str) -> int:
    """A number from the path, or 0 (no such thing) when it is not one the store could hold."""
    try:
        found = int(request.path_params[name])
    except ValueError:
        return 0
    return found if 0 < found < 2**63 else 0


def form_token(request: Request) -> str:
    """The pre-sign-in CSRF value: the cookie's, or a new one (set by ``with_form_cookie``)."""
    return request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(32)


def with_form_cookie(console: Console, response: Response, token: str) -> Response:
    response.set_cookie(
        FORM_COOKIE, token, path=PREFIX, secure=console.secure, httponly=True, samesite="strict"
    )
    return response


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}{path}", status_code=303, headers=SECURITY_HEADERS)


def home_of(member: Member | None) -> str:
    """Where a person lands: the fill board for those who run sessions, peer support for a
    lead, else their home (a mentor's)."""
    if runs_sessions(member):
        return "/board"
    return "/peer" if leads_peer(member) else "/home"


def refused_form(request: Request) -> Response:
    return page(
        request,
        "problem.html",
        status=403,
        title="This form cannot be used",
        message="The form had expired or did not come from this site, so nothing was done. "
        "Go back, reload the page and try again.",
    )
