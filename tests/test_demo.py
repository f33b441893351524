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


async def test_the_demo_shows_what_the_issues_promise() -> None:
    golden = GOLDEN.read_text(encoding="utf-8")
    # the pool core
    assert golden.count("is booked for Riverside Surgery, Tue 1 Dec") == 2  # booked, dropped, booked again
    assert golden.count("has already been filled") == 2  # the later acceptors
    assert "has given up Riverside Surgery" in golden and "It is being offered again." in golden
    assert "I can only book Riverside Surgery" in golden  # the clarifying question
    assert "passed it to the pool coordinators" in golden  # not understood, to the inbox
    # running a pool
    assert "Tom Reilly posts session" in golden
    assert "AVAILABLE thu pm" in golden and "1 open session fits" in golden
    assert "books Dr Sam Whitfield" in golden and "The pool has booked you" in golden
    assert "- Priya Shah, Riverside & Hillview GP Pool" in golden  # the inbox answered through the bot


async def test_the_demo_report_matches_the_day() -> None:
    """The figures at the end are what the transcript shows happened."""
    golden = GOLDEN.read_text(encoding="utf-8")
    report = golden[golden.index("Pool figures") :]
    assert "Sessions posted:            3" in report
    assert "filled 3 (delivered 0), cancelled 0, expired 0, still open 0" in report
    assert "GPs engaged (booked once+): 3 (salaried 1, fellow 2)" in report  # Isla, Kemi, Sam
    assert "urgent 1 min" in report  # posted 09:15, taken 09:16
    assert "Booked:                     12 hours, GP pay £1,000.00" in report  # £320 + £360 + £320
    assert "£3,200.00 of a £120,000.00 set-up budget" in report
