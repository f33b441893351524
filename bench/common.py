"""Shared set-up for the benchmarks: a pool on a fresh SQLite file with many eligible GPs."""

from __future__ import annotations

import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import LONDON, Clock, SystemClock
from bot.domain import CHECK_KINDS, Member, Practice
from bot.policy import PoolPolicy
from bot.pool import Pool
from bot.ports import Channel
from config import load_settings
from main import open_pool


def phone(i: int) -> str:
    """Distinct, valid-looking UK mobile numbers (07400 000000 upwards)."""
    return f"+4474{i:08d}"


async def pool_with_gps(
    database: Path,
    gps: int,
    clock: Clock | None = None,
    channels: dict[str, Channel] | None = None,
    channel: str = "sandbox",
) -> Pool:
    """A pool of ``gps`` eligible GPs who are reached on ``channel`` (sandbox, sms or slack;
    the environment's provider settings apply). On Slack, GP i is user ``slack_user(i)``."""
    import os

    settings = load_settings({**os.environ, "POOL_DATABASE": str(database)})
    pool = await open_pool(
        settings,
        clock=clock or SystemClock(),
        rng=random.Random(1),
        channels=channels,
        # Benchmarks run on the real clock at any hour: no quiet hours holding messages back.
        policy=PoolPolicy(pool_name="Bench Pool", quiet_start=None, quiet_end=None),
    )
    now = pool.clock.now()
    async with pool.store.unit_of_work() as uow:
        await uow.practices.add_practice(
            Practice("X10001", "Riverside Surgery", locality="Northside", address="1 Quay St")
        )
        for i in range(gps):
            member = await uow.members.add_member(
                Member(
                    id=0,
                    name=f"Dr Bench {i}",
                    phone=phone(i),
                    preferred_channel=channel,
                    slack_user_id=slack_user(i) if channel == "slack" else None,
                    telegram_chat_id=str(100_000 + i) if channel == "telegram" else None,
                ),
                now,
            )
            for kind in CHECK_KINDS:
                await uow.members.set_check(member.id, kind, None)
    return pool


def slack_user(i: int) -> str:
    return f"U{i:08d}"


def session_start(day_offset: int, afternoon: bool = False) -> datetime:
    day = (datetime.now(LONDON) + timedelta(days=day_offset)).date()
    return datetime(day.year, day.month, day.day, 14 if afternoon else 8, 30, tzinfo=LONDON)
