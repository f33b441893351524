"""Who hears about money: who signs off a practice's hours and gets its invoices (its managers
in the pool, else the coordinators; never the person who did the work), and the coordinators."""

from __future__ import annotations

from bot.clock import london_date
from bot.domain import Member, Outbound, Practice
from bot.engine import Turn


async def signers_of(turn: Turn, practice: Practice, worker: int | None = None) -> tuple[list[Member], bool]:
    """Who signs off the practice's hours: its managers in the pool, or (with none) the
    coordinators; and whether it is the coordinators. Never the person who worked it."""
    today = london_date(turn.now)

    def current(members: list[Member]) -> list[Member]:
        return [m for m in members if (m.left_on is None or m.left_on > today) and m.id != worker]

    managers = current(await turn.uow.members.members_with_role(f"practice:{practice.ods_code}"))
    if managers:
        return managers, False
    return current(await turn.uow.members.members_with_role("coordinator")), True


async def tell_coordinators(turn: Turn, text: str, kind: str, topic: str, worker: int | None = None) -> None:
    """Each coordinator still in the pool, bar the one acting and the one whose work it is."""
    today = london_date(turn.now)
    for coordinator in await turn.uow.members.members_with_role("coordinator"):
        if coordinator.id in (turn.acting_member_id, worker) or (
            coordinator.left_on and coordinator.left_on <= today
        ):
            continue
        turn.say(Outbound(text=text, member_id=coordinator.id, kind=kind, topic=topic))
