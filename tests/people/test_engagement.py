"""How each person is engaged: employed (timesheets), self-employed or a limited company
(invoices), by a rule unless told, in the CSV, the CLI's command, the API and the console."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.commands import SetEngagement
from bot.domain import default_engagement
from bot.errors import Refused
from flows.desk import exports, imports
from storage.sqlite.migrate import numbered_migrations, statements
from tests.harness import Harness

HEADER = "name,phone,roles,gp_type,profession,engagement\n"


@pytest.mark.parametrize(
    ("clinician", "profession", "gp_type", "expected"),
    [
        (True, "gp", "locum", "self_employed"),
        (True, "gp", None, "self_employed"),
        (True, "gp", "partner", "self_employed"),
        (True, "gp", "salaried", "employed"),
        (True, "gp", "retainer", "employed"),
        (True, "gp", "fellow", "employed"),
        (True, "practice_nurse", None, "employed"),
        (False, "gp", None, None),
    ],
)
def test_the_rule_when_nobody_said(
    clinician: bool, profession: str, gp_type: str | None, expected: str | None
) -> None:
    assert default_engagement(clinician, profession, gp_type) == expected


def test_existing_members_migrate_by_the_same_rule(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "old.db")
    for number, script in numbered_migrations():
        if number == 20:
            people = [("Dr Locum", "locum", "clinician"), ("Dr Salaried", "salaried", "clinician"),
                      ("Dr Untyped", None, "clinician"), ("Priya Shah", None, "coordinator")]  # fmt: skip
            for n, (name, gp_type, roles) in enumerate(people):
                conn.execute(
                    "INSERT INTO members (name, phone, roles, gp_type, created_at) VALUES (?, ?, ?, ?, 'x')",
                    (name, f"+4477009000{n:02d}", roles, gp_type),
                )
        for statement in statements(script):
            conn.execute(statement)
    found = dict(conn.execute("SELECT name, engagement FROM members").fetchall())
    assert found == {"Dr Locum": "self_employed", "Dr Salaried": "employed", "Dr Untyped": "self_employed",
                     "Priya Shah": None}  # fmt: skip


async def test_the_csv_sets_it_or_the_rule_does_and_it_round_trips(pool: Harness) -> None:
    text = (
        HEADER
        + "Dr Ltd,07700 900701,clinician,locum,gp,limited_company\n"
        + "Dr Salaried,07700 900702,clinician,salaried,gp,\n"
    )

    async def load(turn, csv_text=text):  # type: ignore[no-untyped-def]
        return await imports.import_members(turn, imports.read_csv("members", csv_text))

    await pool.pool.engine.run("test", load)
    reader = pool.pool.store.reader()
    ltd, salaried = (
        await reader.members.member_by_phone("+447700900701"),
        await reader.members.member_by_phone("+447700900702"),
    )
    assert (ltd.engagement, salaried.engagement) == ("limited_company", "employed")
    header, rows = await exports.members(reader)
    column = header.index("engagement")
    assert sorted(row[column] for row in rows) == ["employed", "limited_company"]
    bad = HEADER + "Dr Odd,07700 900703,clinician,locum,gp,agency\n"
    with pytest.raises(imports.ImportRefused) as refused:
        await pool.pool.engine.run("test", lambda turn: load(turn, bad))
    assert "engagement 'agency' is not one of employed, self_employed, limited_company" in str(
        refused.value.errors[0]
    )


async def test_coordinators_set_it_for_clinicians_only(pool: Harness) -> None:
    priya = await pool.coordinator()
    ada = await pool.gp("Dr Ada Lovelace")
    changed = await pool.pool.engine.execute(SetEngagement(ada.phone, "limited_company", priya.id), "test")
    assert changed.engagement == "limited_company"
    with pytest.raises(Refused):
        await pool.pool.engine.execute(SetEngagement(priya.phone, "employed", priya.id), "test")
    with pytest.raises(Refused):
        await pool.pool.engine.execute(
            SetEngagement(ada.phone, "employed", ada.id), "test"
        )  # not theirs to say
