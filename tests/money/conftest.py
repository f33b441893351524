"""What the money tests share: a session worked and its hours reported, as it happens."""

from __future__ import annotations

from datetime import datetime

from bot.domain import Member, Session, SignOff
from tests.harness import Harness


async def worked(
    pool: Harness,
    gp: Member,
    start: datetime,
    hours: float = 4,
    rate_pence: int = 40_000,
    practice: str = "X10001",
    reported: str | None = None,
) -> Session:
    """``gp`` books a session at ``start`` (posted urgent, so they are offered it at once), it
    ends, and they answer the hours question with ``reported`` (nothing when None)."""
    if pool.clock.now() < start:
        session = await pool.post(
            practice=practice, start=start, hours=hours, urgent=True, rate_pence=rate_pence
        )
    else:
        raise AssertionError("post before the session starts")
    await pool.send(gp, f"YES {await pool.offer_code(gp, session)}")
    pool.clock.set(session.ends_at)
    await pool.pool.settle()
    if reported is not None:
        await pool.send(gp, reported)
    return session


async def signoff_of(pool: Harness, session: Session) -> SignOff:
    found = await pool.pool.store.reader().pay.signoff(session.id)
    assert found is not None, f"no hours reported for {session.code}"
    return found


async def asked_code(pool: Harness, member: Member, session: Session) -> str:
    """The code ``member`` was given to sign off ``session``'s hours."""
    prompt = await pool.pool.store.reader().prompts.prompt_about("signoff", member.id, session.id)
    assert prompt is not None, f"{member.name} was not asked about {session.code}"
    return prompt.code
