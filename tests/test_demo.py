"""The demo's transcript is a golden file: a change to it is a change to what people read.

To change it on purpose, run `python main.py demo > tests/golden/demo.txt`, read the diff as a
GP would, and say why in the commit message.
"""

from __future__ import annotations

from pathlib import Path

from adapters.cli.run import run_demo

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
    # choosing work: six sessions in a GP's texts as one batch, OPEN and a YES with its code
    assert "6 GP sessions for you:" in golden and "18 offers went as 4 texts, instead of 18" in golden
    assert "Open sessions you can take:" in golden and "Reply MORE for the next" in golden


async def test_the_demo_report_matches_the_day() -> None:
    """The figures at the end are what the transcript shows happened."""
    golden = GOLDEN.read_text(encoding="utf-8")
    report = golden[golden.index("Pool figures") :]
    # GP sessions: the morning's three and the six of the batch, one taken by OPEN.
    assert "Sessions posted:            9" in report
    assert "filled 4 (delivered 0), cancelled 0, expired 0, still open 5" in report
    assert (
        "GPs engaged (booked once+): 4 (salaried 1, locum 1, fellow 2)" in report
    )  # Isla, Kemi, Sam, Quentin
    assert "urgent 1 min" in report  # posted 09:15, taken 09:16
    assert "Booked:                     16 hours, GP pay £1,320.00" in report  # £320 + £360 + £320 + £320
    # Beyond GPs, a line a profession; the nurse and pharmacist sessions are not in the GP figures.
    assert "Practice nurse:             2 registered; 1 session, 1 filled" in report
    assert "Clinical pharmacist:        1 registered; 1 session, 1 filled" in report
    assert "£3,200.00 of a £120,000.00 set-up budget" in report
