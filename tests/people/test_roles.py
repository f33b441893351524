"""Every command that changes something checks the actor's role; a refusal is polite and
changes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from bot.commands import (
    AddCost,
    AnswerInbox,
    BookByHand,
    BroadcastUrgent,
    BuildReport,
    CancelSession,
    CloseInbox,
    PostSession,
    RecordDelivery,
    SetPracticePreference,
)
from bot.errors import Refused
from flows.desk import imports
from tests.harness import Harness, at


async def fingerprint(pool: Harness) -> list[tuple]:
    """Everything a refused command must leave as it was (on either engine)."""
    rows = []
    for table in ("sessions", "offers", "bookings", "messages", "inbox", "practice_preferences",
                  "costs", "members", "timers"):  # fmt: skip
        found = await pool.pool.store.reader()._all(f"SELECT * FROM {table}")
        rows.extend(sorted(((table, *row) for row in found), key=repr))
    return rows


@pytest.fixture
async def cast(pool: Harness) -> dict:
    await pool.practice("X20001", "Hillview Health Centre", locality="Southgate")
    people = {
        "gp": await pool.gp("Dr Gee"),
        "other_gp": await pool.gp("Dr Other"),
        "own_manager": await pool.member("Tom Reilly", roles=("practice:X10001",)),
        "other_manager": await pool.member("Hana Hill", roles=("practice:X20001",)),
        "coordinator": await pool.coordinator(),
    }
    session = await pool.post(start=at(pool.today, 9), hours=3, urgent=False)
    await pool.send(people["other_gp"], "what time do I start?")  # one inbox message
    return {**people, "session": session}


def commands(cast: dict, pool: Harness) -> dict[str, object]:
    code = cast["session"].code
    return {
        "post": lambda by: PostSession(
            "X10001", at(pool.tomorrow, 9), at(pool.tomorrow, 13), 30000, posted_by=by
        ),
        "cancel": lambda by: CancelSession(code, by),
        "book": lambda by: BookByHand(code, cast["gp"].phone, by),
        "urgent": lambda by: BroadcastUrgent(code, by),
        "delivered": lambda by: RecordDelivery(code, 3, by),
        "answer": lambda by: AnswerInbox(1, "Nine o'clock.", by),
        "inbox_done": lambda by: CloseInbox(1, by),
        "prefer": lambda by: SetPracticePreference("X10001", cast["gp"].phone, "prefer", by),
        "cost": lambda by: AddCost(date(2026, 12, 1), 10000, "Coordinator time", by),
        "report": lambda by: BuildReport(None, by),
    }


# Who may do what: coordinators everything; a practice's manager only their practice's sessions.
ALLOWED = {
    "gp": set(),
    "other_manager": set(),
    "own_manager": {"post", "cancel", "urgent", "delivered", "prefer"},
    "coordinator": {"post", "cancel", "book", "urgent", "delivered", "answer", "inbox_done", "prefer", "cost",
                    "report"},
}  # fmt: skip


@pytest.mark.parametrize("who", sorted(ALLOWED))
async def test_refusals_are_polite_and_change_nothing(pool: Harness, cast: dict, who: str) -> None:
    actor = cast[who]
    for name, make in commands(cast, pool).items():
        if name in ALLOWED[who]:
            continue
        before = await fingerprint(pool)
        with pytest.raises(Refused) as refused:
            await pool.pool.engine.execute(make(actor.id), actor=f"member:{actor.id}")
        assert refused.value.message.startswith("Sorry, "), (who, name)
        assert refused.value.field == "role"
        assert await fingerprint(pool) == before, f"{who} {name} changed something"


@pytest.mark.parametrize("who", ["own_manager", "coordinator"])
async def test_those_allowed_can(pool: Harness, cast: dict, who: str) -> None:
    actor = cast[who]
    make = commands(cast, pool)
    for name in ("post", "prefer", "urgent"):
        await pool.pool.engine.execute(make[name](actor.id), actor="test")
    await pool.pool.engine.execute(make["cancel"](actor.id), actor="test")
    assert (await pool.view(cast["session"])).session.status == "cancelled"


async def test_a_practice_manager_cannot_cancel_another_practices_session(pool: Harness, cast: dict) -> None:
    other = await pool.post(practice="X20001", start=at(pool.tomorrow, 14))
    with pytest.raises(Refused):
        await pool.pool.engine.execute(CancelSession(other.code, cast["own_manager"].id), actor="test")
    assert (await pool.view(other)).session.status == "open"


async def test_imports_check_roles(pool: Harness, cast: dict) -> None:
    rows = [(2, {"ods_code": "X30001", "name": "New Surgery"})]
    for who in ("gp", "own_manager"):

        async def work(turn, who=who):
            turn.by = cast[who].id
            return await imports.import_practices(turn, rows)

        with pytest.raises(Refused):
            await pool.pool.engine.run("test", work)
    assert await pool.pool.store.reader().practices.practice("X30001") is None


async def test_urgent_by_text_from_a_gp_is_refused_politely(pool: Harness, cast: dict) -> None:
    before = len(await pool.pool.store.reader().offers.offers_for_session(cast["session"].id))
    await pool.send(cast["gp"], f"URGENT {cast['session'].code}")
    reply = await pool.last(cast["gp"])
    assert reply.kind == "refused" and reply.body.startswith("Sorry, ")
    assert len(await pool.pool.store.reader().offers.offers_for_session(cast["session"].id)) == before
    assert not (await pool.view(cast["session"])).session.urgent


async def test_urgent_by_text_from_a_coordinator_broadcasts(pool: Harness, cast: dict) -> None:
    await pool.send(cast["coordinator"], f"urgent {cast['session'].code.lower()}")
    reply = await pool.last(cast["coordinator"])
    assert reply.kind == "urgent_sent"
    view = await pool.view(cast["session"])
    assert view.session.urgent
    assert {m.id for _, m in view.offers} >= {cast["gp"].id, cast["other_gp"].id}
