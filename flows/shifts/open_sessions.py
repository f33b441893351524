"""OPEN (also SESSIONS): the open sessions a person can take now, soonest first, each with an
answer code issued for them, so `YES code` books it through the same atomic check.

Taking one is open to anyone it would be offered to in a wave: the right profession, checks
valid on the day, no clash, under their cap, not paused, not blocked by the practice, and not
one they have turned down. Only the codes of the sessions shown are issued; those offers are
recorded as coming from OPEN (``source``), out of the waves and their figures.
"""

from __future__ import annotations

from bot.commands import OpenSessionsFor
from bot.domain import Member, Offer, Practice, Session, SessionStatus
from bot.engine import Engine, Turn
from bot.errors import Refused
from bot.phones import to_e164
from bot.reach import reach
from flows.conversation import codes, lists
from flows.conversation.messages import render
from flows.people import roles
from flows.shifts import booking, eligibility, offers

STAND_IN = "0000"  # the line is laid out with a code of the same length before it is issued
Found = list[tuple[Session, Practice]]


def register(engine: Engine) -> None:
    lists.register("open", open_listing)
    engine.on_command(OpenSessionsFor, open_for)


async def show(turn: Turn) -> None:
    await lists.show(turn, await open_listing(turn))


async def takeable(turn: Turn, member: Member) -> Found:
    """Open sessions this member could take now, soonest first."""
    found = []
    for session in await turn.uow.sessions.open_sessions(turn.now):
        if member.profession not in session.professions or session.status != SessionStatus.OPEN:
            continue
        if session.urgent and session.starts_at - turn.policy.urgent_close <= turn.now:
            continue  # its offers have closed, so close to the start
        facts = await turn.uow.eligibility.gp_facts(session, turn.now, [member.id])
        mine = facts[0] if facts else None
        if eligibility.booking_blocker(mine, session, turn.now, turn.policy.professions) is not None:
            continue
        assert mine is not None
        if mine.practice_preference == "block" or mine.turned_down:
            continue
        practice = await turn.uow.practices.practice(session.practice)
        if practice is not None:
            found.append((session, practice))
    return found


async def issue(turn: Turn, member: Member, found: Found, positions: range) -> dict[int, Offer]:
    """The member's open offer for each of these sessions: the one they hold, or one issued now
    (from OPEN). By position."""
    held = await _held(turn, member)
    taken = (await codes.codes_taken(turn, [member.id])).get(member.id, set())
    channel = reach(member, turn.channels_on)
    issued: dict[int, Offer] = {}
    for n in positions:
        session, _ = found[n]
        offer = held.get(session.id)
        if offer is not None and offer.notified_at is None:  # waiting for its batch: OPEN tells it
            await turn.uow.offers.mark_offers_told([offer.id], turn.now, None)
        elif offer is None:
            code = codes.new_code(turn, taken)
            taken.add(code)
            [offer] = await turn.uow.offers.add_offers(
                session, 0, [(member.id, code, channel[0] if channel else None)], turn.now, source="open"
            )
            await turn.audit("offered_on_request", f"session:{session.id}", member=member.id)
        issued[n] = offer
    return issued


async def _held(turn: Turn, member: Member) -> dict[int, Offer]:
    """The member's open offers by session, those still waiting for their batch message too
    (a session has one open offer a person at most)."""
    rows = [*await turn.uow.offers.open_offers(member.id), *await turn.uow.offers.offers_to_tell(member.id)]
    return {session.id: offer for offer, session, _ in rows}


async def open_listing(turn: Turn) -> lists.Listing:
    member = turn.member
    assert member is not None
    found = await takeable(turn, member)
    held = await _held(turn, member)

    def line(n: int, code: str) -> str:
        session, practice = found[n]
        return render("list_line", code=code, session=session, practice=practice, rate=True)

    listing = lists.Listing(
        "open",
        header="Open sessions you can take:",
        lines=[line(n, held[s.id].code if s.id in held else STAND_IN) for n, (s, _) in enumerate(found)],
        footer="Reply YES with the code to book one.",
        empty=render("open_none"),
        choices=[offers.answer_choices(STAND_IN) for _ in found],
    )

    async def with_codes(positions: range) -> None:
        for n, offer in (await issue(turn, member, found, positions)).items():
            session, practice = found[n]
            listing.lines[n] = line(n, offer.code)
            listing.choices[n] = offers.answer_choices(
                offer.code, group=booking.line_label(session, practice)
            )

    listing.before_showing = with_codes
    return listing


async def open_for(turn: Turn, command: OpenSessionsFor) -> list[tuple[Offer, Session, Practice]]:
    """OPEN for a front end: every session the member can take, each with its code. Asked by
    the member themselves or a coordinator."""
    by = await roles.actor(turn, command.by)
    try:
        member = await turn.uow.members.member_by_phone(to_e164(command.phone))
    except ValueError:
        member = None
    if member is None:
        raise Refused(f"No member has the phone number {command.phone}.", field="phone")
    if not (roles.is_coordinator(by) or (by is not None and by.id == member.id)):
        raise Refused("Sorry, only the member or a coordinator can see that.", field="role")
    found = await takeable(turn, member)
    issued = await issue(turn, member, found, range(len(found)))
    return [(issued[n], session, practice) for n, (session, practice) in enumerate(found)]
