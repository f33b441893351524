"""The demo's transcript is a golden file: a change to it is a change to what people read.

To change it on purpose, run `python main.py demo > tests/golden/demo.txt`, read the diff as a
GP would, and say why in the commit message.
"""

from __future__ import annotations

from pathlib import Path

from main import run_demo

GOLDEN = Path(__file__).parent / "golden" / "demo.txt"


async def test_the_demo_day_matches_its_golden_transcript() -> None:
    lines: list[str] = []
    await run_demo(lines.append)
    transcript = "\n".join(lines) + "\n"
    assert transcript == GOLDEN.read_text(encoding="utf-8")


async def test_the_demo_shows_what_the_issue_promises() -> None:
    golden = GOLDEN.read_text(encoding="utf-8")
    assert golden.count("has booked Riverside Surgery") == 2  # booked, dropped, booked again
    assert golden.count("has already been filled") == 2  # the later acceptors
    assert "has given up Riverside Surgery" in golden and "It is being offered again." in golden
    assert "I can only book Riverside Surgery" in golden  # the clarifying question
    assert "passed it to the pool coordinators" in golden  # not understood, to the inbox
