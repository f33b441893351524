"""Who may do what. A refusal is polite and changes nothing.

``None`` stands for the pool's admin (the API token, the CLI without --as): everything.
Coordinators act on the whole pool; a practice manager (role ``practice:<ODS>``) on their own
practice's sessions only; leads and mentors on peer support.
"""

from __future__ import annotations

from bot.domain import Member
from bot.engine import Turn
from bot.errors import Refused
from bot.phones import to_e164

ROLE_NAMES = ("clinician", "coordinator", "lead", "mentor")  # "gp" is read as "clinician"


def is_coordinator(member: Member | None) -> bool:
    return member is None or member.is_coordinator


def manages(member: Member | None, practice: str) -> bool:
    return is_coordinator(member) or (member is not None and f"practice:{practice}" in member.roles)


def managed_practices(member: Member) -> list[str]:
    return sorted(role.split(":", 1)[1] for role in member.roles if role.startswith("practice:"))


def valid_role(role: str) -> bool:
    if role in ROLE_NAMES:
        return True
    kind, _, ods = role.partition(":")
    return kind == "practice" and bool(ods)


async def actor(turn: Turn, member_id: int | None) -> Member | None:
    if member_id is None:
        return None
    member = await turn.uow.members.member(member_id)
    if member is None:
        raise Refused("That member is not in the pool.")
    return member


async def member_by_phone(turn: Turn, phone: str) -> Member:
    """The member a command names by phone, or a refusal saying why."""
    try:
        e164 = to_e164(phone)
    except ValueError as error:
        raise Refused(f"{phone} is {error}.", field="phone") from None
    member = await turn.uow.members.member_by_phone(e164)
    if member is None:
        raise Refused(f"No member has the phone number {phone}.", field="phone")
    return member


def require_coordinator(member: Member | None) -> None:
    if not is_coordinator(member):
        raise Refused("Sorry, only the pool's coordinators can do that.", field="role")


def require_lead(member: Member | None) -> None:
    """Peer-network leads run groups and mentoring; coordinators may too (None: the admin)."""
    if member is not None and not member.is_coordinator and "lead" not in member.roles:
        raise Refused("Sorry, only the pool's peer-network leads and coordinators can do that.", field="role")


def require_manages(member: Member | None, practice: str) -> None:
    if not manages(member, practice):
        raise Refused("Sorry, you can only do that for your own practice's sessions.", field="role")
