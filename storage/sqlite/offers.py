"""Offers: a session put to a GP, answered, lapsed or withdrawn."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bot.domain import (
    Offer,
    OfferState,
    Practice,
    Session,
)
from bot.ports import (
    OfferTally,
)
from storage.sqlite.repository import Repository
from storage.sqlite.rows import (
    OFFER_COLUMNS,
    OFFER_RETURNING,
    OFFER_WIDTH,
    PRACTICE_COLUMNS,
    SESSION_COLUMNS,
    SESSION_WIDTH,
    to_offer,
    to_practice,
    to_session,
)
from storage.sqlite.timefmt import to_db


class SqliteOffers(Repository):
    async def offer(self, offer_id: int) -> Offer | None:
        row = await self._one(f"SELECT {OFFER_COLUMNS} FROM offers f WHERE f.id = ?", (offer_id,))
        return to_offer(row) if row else None

    async def offers_for_session(self, session_id: int) -> list[Offer]:
        rows = await self._all(
            f"SELECT {OFFER_COLUMNS} FROM offers f WHERE f.session_id = ? ORDER BY f.id",
            (session_id,),
        )
        return [to_offer(row) for row in rows]

    async def offer_by_code(self, member_id: int, code: str) -> Offer | None:
        row = await self._one(
            f"SELECT {OFFER_COLUMNS} FROM offers f WHERE f.member_id = ? AND f.code = ? "
            "ORDER BY f.id DESC LIMIT 1",
            (member_id, code),
        )
        return to_offer(row) if row else None

    async def latest_answered_offer(self, member_id: int, since: datetime) -> Offer | None:
        row = await self._one(
            f"SELECT {OFFER_COLUMNS} FROM offers f WHERE f.member_id = ? AND f.state != 'open' "
            "AND f.sent_at >= ? ORDER BY coalesce(f.answered_at, f.sent_at) DESC, f.id DESC LIMIT 1",
            (member_id, to_db(since)),
        )
        return to_offer(row) if row else None

    async def open_offers(self, member_id: int) -> list[tuple[Offer, Session, Practice]]:
        """The member's open offers they have been told of, soonest session first."""
        return await self._offers_with(
            "f.member_id = ? AND f.state = 'open' AND f.notified_at IS NOT NULL", (member_id,)
        )

    async def offers_to_tell(self, member_id: int) -> list[tuple[Offer, Session, Practice]]:
        """Open offers waiting for their batch message, soonest session first."""
        return await self._offers_with(
            "f.member_id = ? AND f.state = 'open' AND f.notified_at IS NULL AND s.status = 'open'",
            (member_id,),
        )

    async def offers_in_batch(self, batch: str) -> list[tuple[Offer, Session, Practice]]:
        return await self._offers_with("f.batch = ?", (batch,))

    async def offers_of_member(self, member_id: int, limit: int) -> list[tuple[Offer, Session, Practice]]:
        return await self._offers_with("f.member_id = ?", (member_id, limit), order="f.id DESC LIMIT ?")

    async def _offers_with(
        self, where: str, params: Sequence[Any], order: str = "s.starts_at, f.id"
    ) -> list[tuple[Offer, Session, Practice]]:
        rows = await self._all(
            f"SELECT {OFFER_COLUMNS}, {SESSION_COLUMNS}, {PRACTICE_COLUMNS} FROM offers f "
            "JOIN sessions s ON s.id = f.session_id JOIN practices p ON p.ods_code = s.practice "
            f"WHERE {where} ORDER BY {order}",
            params,
        )
        return [
            (to_offer(r), to_session(r, OFFER_WIDTH), to_practice(r, OFFER_WIDTH + SESSION_WIDTH))
            for r in rows
        ]

    async def offer_tally(self, session: Session, named: int) -> OfferTally:
        """This round's offers of a session counted, with the first ``named`` still waiting."""
        row = await self._one(
            "SELECT count(*) FILTER (WHERE state = 'open'), count(*) FILTER (WHERE state = 'declined') "
            "FROM offers "
            "WHERE session_id = ? AND round = ?",
            (session.id, session.round),
        )
        names = await self._all(
            "SELECT m.name FROM offers f JOIN members m ON m.id = f.member_id "
            "WHERE f.session_id = ? AND f.round = ? AND f.state = 'open' ORDER BY f.id LIMIT ?",
            (session.id, session.round, named),
        )
        return OfferTally(waiting=row[0], declined=row[1], first_waiting=tuple(r[0] for r in names))

    async def add_offers(
        self,
        session: Session,
        wave: int,
        rows: Sequence[tuple[int, str, str | None]],
        now: datetime,
        source: str = "wave",
        told: bool = True,
    ) -> list[Offer]:
        """``rows``: (member id, code, channel). One statement for every 500 offers of the wave,
        each returning the offers it made (not "the ids above the largest before", which another
        PostgreSQL transaction's offers could be among)."""
        sent = to_db(now)
        created: list[Offer] = []
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            made = await self._all(
                "INSERT INTO offers (session_id, member_id, code, round, wave, channel, sent_at, source, "
                "notified_at) VALUES "
                + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(chunk))
                + f" RETURNING {OFFER_RETURNING}",
                [
                    value
                    for member_id, code, channel in chunk
                    for value in (
                        session.id, member_id, code, session.round, wave, channel, sent, source,
                        sent if told else None,
                    )
                ],
            )  # fmt: skip
            created.extend(to_offer(row) for row in made)
        return sorted(created, key=lambda offer: offer.id)

    async def set_offer_channel(self, offer_id: int, channel: str) -> None:
        await self._run("UPDATE offers SET channel = ? WHERE id = ?", (channel, offer_id))

    async def answer_offer(self, offer_id: int, state: str, answer: str | None, now: datetime) -> bool:
        cursor = await self._run(
            "UPDATE offers SET state = ?, answer = coalesce(?, answer), answered_at = ? "
            "WHERE id = ? AND state = 'open'",
            (state, answer, to_db(now), offer_id),
        )
        return cursor.rowcount == 1

    async def mark_offers_told(self, offer_ids: Sequence[int], now: datetime, batch: str | None) -> None:
        await self._many(
            "UPDATE offers SET notified_at = ?, batch = ? WHERE id = ?",
            [(to_db(now), batch, i) for i in offer_ids],
        )

    async def reopen_declined_offer(self, offer_id: int) -> bool:
        return await self.reopen_offer(offer_id, "declined")

    async def reopen_offer(self, offer_id: int, state: str) -> bool:
        """Open again an offer that was declined or that lapsed (compare-and-set on ``state``)."""
        cursor = await self._run(
            "UPDATE offers SET state = 'open', answer = NULL, answered_at = NULL WHERE id = ? AND state = ?",
            (offer_id, state),
        )
        return cursor.rowcount == 1

    async def record_late_answer(self, offer_id: int, answer: str, now: datetime) -> None:
        """A reply to an offer already closed: kept for the figures, state unchanged."""
        await self._run(
            "UPDATE offers SET answer = ?, answered_at = ? WHERE id = ? AND answer IS NULL",
            (answer, to_db(now), offer_id),
        )

    async def withdraw_member_offers(self, member_id: int, now: datetime) -> list[Offer]:
        rows = await self._all(
            "UPDATE offers SET state = 'withdrawn', answered_at = ? "
            f"WHERE member_id = ? AND state = 'open' RETURNING {OFFER_RETURNING}",
            (to_db(now), member_id),
        )
        # RETURNING has no order (PostgreSQL's follows the table's storage): oldest offer first.
        return sorted((to_offer(row) for row in rows), key=lambda offer: offer.id)

    async def expire_offers(
        self, session_id: int, round_: int, wave: int | None, made_by: datetime, now: datetime
    ) -> int:
        """Close a wave's (or, with None, a round's) open offers made by ``made_by`` as
        expired; how many."""
        # CAST: PostgreSQL cannot type a parameter met only by IS NULL (SQLite does not mind).
        cursor = await self._run(
            "UPDATE offers SET state = 'expired', answered_at = ? WHERE session_id = ? AND round = ? "
            "AND state = 'open' AND (CAST(? AS TEXT) IS NULL OR wave = ?) AND sent_at <= ?",
            (to_db(now), session_id, round_, wave, wave, to_db(made_by)),
        )
        return cursor.rowcount

    async def withdraw_open_offers(self, session_id: int, now: datetime) -> list[tuple[Offer, str | None]]:
        """Close a session's open offers; each with the address its holder has on its channel."""
        rows = await self._all(
            f"SELECT {OFFER_COLUMNS}, CASE f.channel WHEN 'slack' THEN m.slack_user_id "
            "WHEN 'telegram' THEN m.telegram_chat_id ELSE m.phone END "
            "FROM offers f JOIN members m ON m.id = f.member_id "
            "WHERE f.session_id = ? AND f.state = 'open' ORDER BY f.id",
            (session_id,),
        )
        await self._run(
            "UPDATE offers SET state = 'withdrawn', answered_at = ? WHERE session_id = ? AND state = 'open'",
            (to_db(now), session_id),
        )
        withdrawn = [(*row[:7], OfferState.WITHDRAWN, *row[8:OFFER_WIDTH]) for row in rows]
        return [(to_offer(offer), row[OFFER_WIDTH]) for offer, row in zip(withdrawn, rows, strict=True)]

    async def codes_in_use(self, member_ids: Iterable[int], since: datetime) -> dict[int, set[str]]:
        """Codes a member could still send us: open offers, offers sent since ``since``, and
        live bookings."""
        used: dict[int, set[str]] = defaultdict(set)
        # The time is bound once, ahead of the ids, not written into the text: one statement for
        # every call, as SQLite's statement cache and PostgreSQL's translated ones want.
        rows = await self._all_in(
            "WITH since (at) AS (VALUES (CAST(? AS TEXT))) "
            "SELECT member_id, code FROM offers WHERE member_id IN ({ids}) "
            "AND (state = 'open' OR sent_at >= (SELECT at FROM since)) "
            "UNION SELECT member_id, code FROM bookings WHERE state = 'booked' AND member_id IN ({ids}) "
            "UNION SELECT member_id, code FROM prompts WHERE member_id IN ({ids}) "
            "AND (state = 'open' OR created_at >= (SELECT at FROM since))",
            member_ids,
            before=(to_db(since),),
        )
        for member_id, code in rows:
            used[member_id].add(code)
        return used
