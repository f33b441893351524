"""Thirteen weeks of peer support on the clock against its golden transcript
(tests/golden/season.txt; see tests/season.py for how to change it on purpose)."""

from __future__ import annotations

from pathlib import Path

from tests.season import play

GOLDEN = Path(__file__).parent / "golden" / "season.txt"


async def test_the_scripted_season_matches_its_golden_transcript() -> None:
    lines: list[str] = []
    await play(lines.append)
    assert "\n".join(lines) + "\n" == GOLDEN.read_text(encoding="utf-8")


def test_the_season_shows_what_the_peer_support_issue_promises() -> None:
    season = GOLDEN.read_text(encoding="utf-8")
    assert "to Dr Eve Moss: New GPs on Thu 10 Dec is full, so you're number 1 on the waitlist" in season
    assert "Mon 07 Dec 13:00  to Dr Eve Moss: A place came up" in season  # promoted when Ben drops out
    assert "Wed 09 Dec 12:30  to Dr Ben Carter" not in season  # reminders to those going only
    assert "Thu 10 Dec 11:30  to Dr Dee Shah: New GPs starts at 12:30" in season
    assert "Thu 10 Dec 14:00  to Dr Ana Ruiz: Did you make it to New GPs today?" in season
    assert "Mon 28 Dec 10:00  to Lee Park: Mentoring: Dr Gus Hale and Dr Pat Lowe haven't logged" in season
    assert "Dr Gus Hale: REMATCH" in season and "proposal #3: Dr Gus Hale with Dr Raj Iyer" in season
    assert "Mon 25 Jan 10:00  to Dr Ben Carter: We haven't seen you" in season  # the nudge at 8 weeks
    assert "3 sessions, 15 invited, 10 going, 1 not going" in season
    assert "8 attended, 2 missed (80% of those who said); 4 people came; 2 nudges" in season
    assert (
        "2 mentees matched, 0 waiting, 3 mentors; 5 meetings of 6 due (83%); 1 pairing ended early" in season
    )
