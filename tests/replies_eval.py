"""What a reply to one open offer leads to, through the real engine and store: the outcome a
coordinator would see (book, decline, clarify, keyword:<reply kind>, not_understood,
acknowledged). Shared by the phrase-table tests and the figures.

Each reply comes from its own GP, who holds one urgent offer (another GP holds ``{other}``),
and the bot's last message to them is that offer. One pool serves many replies: after each,
its two GPs stop being GPs, so the next session is offered only to the next pair.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from bot.commands import CancelSession
from bot.domain import OfferState
from tests.harness import Harness

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Row:
    text: str
    outcomes: frozenset[str]  # those a careful coordinator would accept
    why: str


def rows(name: str) -> list[Row]:
    """A table: ``text,outcome,why`` (one outcome) or ``text,outcomes,why`` (``|``-separated)."""
    with (DATA / name).open(encoding="utf-8") as handle:
        found = []
        for row in csv.DictReader(handle):
            accepted = row.get("outcomes") or row["outcome"]
            found.append(Row(row["text"], frozenset(accepted.split("|")), row.get("why") or ""))
        return found


class Reader:
    def __init__(self, pool: Harness) -> None:
        self.pool = pool
        self._n = 0

    async def outcome(self, text: str) -> str:
        pool = self.pool
        self._n += 1
        gp = await pool.gp(f"Dr Reader {self._n}")
        other = await pool.gp(f"Dr Other {self._n}")
        session = await pool.post(urgent=True)
        code, other_code = await pool.offer_code(gp, session), await pool.offer_code(other, session)
        before = len(await pool.messages(gp))
        await pool.send(gp, text.format(code=code, other=other_code))
        sent = (await pool.messages(gp))[before:]
        replies = [m.kind for m in sent]
        view = await pool.view(session)
        mine = next(o for o, m in view.offers if m.id == gp.id)
        filed = [i for i in await pool.pool.store.reader().inbox.items() if i.member and i.member.id == gp.id]
        async with pool.pool.store.unit_of_work() as uow:  # out of the way of the next reply
            for member in (gp, other):
                await uow.members.update_member(member.id, roles=frozenset())
        if view.session.status == "open":
            await pool.pool.engine.execute(CancelSession(session.code), actor="test")
        if view.booked is not None and view.booked.id == gp.id:
            return "book"
        if mine.state == OfferState.DECLINED:
            return "decline"
        if filed:
            return "not_understood" if replies == ["not_understood"] else f"inbox:{','.join(replies)}"
        if not replies:
            return "acknowledged"
        if replies == ["clarify"]:
            return "clarify" if sent[0].choices else "clarify without the answers to tap"
        if len(replies) == 1:
            return f"keyword:{replies[0]}"
        return f"other:{','.join(replies)}"


@dataclass
class Figures:
    rows: int = 0
    right: int = 0
    wrong_bookings: int = 0
    wrong_declines: int = 0

    def count(self, row: Row, got: str) -> None:
        self.rows += 1
        self.right += got in row.outcomes
        self.wrong_bookings += got == "book" and "book" not in row.outcomes
        self.wrong_declines += got == "decline" and "decline" not in row.outcomes

    def __str__(self) -> str:
        share = 100 * self.right / self.rows if self.rows else 0
        return (
            f"{self.rows} replies: {self.right} right ({share:.1f}%), "
            f"{self.wrong_bookings} wrong bookings, {self.wrong_declines} wrong declines"
        )
