"""The practice signs off the hours a clinician reported; pay is worked out once and kept."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.commands import BuildTimesheets, ConfirmHours, ListSignOffs, QueryHours, RecordDelivery, SettleHours
from bot.errors import Refused
from bot.policy import PoolPolicy
from storage.sqlite.migrate import numbered_migrations, statements
from tests.harness import AUTH, Harness, at
from tests.money.conftest import asked_code, signoff_of, worked


async def manager(pool: Harness, ods: str = "X10001", name: str = "Maya Patel"):
    return await pool.member(name, roles=(f"practice:{ods}",))


async def test_the_practice_manager_confirms_with_ok_and_the_code_and_the_pay_is_kept(pool: Harness) -> None:
    await pool.practice()
    pm, gp = await manager(pool), await pool.gp("Dr Ana Silva")
    session = await worked(pool, gp, at(pool.today, 13, 0), reported="4")
    asked = await pool.last(pm)
    code = await asked_code(pool, pm, session)
    assert asked.kind == "signoff_ask" and "Dr Ana Silva worked 4 hours at Riverside Surgery" in asked.body
    assert f"QUERY {code}" in asked.body
    assert (await signoff_of(pool, session)).state == "awaiting"

    await pool.send(pm, f"OK {code}")
    signed = await signoff_of(pool, session)
    assert (signed.state, signed.pay_pence, signed.pay_rule, signed.signed_off_by) == (
        "signed_off",
        40_000,
        "session",
        pm.id,
    )
    assert (await pool.last(pm)).kind == "signoff_confirmed"
    told = await pool.last(gp)
    assert told.kind == "signoff_gp_told" and "Pay: £400" in told.body
    # Saying it again changes nothing and says so.
    await pool.send(pm, f"OK {code}")
    assert (await signoff_of(pool, session)).signed_off_at == signed.signed_off_at
    assert (await pool.last(pm)).kind == "signoff_already"


async def test_pro_rata_pay_follows_the_hours_and_is_never_worked_out_again(tmp_path) -> None:
    pool = await Harness.open(
        tmp_path, policy=replace(PoolPolicy(pool_name="Test Pool"), pay_rule="pro_rata")
    )
    try:
        await pool.practice()
        pm, gp = await manager(pool), await pool.gp()
        session = await worked(pool, gp, at(pool.today, 13, 0), hours=4, rate_pence=40_001, reported="3h15")
        await pool.send(pm, f"OK {await asked_code(pool, pm, session)}")
        signed = await signoff_of(pool, session)
        # £400.01 × 3.25 / 4 = £325.008125: 32,501 pence.
        assert (signed.pay_pence, signed.pay_rule) == (32_501, "pro_rata")
    finally:
        await pool.close()
    # The pool changes its rule: what was signed off stays as it was.
    reopened = await Harness.open(tmp_path, policy=PoolPolicy(pool_name="Test Pool"))
    try:
        assert (await signoff_of(reopened, session)).pay_pence == 32_501
    finally:
        await reopened.close()


async def test_a_query_reaches_the_coordinators_with_both_sides_and_a_coordinator_settles_it(
    pool: Harness,
) -> None:
    await pool.practice()
    coordinator = await pool.coordinator()
    pm, gp = await manager(pool), await pool.gp("Dr Ana Silva")
    session = await worked(pool, gp, at(pool.today, 13, 0), reported="4.5")
    code = await asked_code(pool, pm, session)
    await pool.send(pm, f"QUERY {code} she left at 4pm, so 3 hours")
    queried = await signoff_of(pool, session)
    assert (queried.state, queried.query, queried.queried_by) == (
        "queried",
        "she left at 4pm, so 3 hours",
        pm.id,
    )
    alert = await pool.last(coordinator)
    assert alert.kind == "signoff_query_alert"
    assert (
        "Dr Ana Silva's 4.5 hours (booked 4)" in alert.body and '"she left at 4pm, so 3 hours"' in alert.body
    )
    assert (await pool.last(gp)).kind == "signoff_gp_queried"
    assert (await pool.last(pm)).kind == "signoff_queried"
    # The practice cannot now confirm it: the coordinators settle it.
    with pytest.raises(Refused, match="queried"):
        await pool.pool.engine.execute(ConfirmHours(session.code, by=pm.id), actor="test")

    await pool.pool.engine.execute(
        SettleHours(session.code, 3.5, note="Agreed on the phone: 3.5 hours.", by=coordinator.id),
        actor="test",
    )
    settled = await signoff_of(pool, session)
    assert (settled.state, settled.hours, settled.reported_hours, settled.pay_pence) == (
        "signed_off",
        3.5,
        4.5,
        40_000,
    )
    assert settled.settled_note == "Agreed on the phone: 3.5 hours."
    assert (await pool.view(session)).session.delivered_hours == 3.5
    assert "are agreed: 3.5 hours, pay £400" in (await pool.last(gp)).body
    assert "are agreed: 3.5 hours" in (await pool.last(pm)).body


async def test_a_settlement_may_set_the_pay_agreed(pool: Harness) -> None:
    await pool.practice()
    coordinator = await pool.coordinator()
    gp = await pool.gp()
    session = await worked(pool, gp, at(pool.today, 13, 0), reported="4")
    await pool.pool.engine.execute(
        SettleHours(session.code, 4, pay_pence=35_000, by=coordinator.id), actor="test"
    )
    settled = await signoff_of(pool, session)
    assert (settled.pay_pence, settled.pay_rule, settled.reported_hours) == (35_000, "agreed", None)
    practice_manager = await manager(pool, name="Late Joiner")
    with pytest.raises(Refused, match="coordinators"):
        await pool.pool.engine.execute(SettleHours(session.code, 3, by=practice_manager.id), actor="test")


async def test_unconfirmed_hours_get_one_reminder_then_the_coordinators_are_told(pool: Harness) -> None:
    await pool.practice()
    coordinator = await pool.coordinator()
    pm, gp = await manager(pool), await pool.gp()
    # Tuesday 1 December, 13:00-17:00; reported at 17:00.
    session = await worked(pool, gp, at(pool.today, 13, 0), reported="4")
    code = await asked_code(pool, pm, session)
    pool.clock.set(at(pool.today + timedelta(days=3), 9, 59))  # Friday, 09:59
    await pool.pool.settle()
    assert [m.kind for m in await pool.messages(pm)].count("signoff_reminder") == 0
    pool.clock.set(at(pool.today, 10, 0))
    await pool.pool.settle()
    reminder = await pool.last(pm)
    assert reminder.kind == "signoff_reminder" and f"QUERY {code}" in reminder.body  # the same code
    assert (await signoff_of(pool, session)).reminded_at is not None
    # Three days on is Monday 7 December: the coordinators hear, once.
    pool.clock.set(at(pool.today + timedelta(days=3), 10, 0))
    await pool.pool.settle()
    escalation = await pool.last(coordinator)
    assert escalation.kind == "signoff_escalation" and "hasn't confirmed" in escalation.body
    pool.clock.set(at(pool.today + timedelta(days=10), 10, 0))
    await pool.pool.settle()
    kinds = [m.kind for m in await pool.messages(pm)] + [m.kind for m in await pool.messages(coordinator)]
    assert (kinds.count("signoff_reminder"), kinds.count("signoff_escalation")) == (1, 1)
    # The coordinator confirms it for the practice.
    await pool.pool.engine.execute(ConfirmHours(session.code, by=coordinator.id), actor="test")
    assert (await signoff_of(pool, session)).state == "signed_off"


async def test_confirmed_in_time_nobody_is_reminded(pool: Harness) -> None:
    await pool.practice()
    coordinator = await pool.coordinator()
    pm, gp = await manager(pool), await pool.gp()
    session = await worked(pool, gp, at(pool.today, 13, 0), reported="4")
    await pool.send(pm, f"ok {await asked_code(pool, pm, session)} thanks")
    pool.clock.set(at(pool.today + timedelta(days=14), 10, 0))
    await pool.pool.settle()
    kinds = [m.kind for m in await pool.messages(pm)] + [m.kind for m in await pool.messages(coordinator)]
    assert "signoff_reminder" not in kinds and "signoff_escalation" not in kinds


async def test_ok_stays_a_pleasantry_with_no_signoff_open_and_is_asked_about_with_one(pool: Harness) -> None:
    await pool.practice()
    pm, gp = await manager(pool), await pool.gp()
    before = len(await pool.messages(pm))
    await pool.send(pm, "ok")
    assert len(await pool.messages(pm)) == before, "a nod needs no answer"
    session = await worked(pool, gp, at(pool.today, 13, 0), reported="4")
    code = await asked_code(pool, pm, session)
    for said in ("ok", "Okay.", "yes"):
        await pool.send(pm, said)
        how = await pool.last(pm)
        assert how.kind == "signoff_how" and f"OK {code}" in how.body, said
        assert (await signoff_of(pool, session)).state == "awaiting", said
    await pool.send(pm, "no")
    assert (await pool.last(pm)).kind == "signoff_how"
    assert (await signoff_of(pool, session)).state == "awaiting"


async def test_ok_with_an_offer_code_never_books(pool: Harness) -> None:
    """'OK code' belongs to sign-offs: for an offer it is asked about, as it always was."""
    await pool.practice()
    gp = await pool.gp()
    session = await pool.post(start=at(pool.tomorrow, 9, 0), urgent=True)
    await pool.send(gp, f"OK {await pool.offer_code(gp, session)}")
    assert (await pool.view(session)).session.status == "open"


async def test_a_practice_with_no_manager_is_signed_off_by_the_coordinators(pool: Harness) -> None:
    await pool.practice()
    coordinator = await pool.coordinator()
    gp = await pool.gp()
    session = await worked(pool, gp, at(pool.today, 13, 0), reported="4")
    asked = await pool.last(coordinator)
    assert asked.kind == "signoff_ask" and "Please confirm them for the practice" in asked.body
    await pool.send(coordinator, f"OK {await asked_code(pool, coordinator, session)}")
    assert (await signoff_of(pool, session)).signed_off_by == coordinator.id


async def test_hours_a_practice_manager_records_are_signed_off_at_once(pool: Harness) -> None:
    await pool.practice()
    pm, gp = await manager(pool), await pool.gp()
    session = await worked(pool, gp, at(pool.today, 13, 0))
    await pool.pool.engine.execute(RecordDelivery(session.code, 3.5, by=pm.id), actor="test")
    signed = await signoff_of(pool, session)
    assert (signed.state, signed.reported_by, signed.signed_off_by, signed.pay_pence) == (
        "signed_off", "practice", pm.id, 40_000,
    )  # fmt: skip
    assert (await pool.last(gp)).kind == "signoff_gp_told"


async def test_a_coordinator_recording_hours_asks_the_practice(pool: Harness) -> None:
    await pool.practice()
    coordinator = await pool.coordinator()
    pm, gp = await manager(pool), await pool.gp()
    session = await worked(pool, gp, at(pool.today, 13, 0))
    await pool.pool.engine.execute(RecordDelivery(session.code, 4, by=coordinator.id), actor="test")
    assert (await signoff_of(pool, session)).reported_by == "coordinator"
    assert (await pool.last(pm)).kind == "signoff_ask"


async def test_two_managers_asked_one_confirms_and_the_other_is_told_it_is_done(pool: Harness) -> None:
    await pool.practice()
    first, second, gp = await manager(pool), await manager(pool, name="Second"), await pool.gp()
    session = await worked(pool, gp, at(pool.today, 13, 0), reported="4")
    late_code = await asked_code(pool, second, session)
    await pool.send(first, f"OK {await asked_code(pool, first, session)}")
    await pool.send(second, f"OK {late_code}")
    assert (await signoff_of(pool, session)).signed_off_by == first.id
    late = await pool.last(second)
    assert late.kind == "signoff_already" and "confirmed already" in late.body


async def test_only_the_practice_and_coordinators_sign_off_and_never_ones_own_hours(pool: Harness) -> None:
    await pool.practice()
    await pool.practice("X20002", "Hillview")
    other, gp = await manager(pool, "X20002", "Other PM"), await pool.gp()
    session = await worked(pool, gp, at(pool.today, 13, 0), reported="4")
    for command in (ConfirmHours(session.code, by=other.id), QueryHours(session.code, "no", by=other.id)):
        with pytest.raises(Refused, match="your own practice"):
            await pool.pool.engine.execute(command, actor="test")
    with pytest.raises(Refused, match="your own hours"):
        await pool.pool.engine.execute(ConfirmHours(session.code, by=gp.id), actor="test")
    assert (await signoff_of(pool, session)).state == "awaiting"


async def test_who_sees_which_hours(pool: Harness) -> None:
    await pool.practice()
    await pool.practice("X20002", "Hillview")
    coordinator = await pool.coordinator()
    pm = await manager(pool)
    ana, ben = await pool.gp("Dr Ana"), await pool.gp("Dr Ben")
    first = await worked(pool, ana, at(pool.today, 9, 0), reported="4")
    second = await worked(pool, ben, at(pool.tomorrow, 9, 0), practice="X20002", reported="4")
    month = pool.today.replace(day=1)

    async def seen(by) -> set[str]:
        rows = await pool.pool.engine.query(ListSignOffs(month, by=by.id if by else None), actor="test")
        return {row.session.code for row in rows}

    assert await seen(coordinator) == await seen(None) == {first.code, second.code}
    assert await seen(pm) == {first.code}
    assert await seen(ana) == {first.code} and await seen(ben) == {second.code}
    with pytest.raises(Refused, match="own practice"):
        await pool.pool.engine.query(ListSignOffs(month, by=pm.id, practice="X20002"), actor="test")


async def test_a_query_too_long_to_text_is_refused_whole_and_nothing_changes(pool: Harness) -> None:
    await pool.practice()
    pm, gp = await manager(pool), await pool.gp()
    session = await worked(pool, gp, at(pool.today, 13, 0), reported="4")
    await pool.send(pm, f"QUERY {await asked_code(pool, pm, session)} " + "word " * 30)
    assert "100 characters" in (await pool.last(pm)).body
    assert (await signoff_of(pool, session)).state == "awaiting"


async def test_query_about_something_else_is_not_a_dispute(pool: Harness) -> None:
    await pool.practice()
    pm, gp = await manager(pool), await pool.gp()
    session = await worked(pool, gp, at(pool.today, 13, 0), reported="4")
    await pool.send(pm, "Query about parking tomorrow")
    assert (await signoff_of(pool, session)).state == "awaiting"
    assert (await pool.last(pm)).kind != "signoff_queried"


def test_sessions_delivered_before_signoff_wait_for_the_practice_after_the_upgrade(tmp_path) -> None:
    """Migration 0021: hours on record before sign-off existed are not taken as agreed."""
    conn = sqlite3.connect(tmp_path / "old.db")
    for number, script in numbered_migrations():
        if number == 21:
            conn.executescript(
                """
                INSERT INTO practices (ods_code, name) VALUES ('X10001', 'Riverside');
                INSERT INTO members (id, name, phone, roles, created_at) VALUES (1, 'Dr A', '+447700900001', 'clinician', 'x');
                INSERT INTO sessions (id, code, practice, starts_at, ends_at, rate_pence, status, posted_via,
                                      created_at, delivered_hours, closed_at)
                VALUES (1, 'BCDF', 'X10001', '2026-11-02T09:00:00.000000Z', '2026-11-02T13:00:00.000000Z', 40000,
                        'delivered', 'api', 'x', 4.5, '2026-11-02T13:05:00.000000Z'),
                       (2, 'BCDG', 'X10001', '2026-11-03T09:00:00.000000Z', '2026-11-03T13:00:00.000000Z', 40000,
                        'filled', 'api', 'x', NULL, NULL);
                INSERT INTO bookings (session_id, member_id, code, booked_at, booked_via)
                VALUES (1, 1, '4821', 'x', 'sms'), (2, 1, '4822', 'x', 'sms');
                """
            )
        for statement in statements(script):
            conn.execute(statement)
    rows = conn.execute(
        "SELECT session_id, member_id, hours, state, reported_by, pay_pence FROM signoffs"
    ).fetchall()
    assert rows == [(1, 1, 4.5, "awaiting", "before", None)]


async def test_a_tap_on_query_asks_what_is_wrong_before_anything_changes(pool: Harness) -> None:
    await pool.practice()
    pm, gp = await manager(pool), await pool.gp()
    session = await worked(pool, gp, at(pool.today, 13, 0), reported="4")
    code = await asked_code(pool, pm, session)
    tapped = replace(pool.inbound(pm, f"QUERY {code}"), choice=f"QUERY {code}")  # a chat app's button
    await pool.pool.engine.receive(tapped)
    await pool.pool.settle()
    assert (await signoff_of(pool, session)).state == "awaiting"
    assert "What's wrong with the hours?" in (await pool.last(pm)).body
    await pool.send(pm, f"QUERY {code}")  # typed: they mean it, reason or not
    assert (await signoff_of(pool, session)).state == "queried"


async def test_nobody_settles_or_signs_off_their_own_hours(pool: Harness) -> None:
    """A coordinator who worked a session, and a practice manager who worked at their own
    practice: someone else agrees their hours."""
    await pool.practice()
    worker = await pool.member("Dr Cora Coordinator", roles=("clinician", "coordinator"))
    other = await pool.coordinator("Sam Okoro")
    session = await worked(pool, worker, at(pool.today, 9, 0), reported="4")
    for command in (
        SettleHours(session.code, 4, pay_pence=99_999, by=worker.id),
        ConfirmHours(session.code, by=worker.id),
    ):
        with pytest.raises(Refused, match="your own hours"):
            await pool.pool.engine.execute(command, actor="test")
    assert (await pool.last(other)).kind == "signoff_ask"
    assert await pool.pool.store.reader().prompts.prompt_about("signoff", worker.id, session.id) is None

    partner = await pool.member("Dr Pat Partner", roles=("clinician", "practice:X10001"))
    own = await worked(pool, partner, at(pool.tomorrow, 9, 0))
    await pool.pool.engine.execute(RecordDelivery(own.code, 4, by=partner.id), actor="test")
    mine = await signoff_of(pool, own)
    assert mine.state == "awaiting", "recording their own hours is a report, not a sign-off"
    assert (await pool.last(worker)).kind == "signoff_ask"  # no other manager: the coordinators


async def test_a_manager_who_also_works_sees_their_practice_and_their_own_hours(pool: Harness) -> None:
    await pool.practice()
    await pool.practice("X20002", "Hillview")
    partner = await pool.member(
        "Dr Pat Partner",
        roles=("clinician", "practice:X10001"),
        engagement="employed",
        contracted_sessions_per_week=1,
    )
    ana = await pool.gp("Dr Ana", engagement="employed")
    at_home = await worked(pool, ana, at(pool.today, 9, 0), reported="4")
    elsewhere = await worked(pool, partner, at(pool.tomorrow, 9, 0), practice="X20002", reported="4")
    month = pool.today.replace(day=1)
    rows = await pool.pool.engine.query(ListSignOffs(month, by=partner.id), actor="test")
    assert [r.session.code for r in rows] == [at_home.code, elsewhere.code]
    sheets = await pool.pool.engine.query(BuildTimesheets(month, by=partner.id), actor="test")
    assert {line.member.name: line.sessions_worked for line in sheets} == {"Dr Ana": 1, "Dr Pat Partner": 1}


async def test_pro_rata_counts_whole_minutes_so_a_full_session_is_paid_in_full(tmp_path) -> None:
    pool = await Harness.open(
        tmp_path, policy=replace(PoolPolicy(pool_name="Test Pool"), pay_rule="pro_rata")
    )
    try:
        await pool.practice()
        pm, gp = await manager(pool), await pool.gp()
        session = await worked(
            pool, gp, at(pool.today, 9, 0), hours=10 / 3, rate_pence=32_000, reported="3h20"
        )
        await pool.send(pm, f"OK {await asked_code(pool, pm, session)}")
        assert (await signoff_of(pool, session)).pay_pence == 32_000  # not 31,968 from 3.33 hours
    finally:
        await pool.close()


async def test_hours_waiting_never_hold_up_a_yes_to_an_offer(pool: Harness) -> None:
    """A practice manager who also works: a bare YES is for the offer, not the sign-off."""
    await pool.practice()
    partner = await pool.member("Dr Pat Partner", roles=("clinician", "practice:X10001"))
    gp = await pool.gp()
    worked_session = await worked(pool, gp, at(pool.today, 9, 0), reported="4")
    assert await asked_code(pool, partner, worked_session)
    offered = await pool.post(start=at(pool.tomorrow + timedelta(days=1), 9, 0), urgent=True)
    await pool.send(partner, "YES")
    assert (await pool.view(offered)).session.status == "filled"
    assert (await signoff_of(pool, worked_session)).state == "awaiting"


async def test_a_question_with_a_time_in_it_reaches_the_inbox_and_a_query_with_one_disputes(
    pool: Harness,
) -> None:
    await pool.practice()
    pm, gp = await manager(pool), await pool.gp()
    await pool.send(gp, "Query about tomorrow's 0830 start - is there parking?")
    assert (await pool.last(gp)).kind not in ("signoff_none", "signoff_how")
    assert [item.body for item in await pool.pool.store.reader().inbox.items("open")] == [
        "Query about tomorrow's 0830 start - is there parking?"
    ]
    session = await worked(pool, gp, at(pool.today, 13, 0), reported="4")
    code = await asked_code(pool, pm, session)
    await pool.send(pm, f"QUERY {code} she left at 1600")
    queried = await signoff_of(pool, session)
    assert (queried.state, queried.query) == ("queried", "she left at 1600")


async def test_someone_who_no_longer_manages_the_practice_cannot_sign_off_by_text(pool: Harness) -> None:
    await pool.practice()
    pm, gp = await manager(pool), await pool.gp()
    session = await worked(pool, gp, at(pool.today, 13, 0), reported="4")
    code = await asked_code(pool, pm, session)
    async with pool.pool.store.unit_of_work() as uow:
        await uow.members.update_member(pm.id, roles=frozenset({"practice:Y20002"}))
    await pool.send(pm, f"OK {code}")
    assert (await signoff_of(pool, session)).state == "awaiting"
    assert (await pool.last(pm)).kind == "signoff_how" and "no longer yours" in (await pool.last(pm)).body


async def test_the_clinician_never_reads_the_practices_words_through_the_api(pool: Harness, client) -> None:
    await pool.practice()
    pm, gp = await manager(pool), await pool.gp()
    session = await worked(pool, gp, at(pool.today, 13, 0), reported="4")
    await pool.send(pm, f"QUERY {await asked_code(pool, pm, session)} arrived 40 min late")
    month = {"month": f"{pool.today:%Y-%m}"}
    as_gp = await client.get("/api/pay", params=month, headers={**AUTH, "X-Acting-As": gp.phone})
    as_pm = await client.get("/api/pay", params=month, headers={**AUTH, "X-Acting-As": pm.phone})
    assert [r["query"] for r in as_gp.json()] == [""] and [r["query"] for r in as_pm.json()] == [
        "arrived 40 min late"
    ]
