"""An urgent offer straight after a flood of strangers: a running `main.py serve` with SMS on
(Twilio faked on localhost at its real 10 messages/s) receives 2,000 signed texts from 2,000
numbers the pool does not know within about 20 s; then a coordinator posts an urgent session
for the pool's 20 GPs. Prints how long the 20 offers took to reach Twilio against the floor
(20 at 10/s: 2 s; DESIGN.md's target is the floor plus a second), and what the strangers cost:
texts sent and queued to them, inbox items, alerts.

    python bench/flood.py [--strangers 2000] [--seconds 20] [--gps 20] [--root PATH]

``--root`` runs another checkout's server (a worktree of an older commit) to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from common import pool_with_gps, session_start
from replies import TWILIO, free_port
from twilio.request_validator import RequestValidator

from bot.domain import Member

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"
TO_STRANGERS = "SELECT count(*) FROM messages WHERE direction = 'out' AND member_id IS NULL"


async def prepare(database: Path, gps: int) -> None:
    pool = await pool_with_gps(database, gps, channel="sms")
    try:
        async with pool.store.unit_of_work() as uow:
            await uow.members.add_member(
                Member(id=0, name="Priya Shah", phone="+447700900990", roles=frozenset({"coordinator"}),
                       preferred_channel="sms"),
                pool.clock.now(),
            )  # fmt: skip
    finally:
        await pool.close()


async def flood(port: int, strangers: int, seconds: float) -> int:
    """Signed texts from ``strangers`` numbers, spread over ``seconds``; how many were answered 200."""
    validator = RequestValidator(TWILIO["TWILIO_AUTH_TOKEN"])
    url = f"{TWILIO['POOL_PUBLIC_URL']}/twilio/sms"
    answered = 0
    began = time.perf_counter()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:

        async def text(n: int) -> None:
            nonlocal answered
            await asyncio.sleep(max(0.0, began + n * seconds / strangers - time.perf_counter()))
            # Mostly UK mobiles (not the pool's GPs, who are +4474...); every tenth a foreign
            # number, as SMS pumping uses.
            sender = f"+4475{n:08d}" if n % 10 else f"+1268464{n:04d}"
            form = {
                "MessageSid": f"SM{n:032x}",
                "From": sender,
                "To": TWILIO["TWILIO_FROM_NUMBER"],
                "Body": "WIN",
            }
            signature = validator.compute_signature(url, form)
            response = await http.post("/twilio/sms", data=form, headers={"X-Twilio-Signature": signature})
            answered += response.status_code == 200

        await asyncio.gather(*(text(n) for n in range(strangers)))
    return answered


def figures(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as db:

        def one(sql: str) -> int:
            return db.execute(sql).fetchone()[0]

        return {
            "texts sent to strangers": one(f"{TO_STRANGERS} AND status = 'sent'"),
            "texts queued for strangers": one(f"{TO_STRANGERS} AND status = 'queued'"),
            "inbox items": one("SELECT count(*) FROM inbox"),
            "flood alerts": one("SELECT count(*) FROM messages WHERE kind = 'stranger_flood'"),
        }


async def urgent(port: int, database: Path, gps: int, give_up: float) -> float | None:
    """Seconds from posting the urgent session to the last of its offers handed to Twilio."""
    start = session_start(0, afternoon=True)
    body = {"practice": "X10001", "start": start.isoformat(), "end": start.replace(hour=18).isoformat(),
            "rate_pence": 32321, "urgent": True}  # fmt: skip
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        posted = datetime.now(UTC)
        created = await http.post("/api/sessions", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
        created.raise_for_status()
    deadline = time.perf_counter() + give_up
    while time.perf_counter() < deadline:
        with sqlite3.connect(database) as db:
            sent, last = db.execute(
                "SELECT count(*), max(sent_at) FROM messages WHERE kind = 'offer' AND status = 'sent'"
            ).fetchone()
        if sent >= gps:
            return (datetime.fromisoformat(last) - posted).total_seconds()
        await asyncio.sleep(0.05)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strangers", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--gps", type=int, default=20)
    parser.add_argument("--root", type=Path, default=ROOT, help="The checkout whose server to run")
    parser.add_argument("--give-up", type=float, default=120.0, help="Seconds to wait for the offers")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "pool.db"
        fake_port, port = free_port(), free_port()
        fake = subprocess.Popen([sys.executable, str(ROOT / "bench" / "fake_twilio.py"), str(fake_port)])
        twilio = {**TWILIO, "TWILIO_API_BASE": f"http://127.0.0.1:{fake_port}"}
        env = {**os.environ, **twilio, "POOL_DATABASE": str(database), "POOL_ADMIN_TOKEN": TOKEN,
               "POOL_QUIET_HOURS": "off", "POOL_SANDBOX": "off", "POOL_SMS_PER_SECOND": "10"}  # fmt: skip
        os.environ.update(twilio)
        asyncio.run(prepare(database, args.gps))
        server = subprocess.Popen(
            [sys.executable, "main.py", "serve", "--port", str(port)],
            cwd=args.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        assert server.stdout is not None
        for line in server.stdout:
            if "Application startup complete" in line:
                break
        try:
            began = time.perf_counter()
            answered = asyncio.run(flood(port, args.strangers, args.seconds))
            spent = time.perf_counter() - began
            print(f"{args.strangers} texts from strangers in {spent:.1f} s ({answered} answered 200)")
            took = asyncio.run(urgent(port, database, args.gps, args.give_up))
            floor = args.gps / 10
            if took is None:
                print(
                    f"urgent offers to {args.gps} GPs: not all handed to Twilio within {args.give_up:.0f} s"
                )
            else:
                print(f"urgent offers to {args.gps} GPs handed to Twilio in {took:.2f} s "
                      f"(floor {floor:.1f} s; target {floor + 1:.1f} s)")  # fmt: skip
            for name, value in figures(database).items():
                print(f"  {name}: {value}")

        finally:
            server.send_signal(signal.SIGTERM)
            server.communicate(timeout=60)
            fake.terminate()
            fake.wait(timeout=10)


if __name__ == "__main__":
    main()
