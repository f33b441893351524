"""A member's overview, for a chat app's home page: upcoming bookings and open offers, each
with its facts, and the offers with their Accept and Decline buttons."""

from __future__ import annotations

from bot.commands import MemberOverview
from bot.domain import Card, Overview
from bot.engine import Engine, Turn
from flows.conversation.messages import render
from flows.shifts.offers import answer_choices, session_details

SHOWN = 10  # a home page stays readable; the keywords list the rest


def register(engine: Engine) -> None:
    engine.on_command(MemberOverview, member_overview)


async def member_overview(turn: Turn, command: MemberOverview) -> Overview:
    bookings = await turn.uow.bookings.upcoming_bookings(command.member_id, turn.now)
    offers = await turn.uow.offers.open_offers(command.member_id)
    member = await turn.uow.members.member(command.member_id)
    word = turn.policy.professions[member.profession].word if member else "GP"
    return Overview(
        bookings=tuple(
            Card(
                text=render("card_booking", session=session, practice=practice, code=booking.code),
                details=session_details(session, practice, address=True),
            )
            for booking, session, practice in bookings[:SHOWN]
        ),
        offers=tuple(
            Card(
                text=render("offer", session=session, practice=practice, word=word),
                details=session_details(session, practice),
                choices=answer_choices(offer.code),
            )
            for offer, session, practice in offers[:SHOWN]
            if session.starts_at > turn.now
        ),
    )
