"""One text for several offers: routine offers to one person decided within POOL_BATCH_SECONDS
(an import, a burst of postings, a catch-up after PAUSE) go as one message listing each session
with its code, split at session boundaries into messages of two SMS segments at most. Urgent
offers are never held. On chat apps the message has a row of buttons per session, and it is
edited as each of its offers is answered, filled or withdrawn; by text nothing is resent.

The offers are made at once (their codes work from the start, and waves count them); only the
telling waits. A timer per person, due at the end of their window, sends what has gathered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.domain import Offer, OfferState, Outbound, Practice, Session
from bot.engine import Engine, Turn
from bot.ports import TimerRow
from flows.conversation import lists
from flows.conversation.messages import render

BATCH_TIMER = "offer_batch"  # subject: the member's id
PAGE_CHARS = lists.PAGE_CHARS
Row = tuple[Offer, Session, Practice]


def register(engine: Engine) -> None:
    engine.on_timer(BATCH_TIMER, on_batch)


async def hold(turn: Turn, member_ids: Sequence[int]) -> None:
    """These members' new routine offers wait for their batch (started now if none is)."""
    for member_id in member_ids:
        if not await turn.uow.timers.pending_timer(BATCH_TIMER, str(member_id)):
            await turn.uow.timers.add_timer(
                BATCH_TIMER, str(member_id), turn.now + turn.policy.offer_batch, {}, turn.now
            )


async def on_batch(turn: Turn, timer: TimerRow) -> None:
    from flows import offers  # offers holds for batches and batches tell offers: one of us waits

    member_id = int(timer.subject)
    waiting = [r for r in await turn.uow.offers.offers_to_tell(member_id) if r[1].starts_at > turn.now]
    if not waiting:
        return
    member = await turn.uow.members.member(member_id)
    word = turn.policy.professions[member.profession].word if member else "GP"
    if len(waiting) == 1:
        offer, session, practice = waiting[0]
        await turn.uow.offers.mark_offers_told([offer.id], turn.now, None)
        turn.say(offers.offer_message(offer, session, practice, word))
        return
    for chunk in _chunks(_in_practice_order(waiting), word):
        if len(chunk) == 1:  # the last of a long batch reads as the offer it is
            offer, session, practice = chunk[0]
            await turn.uow.offers.mark_offers_told([offer.id], turn.now, None)
            turn.say(offers.offer_message(offer, session, practice, word))
            continue
        topic = f"batch:{chunk[0][0].id}"
        await turn.uow.offers.mark_offers_told([o.id for o, _, _ in chunk], turn.now, topic)
        turn.say(_message(chunk, word, member_id, topic))
    await turn.audit("offers_batched", f"member:{member_id}", offers=len(waiting))


def _chunks(rows: list[Row], word: str) -> list[list[Row]]:
    """As many sessions a message as fit two SMS segments, never splitting one."""
    chunks: list[list[Row]] = [[]]
    for row in rows:
        if chunks[-1] and len(_text(chunks[-1] + [row], word)) > PAGE_CHARS:
            chunks.append([])
        chunks[-1].append(row)
    return chunks


def _text(rows: list[Row], word: str) -> str:
    return render("offers_batch", rows=rows, groups=_by_practice(rows), word=word)


def _in_practice_order(rows: list[Row]) -> list[Row]:
    """Soonest first within each practice, practices in the order their first session comes, so
    a batch split across texts splits where its reader sees a boundary."""
    return [(o, s, p) for p, _, group in _by_practice(rows) for o, s in group]


def _by_practice(rows: list[Row]) -> list[tuple[Practice, int | None, list[tuple[Offer, Session]]]]:
    """Sessions under their practice, named once (and its rate, when they share one), so six
    sessions at one surgery fit one text: (practice, shared rate or None, [(offer, session)])."""
    groups: dict[str, tuple[Practice, list[tuple[Offer, Session]]]] = {}
    for offer, session, practice in rows:
        groups.setdefault(practice.ods_code, (practice, []))[1].append((offer, session))
    return [
        (practice, rates.pop() if len(rates := {s.rate_pence for _, s in group}) == 1 else None, group)
        for practice, group in groups.values()
    ]


def _message(rows: list[Row], word: str, member_id: int, topic: str, supersedes: bool = False) -> Outbound:
    from flows.shifts import booking, offers

    open_rows = [r for r in rows if r[0].state == OfferState.OPEN]
    return Outbound(
        text=_text(rows, word),
        member_id=member_id,
        choices=tuple(
            c for o, s, p in open_rows for c in offers.answer_choices(o.code, group=booking.line_label(s, p))
        ),
        topic=topic,
        kind="offer",
        supersedes=supersedes,
        # Outside a WhatsApp window: one template an offer (bot/whatsapp_window.py).
        parts=tuple(offers.offer_message(o, s, p, word) for o, s, p in open_rows),
    )


async def refresh(turn: Turn, offer: Offer) -> None:
    """On a chat app, show a batched offer's outcome in its batch message (edited in place,
    free); the other sessions' buttons stay. By text nothing is sent: the answer said it."""
    if offer.batch is None or offer.channel not in lists.CHAT_CHANNELS:
        return
    rows = await turn.uow.offers.offers_in_batch(offer.batch)
    member = await turn.uow.members.member(offer.member_id)
    if not rows or member is None:
        return
    word = turn.policy.professions[member.profession].word
    update = _message(rows, word, offer.member_id, offer.batch, supersedes=True)
    address = member.address_on(offer.channel)
    if address:
        turn.say(replace(update, channel=offer.channel, address=address, kind="offer_update"))
