"""Real reply phrasings and what each must do, driven through the engine on a real store.

The table is tests/data/replies.csv: a GP holding one open offer (code ``{code}``; another GP
holds ``{other}``) sends the text. Forgiving about form, never guessing about meaning.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bot.domain import OfferState, SessionStatus
from tests.harness import Harness

TABLE = Path(__file__).parent / "data" / "replies.csv"
ROWS = list(csv.DictReader(TABLE.open(encoding="utf-8")))


def test_the_table_is_broad() -> None:
    outcomes = {row["outcome"].split(":")[0] for row in ROWS}
    assert len(ROWS) >= 60
    assert outcomes == {"book", "decline", "clarify", "keyword", "not_understood", "acknowledged"}


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['outcome']}:{r['text']}" for r in ROWS])
async def test_reply(tmp_path: Path, row: dict[str, str]) -> None:
    pool = await Harness.open(tmp_path)
    try:
        await pool.practice()
        gp, other = await pool.gp("Dr Ada"), await pool.gp("Dr Bo")
        session = await pool.post(urgent=True)
        code, other_code = await pool.offer_code(gp, session), await pool.offer_code(other, session)
        before = len(await pool.messages(gp))

        await pool.send(gp, row["text"].format(code=code, other=other_code))

        replies = (await pool.messages(gp))[before:]
        view = await pool.view(session)
        mine = next(o for o, m in view.offers if m.id == gp.id)
        inbox = await pool.pool.store.reader().inbox()
        kind, _, detail = row["outcome"].partition(":")
        if kind == "book":
            assert view.session.status == SessionStatus.FILLED
            assert view.booked is not None and view.booked.id == gp.id
            assert replies[0].kind == "booked"
            return
        assert view.booked is None, "only a clear yes books"
        if kind == "decline":
            assert mine.state == OfferState.DECLINED
            assert [r.kind for r in replies] == ["declined"]
        elif kind == "clarify":
            assert mine.state == OfferState.OPEN, "a clarifying question changes nothing"
            assert [r.kind for r in replies] == ["clarify"]
            assert replies[0].choices, "the question offers the answers"
        elif kind == "keyword":
            assert [r.kind for r in replies] == [detail]
        elif kind == "not_understood":
            assert mine.state == OfferState.OPEN
            assert [r.kind for r in replies] == ["not_understood"]
            assert [item.member.id for item in inbox if item.member] == [gp.id]
        elif kind == "acknowledged":
            assert mine.state == OfferState.OPEN
            assert replies == []
        if kind != "not_understood":
            assert inbox == [], "only what the bot did not understand goes to the inbox"
    finally:
        await pool.close()
