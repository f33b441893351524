"""The four-digit codes a person answers with (YES 4821, 4 4821, NO 4821): offers, booking
codes and the questions the pool asks. A code is unique among what a person could still
send us, and not reused within 30 days, so a late answer to an old code is never misread."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from bot.engine import Turn

CODE_REUSE_AFTER = timedelta(days=30)


async def codes_taken(turn: Turn, member_ids: Iterable[int]) -> dict[int, set[str]]:
    return await turn.uow.offers.codes_in_use(member_ids, turn.now - CODE_REUSE_AFTER)


def new_code(turn: Turn, taken: set[str]) -> str:
    while True:
        code = str(turn.rng.randrange(1000, 10000))
        if code not in taken:
            return code


def could_be_ours(code: str) -> bool:
    """Whether a code someone sent could be one the pool gave: number codes run 1000-9999, so
    "0000" or "0123" is a number they typed (a score, say), not a code."""
    return not (code.isdigit() and code.startswith("0"))


async def fresh_code(turn: Turn, member_id: int) -> str:
    """A code for one new question to one member."""
    return new_code(turn, (await codes_taken(turn, [member_id])).get(member_id, set()))
