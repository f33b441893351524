"""Signing in to the console without a password.

A person who runs the pool (a coordinator, practice manager, peer-network lead or mentor)
gives their phone number or email and gets a one-time link on the channel that reaches them
now. Opening the link only shows a button (chat previews and link scanners open links too);
pressing it uses the link up and starts a console session. Links last ten minutes and work
once; sessions last twelve hours at most. Only hashes of links and session tokens are kept.
Each link costs a text, so requests are limited by number and by the client's address; the
answer is the same whether or not the number belongs to anyone.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timedelta

from bot.clock import london_date
from bot.commands import (
    CheckSignInLink,
    ConsoleSessionFor,
    RequestSignIn,
    SignOut,
    StartAdminSession,
    UseSignInLink,
)
from bot.domain import Member, Outbound
from bot.engine import Engine, Turn
from bot.errors import Refused
from bot.phones import to_e164
from bot.ports.signin import SignedIn
from flows.conversation.messages import render

LINK_LIFETIME = timedelta(minutes=10)
SESSION_LIFETIME = timedelta(hours=12)
# Each link is a text: a number gets a few tries a quarter of an hour (a slow phone, a typo
# in the page), and one address a few people's worth an hour (a practice's shared connection).
PER_NUMBER = (3, timedelta(minutes=15))
PER_CLIENT = (10, timedelta(hours=1))
ADMIN_GUESSES = (5, timedelta(hours=1))  # wrong admin tokens from one address


def register(engine: Engine) -> None:
    engine.on_command(RequestSignIn, request_sign_in)
    engine.on_command(CheckSignInLink, check_link)
    engine.on_command(UseSignInLink, use_link)
    engine.on_command(StartAdminSession, start_admin_session)
    engine.on_command(ConsoleSessionFor, session_for)
    engine.on_command(SignOut, sign_out)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def runs_the_pool(member: Member, today: date) -> bool:
    if member.left_on is not None and member.left_on <= today:
        return False  # gone from the pool: the console is closed to them
    return member.is_coordinator or any(
        role in ("lead", "mentor") or role.startswith("practice:") for role in member.roles
    )


async def _within_limit(turn: Turn, key: str, limit: tuple[int, timedelta]) -> bool:
    most, window = limit
    return await turn.uow.signins.count_link_requests(key, turn.now - window) < most


async def request_sign_in(turn: Turn, command: RequestSignIn) -> None:
    who = command.who.strip()
    if "@" in who:
        key = f"email:{who.lower()}"
        find = turn.uow.members.member_by_email
    else:
        try:
            key = f"phone:{to_e164(who)}"
        except ValueError:
            raise Refused(
                "Enter your mobile phone number, like 07700 900123, or your email.", field="who"
            ) from None
        find = turn.uow.members.member_by_phone
    client = f"client:{command.client}"
    if not await _within_limit(turn, key, PER_NUMBER):
        raise Refused("Too many sign-in links for that. Wait 15 minutes, then try again.", field="rate")
    if not await _within_limit(turn, client, PER_CLIENT):
        raise Refused("Too many sign-in links from here. Wait an hour, then try again.", field="rate")
    await turn.uow.signins.forget_link_requests(
        turn.now - max(PER_NUMBER[1], PER_CLIENT[1], ADMIN_GUESSES[1])
    )
    await turn.uow.signins.record_link_request(key, turn.now)
    await turn.uow.signins.record_link_request(client, turn.now)
    member = await find(key.split(":", 1)[1])
    if member is None or not runs_the_pool(member, london_date(turn.now)):
        return  # the page says the same: nobody learns who is in the pool
    token = secrets.token_urlsafe(32)
    await turn.uow.signins.add_link(token_hash(token), member.id, turn.now, turn.now + LINK_LIFETIME)
    link = f"{turn.policy.public_url}/console/link/{token}"
    turn.say(
        Outbound(
            text=render(
                "signin_link",
                link=link,
                minutes=int(LINK_LIFETIME.total_seconds() // 60),
                pool_name=turn.policy.pool_name,
            ),
            member_id=member.id,
            kind="signin_link",
            variables=(("link", link), ("minutes", str(int(LINK_LIFETIME.total_seconds() // 60)))),
        )
    )
    await turn.audit("signin_link_sent", f"member:{member.id}", None)


async def check_link(turn: Turn, command: CheckSignInLink) -> str | None:
    """None when the link would sign in; else why not, in words."""
    link = await turn.uow.signins.link(token_hash(command.token))
    state = _link_state(link.used_at, link.expires_at, turn.now) if link else "unknown"
    return None if state == "ok" else LINK_REFUSALS[state]


def _link_state(used_at: datetime | None, expires_at: datetime, now: datetime) -> str:
    if used_at is not None:
        return "used"
    return "expired" if expires_at <= now else "ok"


LINK_REFUSALS = {
    "unknown": "This sign-in link is not one we sent. Ask for a new one.",
    "used": "This sign-in link has been used already. Ask for a new one.",
    "expired": "This sign-in link has expired: links last 10 minutes. Ask for a new one.",
}


async def use_link(turn: Turn, command: UseSignInLink) -> SignedIn:
    link = await turn.uow.signins.link(token_hash(command.token))
    state = _link_state(link.used_at, link.expires_at, turn.now) if link else "unknown"
    if link is None or state != "ok" or not await turn.uow.signins.use_link(link.id, turn.now):
        raise Refused(LINK_REFUSALS["used" if state == "ok" else state], field="link")
    member = await turn.uow.members.member(link.member_id)
    if member is None or not runs_the_pool(member, london_date(turn.now)):
        raise Refused("You no longer have a role that uses the console.", field="role")
    await turn.audit("signed_in", f"member:{member.id}", None, by="link")
    return await _start(turn, member)


async def start_admin_session(turn: Turn, command: StartAdminSession) -> SignedIn | None:
    key = f"admin:{command.client}"
    if not await _within_limit(turn, key, ADMIN_GUESSES):
        raise Refused("Too many wrong admin tokens from here. Wait an hour, then try again.", field="rate")
    if not command.token_ok:
        await turn.uow.signins.record_link_request(key, turn.now)  # counted, so guessing is slow
        await turn.audit("admin_token_refused", "admin", None, client=command.client)
        return None
    await turn.audit("signed_in", "admin", None, by="admin_token")
    return await _start(turn, None)


async def _start(turn: Turn, member: Member | None) -> SignedIn:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = turn.now + SESSION_LIFETIME
    await turn.uow.signins.add_session(
        token_hash(token), member.id if member else None, csrf, turn.now, expires
    )
    session = await turn.uow.signins.session(token_hash(token), turn.now)
    assert session is not None
    return SignedIn(token, session, member)


async def session_for(turn: Turn, command: ConsoleSessionFor) -> SignedIn | None:
    """A query: the live session with this token and its member (None when it has ended,
    expired, or its member no longer runs the pool)."""
    session = await turn.uow.signins.session(token_hash(command.token), turn.now)
    if session is None:
        return None
    if session.member_id is None:
        return SignedIn(command.token, session, None)
    member = await turn.uow.members.member(session.member_id)
    if member is None or not runs_the_pool(member, london_date(turn.now)):
        return None
    return SignedIn(command.token, session, member)


async def sign_out(turn: Turn, command: SignOut) -> bool:
    session = await turn.uow.signins.session(token_hash(command.token), turn.now)
    if session is None:
        return False
    await turn.uow.signins.end_session(token_hash(command.token), turn.now)
    await turn.audit("signed_out", f"member:{session.member_id}" if session.member_id else "admin", None)
    return True
