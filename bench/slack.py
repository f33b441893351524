"""Slack under a broadcast: signed button clicks, DMs and slash commands answered while a
1,000-offer urgent broadcast goes out at Slack's pace.

DESIGN.md's target: every Slack request answered in under 300 ms (p99) while a 1,000-offer
broadcast runs. A local stand-in for Slack's Web API (bench/fake_slack.py) takes the sends;
the server is `main.py serve` with Slack on. Before the clock starts, GPs already hold offers
for earlier sessions (marked sent), so their clicks are real acceptances and declines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
from common import pool_with_gps, session_start
from replies import free_port
from slack_sdk.signature import SignatureVerifier

from bot.commands import PostSession
from bot.domain import Member

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"
SECRET = "bench-signing-secret"
COORDINATOR = "U0COORD"


async def prepare(database: Path, gps: int, sessions: int) -> list[tuple[str, str]]:
    """(user, code) of open offers GPs will answer by button, in a random order."""
    pool = await pool_with_gps(database, gps, channel="slack")
    try:
        async with pool.store.unit_of_work() as uow:
            await uow.members.add_member(
                Member(id=0, name="Sam Coordinator", phone="+447700900999", roles=frozenset({"coordinator"}),
                       preferred_channel="slack", slack_user_id=COORDINATOR),
                pool.clock.now(),
            )  # fmt: skip
        for i in range(sessions):
            start = session_start(3 + i // 2, afternoon=bool(i % 2))
            await pool.engine.execute(
                PostSession("X10001", start, start + timedelta(hours=4), 32000, urgent=True), actor="bench"
            )
            await pool.timers.run_due()  # the rest of the broadcast, a chunk at a time
        async with pool.store.unit_of_work() as uow:  # handed over before the measurement
            await uow._run("UPDATE messages SET status = 'sent', provider_id = 'D0:' || id")
        rows = await pool.store.reader()._all(
            "SELECT m.slack_user_id, f.code FROM offers f JOIN members m ON m.id = f.member_id"
        )
        pairs = [(r[0], r[1]) for r in rows]
        random.Random(3).shuffle(pairs)
        return pairs
    finally:
        await pool.store.close()


def signed(body: bytes, content_type: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body),
    }


def click(user: str, code: str, n: int, fake: str) -> bytes:
    value = f"{'YES' if n % 3 else 'NO'} {code}"
    payload = {
        "type": "block_actions", "user": {"id": user, "team_id": "T0BENCH"}, "api_app_id": "A0BENCH",
        "team": {"id": "T0BENCH"}, "trigger_id": f"{n}.1.bench", "token": "x",
        "container": {"type": "message", "message_ts": "1800000000.000100", "channel_id": "D" + user[1:]},
        "channel": {"id": "D" + user[1:]}, "response_url": f"{fake}/response/{n}",
        "actions": [{"action_id": "choice-0", "block_id": "b", "value": value, "type": "button",
                     "text": {"type": "plain_text", "text": "Accept"}, "action_ts": f"1800000000.{n:06d}"}],
    }  # fmt: skip
    return urlencode({"payload": json.dumps(payload)}).encode()


def dm(user: str, n: int) -> bytes:
    event = {"type": "message", "channel": "D" + user[1:], "user": user, "text": "OFFERS",
             "ts": f"1800000001.{n:06d}", "channel_type": "im"}  # fmt: skip
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0BENCH",
            "api_app_id": "A0BENCH",
            "event": event,
            "event_id": f"Ev{n:010d}",
            "event_time": int(time.time()),
        }
    ).encode()


def command(n: int, fake: str) -> bytes:
    return urlencode(
        {
            "token": "x",
            "team_id": "T0BENCH",
            "channel_id": "C0DESK",
            "user_id": COORDINATOR,
            "command": "/pool",
            "text": "status",
            "response_url": f"{fake}/response/{n}",
            "trigger_id": f"{n}.2.bench",
            "api_app_id": "A0BENCH",
        }
    ).encode()


async def load(base: str, fake: str, pairs: list[tuple[str, str]], seconds: float, workers: int) -> dict:
    """Requests from ``workers`` concurrent clients for ``seconds``: 7 clicks in 10, 2 DMs,
    1 slash command. Each request's answer time, by kind."""
    timings: dict[str, list[float]] = {"click": [], "dm": [], "command": []}
    failures = 0
    counter = iter(range(10**9))
    stop_at = time.perf_counter() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal failures
        while time.perf_counter() < stop_at:
            n = next(counter)
            user, code = pairs[n % len(pairs)]
            kind = "command" if n % 10 == 9 else "dm" if n % 10 in (7, 8) else "click"
            if kind == "click":
                body, content_type = click(user, code, n, fake), "application/x-www-form-urlencoded"
            elif kind == "dm":
                body, content_type = dm(user, n), "application/json"
            else:
                body, content_type = command(n, fake), "application/x-www-form-urlencoded"
            began = time.perf_counter()
            response = await client.post("/slack/events", content=body, headers=signed(body, content_type))
            timings[kind].append(time.perf_counter() - began)
            if response.status_code != 200:
                failures += 1
            await asyncio.sleep(0.05)  # people, not a flood: about 20 requests a second a client

    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        await asyncio.gather(*(worker(client) for _ in range(workers)))
    return {"timings": timings, "failures": failures}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gps", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=10, help="sessions already offered, to click on")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "pool.db"
        fake_port, port = free_port(), free_port()
        fake_url = f"http://127.0.0.1:{fake_port}"
        slack_env = {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET,
                     "SLACK_API_BASE": f"{fake_url}/api/"}  # fmt: skip
        os.environ.update(slack_env)
        pairs = asyncio.run(prepare(database, args.gps, args.sessions))
        fake = subprocess.Popen([sys.executable, str(ROOT / "bench" / "fake_slack.py"), str(fake_port)])
        env = {**os.environ, **slack_env, "POOL_DATABASE": str(database), "POOL_ADMIN_TOKEN": TOKEN,
               "POOL_QUIET_HOURS": "off"}  # fmt: skip
        server = subprocess.Popen(
            [sys.executable, "main.py", "serve", "--port", str(port)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        assert server.stdout is not None
        for line in server.stdout:
            if "Application startup complete" in line:
                break
        base = f"http://127.0.0.1:{port}"
        profiler = None
        if os.environ.get("BENCH_PYSPY"):  # a py-spy flame file of the server under load
            profiler = subprocess.Popen(
                ["py-spy", "record", "--pid", str(server.pid), "-d", str(int(args.seconds)), "-f", "raw",
                 "-o", os.environ["BENCH_PYSPY"]],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        try:
            start = session_start(1)
            broadcast = httpx.post(
                f"{base}/api/sessions",
                headers={"Authorization": f"Bearer {TOKEN}"},
                json={"practice": "X10001", "start": start.isoformat(),
                      "end": (start + timedelta(hours=4)).isoformat(), "rate_pence": 40000, "urgent": True},
                timeout=30,
            )  # fmt: skip
            broadcast.raise_for_status()
            before = httpx.get(f"{fake_url}/count").json()["chat.postMessage"]
            result = asyncio.run(load(base, fake_url, pairs, args.seconds, args.workers))
            after = httpx.get(f"{fake_url}/count").json()["chat.postMessage"]
        finally:
            if profiler is not None:
                profiler.wait(timeout=60)
            server.send_signal(signal.SIGTERM)
            server.communicate(timeout=60)
            fake.terminate()
            fake.wait(timeout=10)

        with sqlite3.connect(database) as db:
            double = db.execute(
                "SELECT count(*) FROM (SELECT session_id FROM bookings WHERE state = 'booked' "
                "GROUP BY session_id HAVING count(*) > 1)"
            ).fetchone()[0]
            code = broadcast.json()["code"]
            offered = db.execute(
                "SELECT count(*) FROM offers f JOIN sessions s ON s.id = f.session_id WHERE s.code = ?",
                (code,),
            ).fetchone()[0]

    every = [t for kind in result["timings"].values() for t in kind]
    print(
        f"slack: {args.workers} clients for {args.seconds:.0f} s while an urgent session goes to "
        f"{offered} GPs on Slack ({args.gps} GPs, {args.sessions} sessions already offered)"
    )
    print(
        f"  {len(every)} requests answered, non-200: {result['failures']}; offers posted to Slack during "
        f"the run: {after - before} (at 10/s the broadcast takes {offered / 10:.0f} s)"
    )
    print(
        f"  answer time p50 {percentile(every, 0.5):.1f} ms, p90 {percentile(every, 0.9):.1f} ms, "
        f"p99 {percentile(every, 0.99):.1f} ms, max {max(every) * 1000:.1f} ms  (target p99 < 300)"
    )
    for kind, values in result["timings"].items():
        if values:
            print(
                f"    {kind:8} {len(values):5} requests: p50 {statistics.median(values) * 1000:.1f} ms, "
                f"p99 {percentile(values, 0.99):.1f} ms"
            )
    print(f"  sessions with more than one booking: {double}")


if __name__ == "__main__":
    main()
