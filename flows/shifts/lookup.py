"""A session found by the code a person gives (``BCDF``), with its practice."""

from __future__ import annotations

from bot.domain import Practice, Session
from bot.engine import Turn
from bot.errors import Refused


async def session_and_practice(turn: Turn, code: str) -> tuple[Session, Practice]:
    session = await turn.uow.sessions.session_by_code(code.strip())
    if session is None:
        raise Refused(f"No session has the code {code.strip().upper()}.", field="session")
    practice = await turn.uow.practices.practice(session.practice)
    assert practice is not None
    return session, practice
