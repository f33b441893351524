"""A scripted week on the clock, with a restart in the middle, against its golden transcript
(tests/golden/week.txt; see tests/week.py for how to change it on purpose)."""

from __future__ import annotations

from pathlib import Path

from tests.week import play

GOLDEN = Path(__file__).parent / "golden" / "week.txt"


async def test_the_scripted_week_matches_its_golden_transcript() -> None:
    lines: list[str] = []
    await play(lines.append)
    assert "\n".join(lines) + "\n" == GOLDEN.read_text(encoding="utf-8")


def test_the_week_shows_what_the_time_issue_promises() -> None:
    week = GOLDEN.read_text(encoding="utf-8")
    assert "Mon 09:30  to Dr Cai Evans: GP session" in week  # the second wave, 30 minutes on
    assert "Mon 21:30  to Dr Ana Ruiz: URGENT" in week and "Tue 07:30  to Dr Ben Carter: URGENT" in week
    assert "Tue 09:00  to Sam Okoro: Still open" in week  # escalation, step 1
    assert "Fri 05:00  to Bea Lin: Needs cover" in week  # step 2, the next named coordinator
    assert "-- restart --" in week and "Thanks: 4.5 hours" in week  # hours after the restart
    assert "Tue 18:00  to Dr Cai Evans: Tomorrow: Riverside Surgery" in week  # the evening before
    assert "Fri 10:00  to Sam Okoro: Dr Cai Evans hasn't said" in week  # nudge, then handover
    assert "in 8 days" in week and "in 7 days" in week  # check reminders
    assert "XCVJ: delivered, 4.5 hours recorded" in week
