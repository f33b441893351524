"""Real reply phrasings and what each must do, driven through the engine on a real store.

Two files, each a GP holding one open offer (code ``{code}``; another GP holds ``{other}``)
sending the text, and the outcomes a careful coordinator would accept:

- tests/data/replies.csv, the grown table, tuned against: every row must come out as written.
- tests/data/replies_heldout.csv, held out: written before the reader was tuned, by someone
  who had not read it, and never tuned against. Its figures are printed; what it may never
  show is a wrong booking or a wrong decline, the worst errors the bot can make.

(The reading time is measured by bench/replies_reading.py, not here.)
"""

from __future__ import annotations

from pathlib import Path

from bot import replies
from tests.harness import Harness
from tests.replies_eval import Figures, Reader, Row, rows

GROWN = rows("replies.csv")
HELD_OUT = rows("replies_heldout.csv")


def test_the_grown_table_is_broad_and_has_its_hard_negatives() -> None:
    outcomes = {outcome.split(":")[0] for row in GROWN for outcome in row.outcomes}
    assert len(GROWN) >= 250
    assert outcomes == {"book", "decline", "clarify", "keyword", "not_understood", "acknowledged"}
    # Hard negatives: a yes or no word in something that must be neither booked nor declined.
    hard = [
        r for r in GROWN
        if r.outcomes.isdisjoint({"book", "decline"}) and {"yes", "no", "cant", "not"} & set(replies.normalise(r.text).split())
    ]  # fmt: skip
    assert len(hard) >= 15, [r.text for r in hard]


async def _read(tmp_path: Path, table: list[Row]) -> tuple[Figures, list[str]]:
    pool = await Harness.open(tmp_path)
    try:
        await pool.practice()
        reader, figures, misses = Reader(pool), Figures(), []
        for row in table:
            got = await reader.outcome(row.text)
            figures.count(row, got)
            if got not in row.outcomes:
                misses.append(f"{row.text!r}: {got}, not {'|'.join(sorted(row.outcomes))}")
        return figures, misses
    finally:
        await pool.close()


async def test_every_row_of_the_grown_table(tmp_path: Path) -> None:
    figures, misses = await _read(tmp_path, GROWN)
    print(f"\ngrown table: {figures}")
    assert misses == []


async def test_the_held_out_file_has_no_wrong_booking_or_decline(tmp_path: Path) -> None:
    figures, _ = await _read(tmp_path, HELD_OUT)
    print(f"\nheld-out file: {figures}")
    assert len(HELD_OUT) >= 120
    assert figures.wrong_bookings == 0 and figures.wrong_declines == 0
    # Not a target to tune towards: a floor, so a change that reads GPs worse shows.
    assert figures.right / figures.rows >= 0.75
