"""A member leaving the pool, their evidence kept only so long after, and erasure."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.commands import BookByHand, EraseMember, RecordCheck, RecordLeaving
from bot.domain import CHECK_KINDS
from bot.errors import Refused
from flows.desk import exports, imports
from tests.harness import Harness, at

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer<<>>\n%%EOF\n"


async def run(pool: Harness, command: object) -> object:
    result = await pool.pool.engine.execute(command, actor="test")
    await pool.pool.settle()
    return result


async def test_a_leaver_is_offered_nothing_from_that_day_and_their_offers_withdrawn(pool: Harness) -> None:
    priya = await pool.coordinator()
    ada = await pool.gp("Dr Ada Lovelace")
    session = await pool.post(start=at(pool.today + timedelta(days=5), 9))
    assert any(m.kind == "offer" for m in await pool.messages(ada))
    left = await run(pool, RecordLeaving(ada.phone, pool.today + timedelta(days=3), by=priya.id))
    assert left.left_on == pool.today + timedelta(days=3)
    [(offer, _)] = [(o, m) for o, m in (await pool.view(session)).offers if m.id == ada.id]
    assert offer.state == "withdrawn"
    with pytest.raises(Refused) as refused:
        await run(pool, BookByHand(session.code, ada.phone, priya.id))
    assert "left the pool on" in refused.value.message
    back = await run(pool, RecordLeaving(ada.phone, undo=True, by=priya.id))
    assert back.left_on is None


async def test_leaving_is_refused_while_they_hold_a_booking_from_that_day(pool: Harness) -> None:
    priya = await pool.coordinator()
    ada = await pool.gp("Dr Ada Lovelace")
    session = await pool.post(start=at(pool.today + timedelta(days=5), 9))
    await pool.send(ada, f"YES {await pool.offer_code(ada, session)}")
    with pytest.raises(Refused) as refused:
        await run(pool, RecordLeaving(ada.phone, pool.today + timedelta(days=2), by=priya.id))
    assert session.code in refused.value.message and "cancel or rebook" in refused.value.message
    # Leaving after it is fine: they work it, then go.
    await run(pool, RecordLeaving(ada.phone, pool.today + timedelta(days=6), by=priya.id))


async def test_a_leavers_documents_are_deleted_six_months_after_they_left(pool: Harness) -> None:
    priya = await pool.coordinator()
    ada = await pool.gp("Dr Ada Lovelace")
    await run(pool, RecordCheck(ada.phone, "dbs", date(2029, 1, 1), None, PDF, priya.id))
    await run(pool, RecordLeaving(ada.phone, pool.today, by=priya.id))
    reader = pool.pool.store.reader()
    [record] = await reader.evidence.check_history(ada.id)
    pool.clock.set(at(pool.today + timedelta(days=170), 10))
    await pool.pool.settle()
    assert await reader.evidence.document(record.document_id) is not None  # not yet six months
    pool.clock.set(at(date(2027, 6, 2), 10))
    await pool.pool.settle()
    assert await reader.evidence.document(record.document_id) is None
    [kept] = await reader.evidence.check_history(ada.id)
    assert kept.verified_by == "Priya Shah" and kept.document_id is None  # who saw what stays


async def test_erasing_removes_what_identifies_them_and_keeps_the_figures(pool: Harness) -> None:
    priya = await pool.coordinator()
    ada = await pool.gp("Dr Ada Lovelace", email="ada@example.org")
    await run(pool, RecordCheck(ada.phone, "dbs", date(2029, 1, 1), None, PDF, priya.id))
    await pool.send(ada, "Is there parking?")
    await run(pool, EraseMember(ada.phone, by=priya.id))
    reader = pool.pool.store.reader()
    gone = await reader.members.member(ada.id)
    assert gone is not None and gone.name == f"Erased member {ada.id}" and gone.email is None
    assert not gone.is_clinician and gone.left_on == pool.today
    assert await reader.members.member_by_phone(ada.phone) is None
    assert await reader.evidence.check_history(ada.id) == [] and await reader.members.checks_of(ada.id) == {}
    assert all(m.body is None for m in await pool.messages(ada))
    _, rows = await exports.members(reader)
    assert [row[1] for row in rows] == [priya.phone]  # not in the export: nobody to export


async def test_erasing_is_refused_while_they_hold_an_upcoming_booking(pool: Harness) -> None:
    priya = await pool.coordinator()
    ada = await pool.gp("Dr Ada Lovelace")
    session = await pool.post()
    await pool.send(ada, f"YES {await pool.offer_code(ada, session)}")
    with pytest.raises(Refused):
        await run(pool, EraseMember(ada.phone, by=priya.id))
    assert (await pool.pool.store.reader().members.member(ada.id)).name == "Dr Ada Lovelace"


async def test_left_on_round_trips_through_the_members_csv(pool: Harness) -> None:
    await pool.gp("Dr Ada Lovelace", checks={k: None for k in CHECK_KINDS})
    header, rows = await exports.members(pool.pool.store.reader())
    column = header.index("left_on")
    assert rows[0][column] == ""
    row = list(rows[0])
    row[column] = "2027-01-31"
    text = ",".join(header) + "\n" + ",".join(row) + "\n"

    async def work(turn):  # type: ignore[no-untyped-def]
        return await imports.import_members(turn, imports.read_csv("members", text))

    result = await pool.pool.engine.run("test", work)
    assert result.updated == 1
    [member] = [
        m for m in await pool.pool.store.reader().members.all_members() if m.name == "Dr Ada Lovelace"
    ]
    assert member.left_on == date(2027, 1, 31)
    bad = text.replace("2027-01-31", "31/01/2027")
    with pytest.raises(imports.ImportRefused) as refused:
        await pool.pool.engine.run(
            "test", lambda turn: imports.import_members(turn, imports.read_csv("members", bad))
        )
    assert "left_on '31/01/2027' is not a date" in str(refused.value.errors[0])


async def test_a_coordinator_who_leaves_can_no_longer_use_the_console(pool: Harness) -> None:
    from bot.commands import ConsoleSessionFor, UseSignInLink
    from flows.people.signin import token_hash

    priya = await pool.coordinator()
    boss = await pool.coordinator("Bea Lin")
    async with pool.pool.store.unit_of_work() as uow:
        await uow.signins.add_link(
            token_hash("link"), priya.id, pool.clock.now(), pool.clock.now() + timedelta(minutes=10)
        )
    signed = await run(pool, UseSignInLink("link"))
    assert await pool.pool.engine.query(ConsoleSessionFor(signed.token), "test") is not None
    await run(pool, RecordLeaving(priya.phone, by=boss.id))
    assert await pool.pool.engine.query(ConsoleSessionFor(signed.token), "test") is None


async def test_an_erased_member_is_reached_by_nothing(pool: Harness) -> None:
    from bot.reach import reach

    priya = await pool.coordinator()
    ada = await pool.gp("Dr Ada Lovelace")
    await run(pool, EraseMember(ada.phone, by=priya.id))
    gone = await pool.pool.store.reader().members.member(ada.id)
    assert reach(gone, pool.pool.engine.channels_on) is None


async def test_leavers_are_not_in_the_checks_digest_nor_reminded(pool: Harness) -> None:
    coordinator = await pool.coordinator()
    leaver = await pool.gp("Dr Leaver", checks={k: None for k in CHECK_KINDS if k != "dbs"})
    await run(pool, RecordLeaving(leaver.phone, by=coordinator.id))
    await pool.gp("Dr Stays", checks={k: None for k in CHECK_KINDS if k != "dbs"})
    pool.clock.set(at(date(2026, 12, 7), 9, 0))
    await pool.pool.settle()
    [digest] = [m for m in await pool.messages(coordinator) if m.kind == "checks_digest"]
    assert "Dr Stays" in digest.body and "Dr Leaver" not in digest.body


async def test_a_deleted_document_is_still_known_to_have_been_seen_and_downloads_are_audited(
    pool: Harness,
) -> None:
    from bot.commands import GetDocument

    priya = await pool.coordinator()
    ada = await pool.gp("Dr Ada Lovelace")
    record = await run(pool, RecordCheck(ada.phone, "dbs", date(2029, 1, 1), None, PDF, priya.id))
    await run(pool, GetDocument(record.document_id, priya.id))
    audit = await pool.pool.store.reader()._one(
        "SELECT actor, detail FROM audit WHERE action = 'document_downloaded'"
    )
    assert audit[0] == "test" and f'"document": {record.document_id}' in audit[1]
    async with pool.pool.store.unit_of_work() as uow:
        await uow.evidence.delete_documents(ada.id)
    [kept] = await pool.pool.store.reader().evidence.check_history(ada.id)
    assert kept.document_id is None and kept.document_type == "application/pdf"


@pytest.mark.parametrize(
    ("today", "left", "deleted"),
    [
        (date(2027, 7, 31), date(2027, 1, 30), True),
        (date(2027, 7, 31), date(2027, 1, 31), False),  # six months to the day: kept until tomorrow
        (date(2027, 8, 31), date(2027, 2, 27), True),  # February's last day stands for the 31st
        (date(2027, 8, 31), date(2027, 2, 28), False),
    ],
)
async def test_six_months_after_leaving_counts_months_as_people_do(
    pool: Harness, today: date, left: date, deleted: bool
) -> None:
    from flows.people.evidence import delete_leavers_evidence

    priya = await pool.coordinator()
    ada = await pool.gp("Dr Ada Lovelace")
    await run(pool, RecordCheck(ada.phone, "dbs", date(2029, 1, 1), None, PDF, priya.id))
    async with pool.pool.store.unit_of_work() as uow:
        await uow.members.update_member(ada.id, left_on=left)
    pool.clock.set(at(today, 8))
    gone = await pool.pool.engine.run("test", delete_leavers_evidence)
    assert (gone == 1) is deleted
