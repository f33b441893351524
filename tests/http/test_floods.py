"""Floods cannot starve an urgent offer, a failed offer still reaches the GP, and only people get
answers (issue 15). Time is the fake clock: the dispatcher's pacing moves it, never sleeps."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import httpx

from bot.clock import FakeClock
from bot.commands import CloseInbox, PostSession
from bot.domain import Inbound, Outbound
from bot.policy import PoolPolicy
from bot.ports import ChannelLimits
from bot.priority import Priority, priority
from tests.fakes import RecordingChannel
from tests.harness import AUTH, START, Harness, at

SMS_RATE = 10


async def sms_pool(tmp_path: Path, **policy: object) -> tuple[Harness, RecordingChannel]:
    clock = FakeClock(START)
    channel = RecordingChannel(clock, name="sms", limits=ChannelLimits(per_second=SMS_RATE))
    pool = await Harness.open(
        tmp_path, clock=clock, channels={"sms": channel}, policy=PoolPolicy(pool_name="Test Pool", **policy)
    )
    await pool.practice()
    return pool, channel


def stranger(n: int) -> str:
    return f"+447400{n:06d}"


async def text_in(pool: Harness, phone: str, text: str) -> None:
    """A text arriving, without sending anything yet (the backlog builds up)."""
    pool.clock.advance(0.01)
    await pool.pool.engine.receive(
        Inbound("sms", phone, text, f"SM{phone}{pool.clock.now().timestamp()}", pool.clock.now())
    )


# -- 1. priority ----------------------------------------------------------------------------------


async def test_under_a_backlog_the_most_pressing_go_first_and_each_persons_order_is_kept(
    tmp_path: Path,
) -> None:
    pool, sms = await sms_pool(tmp_path, wellbeing_lead_phone="+447700900990")
    try:
        coordinator = await pool.member("Priya Shah", roles=("coordinator",), preferred_channel="sms")
        await pool.member("Dr Helen Marsh", phone="+447700900990", roles=("lead",), preferred_channel="sms")
        gps = await pool.gps(6, preferred_channel="sms")

        async def digest(turn) -> None:  # type: ignore[no-untyped-def]
            turn.say(
                Outbound(text="Checks this week: all fine.", member_id=coordinator.id, kind="checks_digest")
            )

        await pool.pool.engine.run("test", digest)
        for n in range(30):
            await text_in(pool, stranger(n), "hello?")
        await text_in(pool, gps[0].phone, "OFFERS")
        await pool.pool.engine.execute(_post(pool, urgent=False, day=3), actor="test")  # a routine wave
        await pool.pool.engine.execute(_post(pool, urgent=True, day=1), actor="test")  # to all six
        await text_in(pool, gps[1].phone, "I want to end my life")
        queued = await pool.pool.store.reader()._all(
            "SELECT id, kind, priority, address FROM messages WHERE direction = 'out' AND status = 'queued'"
        )
        # digest, strangers, OFFERS, a wave, urgent, crisis and the wellbeing lead told
        assert len(queued) == 1 + 30 + 1 + 5 + 6 + 1 + 1

        await pool.pool.dispatcher.drain()
        sent = [message for _, message in sms.sent]
        assert len(sent) == len(queued)

        # Each person's messages in the order they were written.
        for address in {m.address for m in sent}:
            ids = [m.id for m in sent if m.address == address]
            assert ids == sorted(ids), address
        # Most pressing first: a message goes as soon as the most pressing thing still to go
        # to its person allows (an earlier message comes along ahead of its person's urgent one).
        by_id = {row[0]: row[2] for row in queued}
        still_to_come = [
            min(by_id[m.id] for m in sent[i:] if m.address == sent[i].address) for i in range(len(sent))
        ]
        assert still_to_come == sorted(still_to_come)
        assert sent[still_to_come.index(Priority.CRISIS)].address == gps[1].phone
        kinds = [m.kind for m in sent]
        assert kinds[-1] == "checks_digest"
        last_offer = max(i for i, k in enumerate(kinds) if k == "offer")
        first_stranger = kinds.index("unknown_sender")
        assert last_offer < first_stranger, "strangers wait for every offer"
        # Paced at the channel's rate throughout.
        times = [when for when, _ in sms.sent]
        assert all(b - a >= timedelta(seconds=1 / SMS_RATE) for a, b in pairwise(times))
    finally:
        await pool.close()


def _post(pool: Harness, urgent: bool, day: int) -> PostSession:
    start = at(pool.today + timedelta(days=day), 13, 30)
    return PostSession(
        practice="X10001", starts_at=start, ends_at=start + timedelta(hours=4), rate_pence=32000,
        urgent=urgent, notes="", posted_by=None, via="test",
    )  # fmt: skip


def test_priorities_follow_design_order() -> None:
    assert [
        priority("crisis", False, False),
        priority("offer", True, True),
        priority("escalation", False, True),
        priority("offer", False, True),
        priority("booked", False, True),
        priority("offers_list", False, True),
        priority("unknown_sender", False, False),
        priority("checks_digest", False, True),
    ] == [0, 1, 1, 2, 2, 3, 4, 5]


# -- 2. flood control -------------------------------------------------------------------------------


async def test_a_flood_of_strangers_costs_bounded_texts_and_never_delays_an_urgent_offer(
    tmp_path: Path,
) -> None:
    pool, sms = await sms_pool(tmp_path)
    try:
        coordinator = await pool.member("Priya Shah", roles=("coordinator",), preferred_channel="sms")
        gps = await pool.gps(20, preferred_channel="sms")
        # 2,000 texts from 2,000 numbers in 20 s, some of them not UK mobiles, while the
        # dispatcher sends at Twilio's 10 a second.
        for n in range(2000):
            phone = stranger(n) if n % 10 else f"+1268464{n:04d}"  # every tenth: a premium-rate trap
            await text_in(pool, phone, "WIN")
            if n % 10 == 9:
                await pool.pool.dispatcher.run_once("sms")
        posted_at = pool.clock.now()
        await pool.pool.engine.execute(_post(pool, urgent=True, day=0), actor="test")
        await pool.pool.dispatcher.drain()

        offers = [(when, m) for when, m in sms.sent if m.kind == "offer"]
        assert {m.address for _, m in offers} == {gp.phone for gp in gps}
        took = max(when for when, _ in offers) - posted_at
        floor = timedelta(seconds=len(gps) / SMS_RATE)
        assert took <= floor + timedelta(seconds=1), f"urgent offers took {took}"

        to_strangers = [m for _, m in sms.sent if m.member_id is None]
        assert len(to_strangers) == 100, "the hourly allowance for strangers, no more"
        assert all(m.address.startswith("+447") for m in to_strangers), "never a premium or foreign number"
        inbox = await pool.pool.store.reader().inbox.items()
        assert len(inbox) == 50, "the inbox stops taking strangers once it is a flood"
        alerts = [m for _, m in sms.sent if m.kind == "stranger_flood"]
        assert [m.member_id for m in alerts] == [coordinator.id]
        assert "numbers the pool doesn't know" in alerts[0].text

        pool.clock.advance(timedelta(minutes=61))
        await text_in(pool, stranger(5), "WIN again")
        await pool.pool.dispatcher.drain()
        assert len([m for _, m in sms.sent if m.address == stranger(5)]) == 1, "one reply a day per number"
    finally:
        await pool.close()


async def test_repeats_from_one_number_fold_into_one_inbox_item(
    pool: Harness, client: httpx.AsyncClient
) -> None:
    gp = await pool.gp()
    for text in ("hello?", "are you there", "call me"):
        await pool.send(gp, text)
    await pool.send("07700 900888", "who is this")
    items = await pool.pool.store.reader().inbox.items()
    assert [(i.member.name if i.member else i.address, i.count, i.body) for i in items] == [
        (gp.name, 3, "call me"),
        ("+447700900888", 1, "who is this"),
    ]
    listed = (await client.get("/api/inbox", headers=AUTH)).json()
    assert [(i["text"], i["count"]) for i in listed] == [("call me", 3), ("who is this", 1)]
    await pool.pool.engine.execute(CloseInbox(items[0].id, None), actor="test")
    await pool.send(gp, "still there?")
    assert [i.count for i in await pool.pool.store.reader().inbox.items()] == [1, 1], (
        "a new item once answered"
    )
