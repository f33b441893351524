"""A small simulated fortnight of a pool (bench/simulate.py) on the fake clock: the figures are
sane. Every session posted is accounted for, nobody was offered a session they were not eligible
for (checked against the simulated people's own facts as each offer was made), no session was
booked twice, and the same seed gives the same month."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

from adapters.gsm import segments, to_gsm
from bench.behaviour import Behaviour
from bench.simulate import Options, Simulation, _segment_count, simulate_async

SMALL = Options(gps=30, nurses=3, pharmacists=2, practices=6, pcns=2, days=14, seed=7, check=True)


async def test_a_small_fortnight_is_sane(tmp_path: Path) -> None:
    database = tmp_path / "pool.db"
    f = await simulate_async(replace(SMALL, database=database))
    assert f.problems == []
    assert f.posted > 25 and f.posted_urgent > 0 and f.posted_routine > 0
    assert f.posted == f.filled + f.unfilled + f.cancelled
    assert f.offers_checked == f.offers > 0
    assert 0 < f.fill_rate < 1 and 0 <= f.fill_rate_urgent <= 1 and 0 <= f.fill_rate_routine <= 1
    assert 0 <= f.filled_within_7_days <= 1 and 0 <= f.gini < 1 and 0 <= f.contracted_share <= 1
    assert 0 < f.median_hours_to_fill <= f.p90_hours_to_fill
    assert f.texts >= f.offers and f.segments >= f.texts and f.texts_per_fill > 1
    assert f.cost_per_fill_pence == f.segments * SMALL.sms_price_pence / f.filled

    # The pool's own record agrees, read without the simulator.
    db = sqlite3.connect(database)
    states = dict(db.execute("SELECT status, count(*) FROM sessions GROUP BY status").fetchall())
    assert sum(states.values()) == f.posted
    assert states.get("cancelled", 0) == f.cancelled
    assert states.get("filled", 0) + states.get("delivered", 0) == f.filled
    assert states.get("expired", 0) == f.unfilled
    twice = db.execute(
        "SELECT session_id FROM bookings WHERE state = 'booked' GROUP BY session_id HAVING count(*) > 1"
    ).fetchall()
    assert twice == []
    professions = db.execute(
        "SELECT count(*) FROM offers o JOIN sessions s ON s.id = o.session_id JOIN members m ON m.id = o.member_id "
        "WHERE ';' || s.professions || ';' NOT LIKE '%;' || m.profession || ';%'"
    ).fetchone()[0]
    assert professions == 0
    db.close()


async def test_the_same_seed_gives_the_same_month() -> None:
    first, second = await simulate_async(SMALL), await simulate_async(SMALL)
    assert replace(first, seconds=0) == replace(second, seconds=0)


async def test_the_eligibility_check_finds_an_offer_it_should_not_allow(tmp_path: Path) -> None:
    """The check that finds no problem above is able to find one."""
    sim = Simulation(replace(SMALL, behaviour=Behaviour()), tmp_path)
    await sim.open()
    try:
        sim.postings = sim.plan_postings()
        posting = next(p for p in sim.postings if p.professions == ("gp",))
        nurse = next(p for p in sim.people if p.profession == "practice_nurse")
        gp = next(p for p in sim.people if p.profession == "gp" and not p.localities and not p.days)
        assert sim.not_eligible(gp, posting, posting.posted_at) is None
        assert "offered a session for" in (sim.not_eligible(nurse, posting, posting.posted_at) or "")
        assert sim.not_eligible(gp, posting, posting.starts_at) == "offered after its start"
    finally:
        sim.db.close()
        await sim.pool.close()


def test_the_quick_segment_count_agrees_with_the_sms_adapter() -> None:
    texts = [
        "GP session Mon 8 Sep 08:30-12:30 at Northside Surgery 1. Reply YES 4821 or NO 4821",
        "x" * 160,
        "x" * 161,
        "{braces} [and] ~tilde~ ^ | \\ `tick`" * 5,
        "line\nbreak\r\n" * 20,
        "curly \u2019quote\u2019 and an ellipsis\u2026 and \u00eb",
        "\u00e9" * 80,
        "",
    ]
    for text in texts:
        assert _segment_count(text) == segments(to_gsm(text)).count, text
