"""How cost grows with the pool: an urgent broadcast's fan-out at 1,000, 10,000 and 50,000 GPs
(time until every offer is persisted and handed to the sandbox, and that time per offer), and
importing 50,000 members and their checks from CSV as the CLI does (the import's own reading,
checks and writes, one transaction).

    .venv/bin/python bench/growth.py
    .venv/bin/python bench/growth.py --sizes 1000 10000 --import-members 10000

Cost per offer should stay flat: linear growth, nothing that reads the whole pool per offer.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import random
import resource
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from common import phone, pool_with_gps, session_start

from bot.commands import PostSession
from bot.engine import Turn
from config.professions import load_professions
from flows.desk import imports

GP_CHECKS = load_professions()["gp"].checks


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def fan_out(gps: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as folder:
        pool = await pool_with_gps(Path(folder) / "pool.db", gps)
        try:
            start = session_start(2)
            began = time.perf_counter()
            await pool.engine.execute(
                PostSession("X10001", start, start + timedelta(hours=4), 32000, urgent=True), actor="bench"
            )
            await pool.settle()  # the broadcast's chunks and every send
            elapsed = time.perf_counter() - began
            row = await pool.store.reader()._one("SELECT count(*) FROM messages WHERE status = 'sent'")
            return elapsed, row[0]
        finally:
            await pool.store.close()


def csv_text(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


async def import_members(count: int) -> tuple[float, float]:
    rng = random.Random(5)
    members = csv_text(
        ("name", "phone", "email", "gp_type", "registration_number", "localities"),
        [
            (f"Dr Growth {i}", "0" + phone(i)[3:], f"gp{i}@example.org", "locum",
             f"{7000000 + i}", rng.choice(["Northside", "Southgate", "Riverside"]))
            for i in range(count)
        ],
    )  # fmt: skip
    checks = csv_text(
        ("phone", "check", "expires"),
        [("0" + phone(i)[3:], kind, "2027-06-30") for i in range(count) for kind in GP_CHECKS],
    )
    with tempfile.TemporaryDirectory() as folder:
        pool = await pool_with_gps(Path(folder) / "pool.db", 0)
        try:
            timings = []
            for kind, text, do in (
                ("members", members, imports.import_members),
                ("checks", checks, imports.import_checks),
            ):
                began = time.perf_counter()
                rows = imports.read_csv(kind, text)

                async def work(turn: Turn, rows: imports.Rows = rows, do=do) -> object:  # type: ignore[no-untyped-def]
                    return await do(turn, rows)

                await pool.engine.run("bench", work)
                timings.append(time.perf_counter() - began)
            return timings[0], timings[1]
        finally:
            await pool.store.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 50_000])
    parser.add_argument("--import-members", type=int, default=50_000)
    args = parser.parse_args()
    print("growth: an urgent broadcast on the sandbox, every offer persisted and handed over")
    print(f"  {'GPs':>8}  {'fan-out':>9}  {'per offer':>10}")
    for size in args.sizes:
        elapsed, sent = await fan_out(size)
        assert sent >= size, f"only {sent} of {size} offers went"
        print(f"  {size:>8,}  {elapsed:>7.2f} s  {elapsed / size * 1e6:>7.0f} µs")
    members, checks = await import_members(args.import_members)
    print(
        f"  import of {args.import_members:,} members: {members:.1f} s; their "
        f"{args.import_members * len(GP_CHECKS):,} checks: {checks:.1f} s"
    )
    print(f"  peak RSS of this process: {peak_mb():.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
