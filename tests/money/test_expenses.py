"""Expenses beside a session's fee: mileage by text at the pool's rate, other costs with a note."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.commands import AddExpense
from bot.errors import Refused
from bot.replies import Keyword, parse
from tests.harness import Harness, at
from tests.money.conftest import worked


async def expenses_of(pool: Harness, session):
    return (await pool.pool.store.reader().pay.expenses_for([session.id])).get(session.id, [])


async def test_miles_by_text_with_the_session_code_are_paid_at_the_pool_rate(pool: Harness) -> None:
    await pool.practice()
    gp = await pool.gp()
    session = await worked(pool, gp, at(pool.today, 13, 0), reported="4")
    await pool.send(gp, f"MILES 12.5 {session.code}")
    [expense] = await expenses_of(pool, session)
    assert (expense.kind, expense.miles, expense.amount_pence, expense.member_id) == (
        "mileage",
        12.5,
        563,
        gp.id,
    )
    noted = await pool.last(gp)
    assert noted.kind == "miles_noted" and "12.5 miles" in noted.body and "£5.63 at 45p a mile" in noted.body


async def test_miles_without_a_code_mean_the_one_session_worked_lately_and_otherwise_ask(
    pool: Harness,
) -> None:
    await pool.practice()
    gp = await pool.gp()
    first = await worked(pool, gp, at(pool.today, 9, 0), reported="4")
    await pool.send(gp, "miles 10")
    assert [e.amount_pence for e in await expenses_of(pool, first)] == [450]
    second = await worked(pool, gp, at(pool.tomorrow, 9, 0), reported="4")
    await pool.send(gp, "MILES 7")
    asked = await pool.last(gp)
    assert asked.kind == "miles_how" and first.code in asked.body and second.code in asked.body
    assert await expenses_of(pool, second) == []
    booking = await pool.pool.store.reader().bookings.live_booking(second.id)
    await pool.send(gp, f"MILES 7 {booking.code}")  # the booking's own code works too
    assert [e.miles for e in await expenses_of(pool, second)] == [7]


def test_miles_is_a_keyword_only_before_a_number() -> None:
    assert parse("MILES 12 BCDF") == Keyword("MILES", "12 bcdf", None)
    assert not isinstance(parse("Miles here, yes please"), Keyword)


async def test_other_expenses_need_a_note_and_only_the_worker_or_a_coordinator_adds_them(
    pool: Harness,
) -> None:
    await pool.practice()
    coordinator = await pool.coordinator()
    gp, other = await pool.gp(), await pool.gp()
    session = await worked(pool, gp, at(pool.today, 13, 0), reported="4")
    with pytest.raises(Refused, match="what the expense was for"):
        await pool.pool.engine.execute(AddExpense(session.code, amount_pence=1200, by=gp.id), actor="test")
    with pytest.raises(Refused, match="only the person who worked it"):
        await pool.pool.engine.execute(
            AddExpense(session.code, amount_pence=1200, note="Parking", by=other.id), actor="test"
        )
    with pytest.raises(Refused, match="at most £500"):
        await pool.pool.engine.execute(
            AddExpense(session.code, amount_pence=50_001, note="Train", by=gp.id), actor="test"
        )
    await pool.pool.engine.execute(
        AddExpense(session.code, amount_pence=1200, note="Parking", by=coordinator.id), actor="test"
    )
    [expense] = await expenses_of(pool, session)
    assert (expense.kind, expense.note, expense.member_id, expense.added_by) == (
        "other",
        "Parking",
        gp.id,
        coordinator.id,
    )


async def test_no_expenses_for_a_session_not_yet_worked(pool: Harness) -> None:
    await pool.practice()
    gp = await pool.gp()
    session = await pool.post(start=at(pool.tomorrow, 9, 0), urgent=True)
    await pool.send(gp, f"YES {await pool.offer_code(gp, session)}")
    with pytest.raises(Refused, match="has not been worked"):
        await pool.pool.engine.execute(AddExpense(session.code, miles=10, by=gp.id), actor="test")
    await pool.send(gp, f"MILES 10 {session.code}")
    assert (await pool.last(gp)).kind == "miles_how"
    assert await expenses_of(pool, session) == []


async def test_miles_with_a_code_find_an_older_session_and_a_penny_is_the_least(pool: Harness) -> None:
    await pool.practice()
    gp = await pool.gp()
    session = await worked(pool, gp, at(pool.today, 9, 0), reported="4")
    pool.clock.set(at(pool.today + timedelta(days=15), 9, 0))
    await pool.send(gp, f"MILES 0.01 {session.code}")
    assert "less than a penny" in (await pool.last(gp)).body
    await pool.send(gp, f"MILES 12 {session.code}")
    await pool.send(gp, f"MILES 12 {session.code}")  # the same claim twice is one claim
    assert [e.amount_pence for e in await expenses_of(pool, session)] == [540]
    assert "already claimed" in (await pool.last(gp)).body
