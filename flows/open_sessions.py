"""OPEN (also SESSIONS): the open sessions a person can take now, soonest first, each with an
answer code issued for them, so `YES code` books it through the same atomic check.

Taking one is open to anyone it would be offered to in a wave: the right profession, checks
valid on the day, no clash, under their cap, not paused, not blocked by the practice, and not
one they have turned down. Only the codes of the sessions shown are issued; those offers are
recorded as coming from OPEN (``source``), out of the waves and their figures.
"""

from __future__ import annotations

from bot.domain import Practice, Session, SessionStatus
from bot.engine import Engine, Turn
from bot.reach import reach
from flows import codes, eligibility, lists, offers
from flows.messages import render

STAND_IN = "0000"  # the line is laid out with a code of the same length before it is issued


def register(engine: Engine) -> None:
    lists.register("open", open_listing)


async def show(turn: Turn) -> None:
    await lists.show(turn, await open_listing(turn))


async def takeable(turn: Turn) -> list[tuple[Session, Practice]]:
    """Open sessions this member could take now, soonest first."""
    member = turn.member
    assert member is not None
    found = []
    for session in await turn.uow.open_sessions(turn.now):
        if member.profession not in session.professions or session.status != SessionStatus.OPEN:
            continue
        if session.urgent and session.starts_at - turn.policy.urgent_close <= turn.now:
            continue  # its offers have closed, so close to the start
        facts = await turn.uow.gp_facts(session, turn.now, [member.id])
        mine = facts[0] if facts else None
        if eligibility.booking_blocker(mine, session, turn.now, turn.policy.professions) is not None:
            continue
        assert mine is not None
        if mine.practice_preference == "block" or mine.turned_down:
            continue
        practice = await turn.uow.practice(session.practice)
        if practice is not None:
            found.append((session, practice))
    return found


async def open_listing(turn: Turn) -> lists.Listing:
    member = turn.member
    assert member is not None
    found = await takeable(turn)
    held = {s.id: o for o, s, _ in await turn.uow.open_offers(member.id)}

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

    async def issue_codes(positions: range) -> None:
        taken = (await codes.codes_taken(turn, [member.id])).get(member.id, set())
        found_channel = reach(member, turn.channels_on)
        for n in positions:
            session, practice = found[n]
            offer = held.get(session.id)
            if offer is None:
                code = codes.new_code(turn, taken)
                taken.add(code)
                [offer] = await turn.uow.add_offers(
                    session, 0, [(member.id, code, found_channel[0] if found_channel else None)], turn.now,
                    source="open",
                )  # fmt: skip
                await turn.audit("offered_on_request", f"session:{session.id}", member=member.id)
            listing.lines[n] = line(n, offer.code)
            listing.choices[n] = offers.answer_choices(offer.code, group=offers.line_label(session, practice))

    listing.before_showing = issue_codes
    return listing
