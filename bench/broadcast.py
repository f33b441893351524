"""A 50,000-GP urgent broadcast while replies arrive: the longest the event loop stalls, how long
webhook-style replies wait meanwhile, how long until every offer is persisted and handed to the
sandbox, and the process's peak memory.

    .venv/bin/python bench/broadcast.py               # 50,000 GPs
    .venv/bin/python bench/broadcast.py --gps 10000

A stall is measured by a task that asks to wake every 5 ms: how late it wakes is how long
something held the loop. Replies are inbound texts from GPs through the engine, as a webhook
hands them over, one every 20 ms during the post.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from common import pool_with_gps, session_start

from bot.commands import PostSession
from bot.domain import Inbound


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def watch_loop(stalls: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        asked = time.perf_counter()
        await asyncio.sleep(0.005)
        stalls.append(time.perf_counter() - asked - 0.005)


async def replies(pool, gps: int, waits: list[float], stop: asyncio.Event) -> None:  # type: ignore[no-untyped-def]
    n = 0
    first = time.perf_counter()
    while not stop.is_set():
        n += 1
        due = first + n * 0.02  # when this reply arrives; a stalled loop makes it wait
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        await pool.engine.receive(
            Inbound(
                channel="sandbox",
                address=f"+4474{(n * 7919) % gps:08d}",
                text="HELP",
                external_id=f"bench-{n}",
                received_at=pool.clock.now(),
            )
        )
        waits.append(time.perf_counter() - due)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gps", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        seeding = time.perf_counter()
        pool = await pool_with_gps(Path(folder) / "pool.db", args.gps)
        seeded = time.perf_counter() - seeding
        try:
            pool.freeze_startup_objects()  # as `serve` does when it starts the pool
            idle = peak_mb()
            stalls: list[float] = []
            waits: list[float] = []
            stop = asyncio.Event()
            watcher = asyncio.create_task(watch_loop(stalls, stop))
            replying = asyncio.create_task(replies(pool, args.gps, waits, stop))
            await asyncio.sleep(0.2)
            start = session_start(2)
            began = time.perf_counter()
            await pool.engine.execute(
                PostSession("X10001", start, start + timedelta(hours=4), 32000, urgent=True), actor="bench"
            )
            answered = time.perf_counter() - began
            await pool.settle()  # the rest of the broadcast (if chunked) and the sends
            done = time.perf_counter() - began
            stop.set()
            await asyncio.gather(watcher, replying)
            offers = await pool.store.reader()._one("SELECT count(*) FROM offers")
        finally:
            await pool.store.close()
    print(f"broadcast: {args.gps:,} eligible GPs, one urgent session, sandbox (seeded in {seeded:.0f} s)")
    print(f"  the post answered in {answered * 1000:,.0f} ms; all offers persisted and sent in {done:.1f} s")
    print(f"  offers made: {offers[0]:,}")
    print(
        f"  longest event-loop stall: {max(stalls) * 1000:,.0f} ms (target < 50); "
        f"p99 {statistics.quantiles(stalls, n=100)[98] * 1000:.0f} ms over {len(stalls):,} wake-ups"
    )
    print(
        f"  replies during it (one every 20 ms): {len(waits)}, longest wait {max(waits) * 1000:,.0f} ms, "
        f"median {statistics.median(waits) * 1000:.0f} ms"
    )
    print(f"  peak RSS {peak_mb():.0f} MB (after seeding {idle:.0f} MB; target < 200)")


if __name__ == "__main__":
    asyncio.run(main())
