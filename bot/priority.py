"""Which outbound message goes first when a channel has more to send than its rate allows.

DESIGN.md's order: crisis signposting, then urgent offers, then routine offers and booking
outcomes, then replies, then replies to unknown senders, then digests. Within each channel's
rate the dispatcher sends the lowest number first; one person's messages keep their order.
A flood of strangers' texts or a long digest can then never hold back an offer.
"""

from __future__ import annotations

from enum import IntEnum


class Priority(IntEnum):
    CRISIS = 0
    URGENT_OFFER = 1
    OFFER = 2  # routine offers and what became of a booking
    REPLY = 3
    STRANGER = 4  # replies to people the pool does not know
    DIGEST = 5


_BY_KIND = {
    # Safety first, whoever it is for.
    "crisis": Priority.CRISIS,
    "crisis_lead": Priority.CRISIS,
    "distress": Priority.CRISIS,
    # A session about to go uncovered is as pressing as an urgent offer.
    "escalation": Priority.URGENT_OFFER,
    # Offers, and what became of a session or a booking: people plan their day on these.
    "offer": Priority.OFFER,
    "booked": Priority.OFFER,
    "cannot_book": Priority.OFFER,
    "already_filled": Priority.OFFER,
    "filled_elsewhere": Priority.OFFER,
    "offer_withdrawn": Priority.OFFER,
    "offer_replaced": Priority.OFFER,
    "session_cancelled": Priority.OFFER,
    "booking_cancelled": Priority.OFFER,
    "dropped": Priority.OFFER,
    "poster_update": Priority.OFFER,
    "info_pack": Priority.OFFER,
    "reminder": Priority.OFFER,
    # Summaries and gentle prompts that can wait for everything else.
    "checks_digest": Priority.DIGEST,
    "check_reminder": Priority.DIGEST,
    "peer_nudge": Priority.DIGEST,
    "peer_coffee": Priority.DIGEST,
    "checkin_trend": Priority.DIGEST,
}


def priority(kind: str, urgent: bool, to_member: bool) -> Priority:
    """The priority of a message of ``kind``; ``to_member``: False for an unknown sender."""
    found = _BY_KIND.get(kind, Priority.REPLY)
    if found == Priority.CRISIS:
        return found
    if not to_member:
        return Priority.STRANGER
    if urgent and found == Priority.OFFER:
        return Priority.URGENT_OFFER
    return found
