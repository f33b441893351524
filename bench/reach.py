"""Reach: how long 1,000 offers take to reach the providers at their real rate limits.

DESIGN.md's target: with Twilio at 10 messages/s and Telegram at 30/s, the time to hand
1,000 offers to the provider is within 5% of the limit's floor (100 s and 33.3 s). The
providers are local stand-ins (bench/fake_twilio.py, bench/fake_telegram.py) that answer at
once, so what is measured is the dispatcher's pacing and overhead, over real HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx
from common import pool_with_gps, session_start
from replies import TWILIO, free_port

from bot.commands import PostSession

ROOT = Path(__file__).resolve().parent.parent


async def reach(channel: str, gps: int) -> tuple[float, float]:
    """Seconds from the post to the last offer handed over, and the limit's floor."""
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        script = "fake_twilio.py" if channel == "sms" else "fake_telegram.py"
        fake = subprocess.Popen([sys.executable, str(ROOT / "bench" / script), str(port)])  # noqa: ASYNC220
        base = f"http://127.0.0.1:{port}"
        if channel == "sms":
            env = {**TWILIO, "TWILIO_API_BASE": base, "POOL_SMS_PER_SECOND": "10"}
            rate = 10.0
        else:
            env = {
                "TELEGRAM_BOT_TOKEN": "123:bench",
                "TELEGRAM_WEBHOOK_SECRET": "s",
                "TELEGRAM_API_BASE": base,
            }
            rate = 30.0
        os.environ.update(env)
        os.environ["POOL_SANDBOX"] = "off"
        async with httpx.AsyncClient() as probe:
            for _ in range(100):  # until the stand-in is up
                try:
                    await probe.post(f"{base}/", timeout=0.2)
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
        pool = await pool_with_gps(Path(folder) / "pool.db", gps, channel=channel)
        stop = asyncio.Event()
        try:
            start = session_start(2)
            began = time.perf_counter()
            await pool.engine.execute(
                PostSession("X10001", start, start + timedelta(hours=4), 32000, urgent=True), actor="bench"
            )
            await pool.timers.run_due()  # the rest of the broadcast, a chunk at a time
            sender = asyncio.create_task(pool.dispatcher.run_forever(stop))
            reader = pool.store.reader()
            while True:
                row = await reader._one(
                    "SELECT count(*) FROM messages WHERE kind = 'offer' AND status = 'sent'"
                )
                if row[0] >= gps:
                    break
                await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - began
            stop.set()
            await sender
        finally:
            await pool.close()
            fake.terminate()
            fake.wait(timeout=10)
            for key in env:
                os.environ.pop(key, None)
        return elapsed, gps / rate


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gps", type=int, default=1000)
    parser.add_argument("--channel", choices=["sms", "telegram", "both"], default="both")
    args = parser.parse_args()
    channels = ["telegram", "sms"] if args.channel == "both" else [args.channel]
    for channel in channels:
        elapsed, floor = await reach(channel, args.gps)
        over = (elapsed / floor - 1) * 100
        print(
            f"reach: {args.gps} offers by {channel}: {elapsed:.1f} s against a floor of {floor:.1f} s "
            f"({over:+.1f}%; target within 5%)"
        )


if __name__ == "__main__":
    asyncio.run(main())
