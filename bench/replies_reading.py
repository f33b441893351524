"""Reading GPs' replies: how often the reader gets them right, and how long it takes.

For the grown table (tests/data/replies.csv, tuned against) and the held-out file
(tests/data/replies_heldout.csv, never tuned against), each reply sent through the real engine
to a GP holding one open offer: the share read as a careful coordinator would, and the wrong
bookings and wrong declines (both must be 0). Then the time ``bot.replies.parse`` takes per
reply over every row of both files, repeated: p50, p99 and max [p99 under 200 µs].

    python bench/replies_reading.py [--repeat 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import replies
from tests.harness import Harness
from tests.replies_eval import Figures, Reader, rows


async def figures(name: str) -> Figures:
    with tempfile.TemporaryDirectory() as folder:
        pool = await Harness.open(Path(folder))
        try:
            await pool.practice()
            reader, found = Reader(pool), Figures()
            for row in rows(name):
                found.count(row, await reader.outcome(row.text))
            return found
        finally:
            await pool.close()


def reading_times(texts: list[str], repeat: int) -> list[float]:
    """Microseconds per parse, each text timed on its own."""
    times = []
    for _ in range(repeat):
        for text in texts:
            began = time.perf_counter_ns()
            replies.parse(text)
            times.append((time.perf_counter_ns() - began) / 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    for name, label in (("replies.csv", "grown table"), ("replies_heldout.csv", "held-out file")):
        print(f"{label}: {asyncio.run(figures(name))}")
    texts = [
        r.text.format(code="4821", other="5133")
        for name in ("replies.csv", "replies_heldout.csv")
        for r in rows(name)
    ]
    times = sorted(reading_times(texts, args.repeat))
    p99 = times[int(len(times) * 0.99)]
    print(
        f"reading: {len(texts)} replies x {args.repeat}: p50 {statistics.median(times):.1f} µs, "
        f"p99 {p99:.1f} µs, max {times[-1]:.1f} µs  (target p99 < 200 µs)"
    )


if __name__ == "__main__":
    main()
