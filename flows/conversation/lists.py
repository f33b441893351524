"""Lists a person asks for (OPEN, OFFERS, BOOKINGS, GROUPS), a page at a time: as many items as
fit two texts (ten on a chat app), then "Reply MORE for the next N". MORE continues the last
list asked for, for an hour, read afresh (a session taken meanwhile is simply not there)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from bot.domain import Choice, Outbound
from bot.engine import Turn
from flows.conversation.messages import render

# Two GSM-7 segments are 306 characters; a margin for characters that count twice (€, [).
PAGE_CHARS = 296
CHAT_PAGE = 10
CHAT_CHANNELS = ("slack", "telegram")
MORE_FOR = timedelta(hours=1)


@dataclass
class Listing:
    kind: str  # what MORE rebuilds: "open", "offers", "bookings", "groups"
    header: str
    lines: list[str]
    footer: str = ""
    empty: str = ""
    # Buttons for each line, on chat apps (one row each): e.g. Take / No for an open session.
    choices: list[tuple[Choice, ...]] = field(default_factory=list)
    # Lines a page on a chat app (a digest shows a day's events in one message).
    chat_page: int = CHAT_PAGE
    # How long MORE continues this list after it was shown.
    more_for: timedelta = MORE_FOR
    # Called with the lines about to be shown (their positions): to issue codes only for those.
    before_showing: Callable[[range], Awaitable[None]] | None = None


Builder = Callable[[Turn], Awaitable[Listing]]
BUILDERS: dict[str, Builder] = {}


def register(kind: str, build: Builder) -> None:
    BUILDERS[kind] = build


async def show(turn: Turn, listing: Listing, start: int = 0, kind: str | None = None) -> None:
    """Reply with the page of ``listing`` that starts at ``start``; remember where it ends."""
    member, inbound = turn.member, turn.inbound
    assert member is not None and inbound is not None
    text, choices, end = await _next_page(listing, start, inbound.channel in CHAT_CHANNELS)
    turn.reply(text, choices=choices, kind=kind or f"{listing.kind}_list")
    await turn.uow.messages.remember_list(member.id, listing.kind, end, turn.now)


async def send(turn: Turn, member_id: int, channel: str | None, listing: Listing, kind: str) -> None:
    """Send the first page of ``listing`` unasked (a digest), on ``channel`` as reach chose it;
    MORE then continues it like a list asked for."""
    text, choices, end = await _next_page(listing, 0, channel in CHAT_CHANNELS)
    turn.say(Outbound(text=text, member_id=member_id, choices=choices, kind=kind))
    await turn.uow.messages.remember_list(member_id, listing.kind, end, turn.now)


async def _next_page(listing: Listing, start: int, chat: bool) -> tuple[str, tuple[Choice, ...], int]:
    """The page's text and buttons, and where MORE goes on from (0: nothing more)."""
    if not listing.lines[start:]:
        return listing.empty, (), 0
    page = listing.chat_page if chat else None
    end = start
    while end < len(listing.lines):
        if page is not None and end - start >= page:
            break
        left = len(listing.lines) - end - 1
        if not chat and end > start and len(_page(listing, start, end + 1, left)) > PAGE_CHARS:
            break
        end += 1
    if listing.before_showing is not None:
        await listing.before_showing(range(start, end))
    left = len(listing.lines) - end
    choices = tuple(c for row in listing.choices[start:end] for c in row) if chat else ()
    return _page(listing, start, end, left), choices, end if left else 0


def _page(listing: Listing, start: int, end: int, left: int) -> str:
    return render(
        "listing",
        header=listing.header,
        lines=listing.lines[start:end],
        more=left,
        footer=listing.footer,
    )


async def more(turn: Turn) -> None:
    """MORE: the next page of the last list asked for, within the hour."""
    member = turn.member
    assert member is not None
    last = await turn.uow.messages.last_list(member.id)
    if last is None or not last[1] or last[0] not in BUILDERS:
        turn.reply(render("more_nothing"), kind="more_nothing")
        return
    kind, position, shown_at = last
    listing = await BUILDERS[kind](turn)
    if turn.now - shown_at > listing.more_for:
        turn.reply(render("more_nothing"), kind="more_nothing")
        return
    await show(turn, listing, start=min(position, len(listing.lines)))
