"""Engine overhead: one urgent session, 1,000 eligible GPs, offers handed to the sandbox.

DESIGN.md's target: 1,000 offers persisted and handed to the sandbox channel in under 1 s.
Prints the time to persist (eligibility, ranking, offers and outbox rows in one transaction)
and the time to hand every message to the channel, best of several runs on fresh databases.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from common import pool_with_gps, session_start

from bot.commands import PostSession


async def one_run(gps: int) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as folder:
        pool = await pool_with_gps(Path(folder) / "pool.db", gps)
        try:
            start = session_start(2)
            began = time.perf_counter()
            await pool.engine.execute(
                PostSession("X10001", start, start + timedelta(hours=4), 32000, urgent=True), actor="bench"
            )
            await pool.timers.run_due()  # the rest of the broadcast, a chunk at a time
            persisted = time.perf_counter()
            handed = await pool.dispatcher.drain()
            done = time.perf_counter()
            return persisted - began, done - began, handed
        finally:
            await pool.store.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gps", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results = [await one_run(args.gps) for _ in range(args.runs)]
    persist = [r[0] for r in results]
    total = [r[1] for r in results]
    assert all(r[2] == args.gps for r in results), "every GP got exactly one offer"
    print(f"fan-out: {args.gps} eligible GPs, one urgent session, sandbox channel, {args.runs} runs")
    print(
        f"  persisted (offers + outbox, 150 a transaction): best {min(persist) * 1000:.0f} ms, "
        f"median {statistics.median(persist) * 1000:.0f} ms"
    )
    print(
        f"  persisted and handed to the sandbox:         best {min(total) * 1000:.0f} ms, "
        f"median {statistics.median(total) * 1000:.0f} ms  (target < 1000 ms)"
    )


if __name__ == "__main__":
    asyncio.run(main())
