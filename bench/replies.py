"""Replies under load: wrk drives POST /sandbox/inbound (or, with --via sms, signed Twilio
webhooks on POST /twilio/sms) on a running server.

DESIGN.md's target: with 50 connections, at least 500 replies/s, p99 under 100 ms, exactly one
booking per session, none lost. Registered GPs answer open offers ("YES <code>"), each request
with its own message id. wrk (Debian package) is the load client, because a Python client
saturates before the server does.

    python bench/replies.py [--gps 1000] [--sessions 40] [--seconds 15] [--connections 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from common import pool_with_gps, session_start
from twilio.request_validator import RequestValidator

from bot.commands import PostSession

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"

LUA_SMS = r"""
local requests = {}
local count = 0
for line in io.lines("%(bodies)s") do
  local tab = line:find("\t")
  count = count + 1
  requests[count] = {line:sub(1, tab - 1), line:sub(tab + 1)}
end
local counter = 0
function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
end
function init(args)
  stride = %(threads)d
  index = offset
end
function request()
  index = index + stride
  local r = requests[(index %% count) + 1]
  return wrk.format("POST", "/twilio/sms", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Twilio-Signature"] = r[1]
  }, r[2])
end
done = function(summary, latency, requests)
  io.write(string.format("P50_US %%d\nP90_US %%d\nP99_US %%d\nMAX_US %%d\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""

TWILIO = {
    "TWILIO_ACCOUNT_SID": "AC00000000000000000000000000000001",
    "TWILIO_AUTH_TOKEN": "bench-auth-token",
    "TWILIO_FROM_NUMBER": "+447700900999",
    "POOL_PUBLIC_URL": "https://pool.example.org",
}

LUA = r"""
local bodies = {}
local count = 0
for line in io.lines("%(bodies)s") do
  count = count + 1
  bodies[count] = line
end
local counter = 0
local stride = 1
function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
end
function init(args)
  stride = %(threads)d
  index = offset
end
function request()
  index = index + stride
  local body = bodies[(index %% count) + 1]
  return wrk.format("POST", "/sandbox/inbound", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer %(token)s"
  }, body)
end
done = function(summary, latency, requests)
  io.write(string.format("P50_US %%d\nP90_US %%d\nP99_US %%d\nMAX_US %%d\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def prepare(database: Path, gps: int, sessions: int, via: str) -> list[str]:
    pool = await pool_with_gps(database, gps, channel=via)
    try:
        ids = []
        for i in range(sessions):
            start = session_start(2 + i // 2, afternoon=bool(i % 2))
            session = await pool.engine.execute(
                PostSession("X10001", start, start + timedelta(hours=4), 32000, urgent=True), actor="bench"
            )
            await pool.timers.run_due()  # the rest of the broadcast, a chunk at a time
            ids.append(session.id)
        # The offers are not what is measured: mark them handed over rather than send 40,000.
        async with pool.store.unit_of_work() as uow:
            await uow._run("UPDATE messages SET status = 'sent', provider_id = 'bench-' || id")
        reader = pool.store.reader()
        # Replies come session by session, as they do after each broadcast: each session's
        # thousand replies in a random order, the first "yes" books it and the rest are told.
        rng = random.Random(3)
        pairs = []
        for session_id in ids:
            offers = [(o.member_id, o.code) for o in await reader.offers.offers_for_session(session_id)]
            rng.shuffle(offers)
            pairs.extend(offers)
        members = await reader.members.by_ids(m for m, _ in pairs)
        if via == "sandbox":
            return [
                json.dumps({"from": members[m].phone, "text": f"YES {code}", "id": f"bench-{n}"})
                for n, (m, code) in enumerate(pairs)
            ]
        validator = RequestValidator(TWILIO["TWILIO_AUTH_TOKEN"])
        lines = []
        for n, (m, code) in enumerate(pairs):
            params = {
                "MessageSid": f"SMbench{n:025d}",
                "From": members[m].phone,
                "To": TWILIO["TWILIO_FROM_NUMBER"],
                "Body": f"YES {code}",
                "NumMedia": "0",
                "AccountSid": TWILIO["TWILIO_ACCOUNT_SID"],
            }
            signature = validator.compute_signature(f"{TWILIO['POOL_PUBLIC_URL']}/twilio/sms", params)
            lines.append(f"{signature}\t{urlencode(params)}")
        return lines
    finally:
        await pool.store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gps", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=40)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--via", choices=["sandbox", "sms"], default="sandbox")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")

    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "pool.db"
        fake = None
        env = {
            **os.environ,
            "POOL_DATABASE": str(database),
            "POOL_ADMIN_TOKEN": TOKEN,
            "POOL_QUIET_HOURS": "off",
        }
        if args.via == "sms":  # Twilio's API faked on localhost, at Twilio's real rate limit
            fake_port = free_port()
            fake = subprocess.Popen([sys.executable, str(ROOT / "bench" / "fake_twilio.py"), str(fake_port)])
            twilio = {**TWILIO, "TWILIO_API_BASE": f"http://127.0.0.1:{fake_port}"}
            env.update(twilio, POOL_SMS_PER_SECOND="10")
            os.environ.update(twilio)
        bodies = asyncio.run(prepare(database, args.gps, args.sessions, args.via))
        (Path(folder) / "bodies.txt").write_text("\n".join(bodies) + "\n")
        script = Path(folder) / "replies.lua"
        lua = LUA_SMS if args.via == "sms" else LUA
        script.write_text(
            lua % {"bodies": Path(folder) / "bodies.txt", "token": TOKEN, "threads": args.threads}
        )

        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "main.py", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert server.stdout is not None
        for line in server.stdout:
            if "Application startup complete" in line:
                break
        profiler = None
        if os.environ.get("BENCH_PYSPY"):  # a py-spy flame file of the server under load
            profiler = subprocess.Popen(
                [
                    "py-spy",
                    "record",
                    "--pid",
                    str(server.pid),
                    "-d",
                    str(args.seconds),
                    "-f",
                    "raw",
                    "-o",
                    os.environ["BENCH_PYSPY"],
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        try:
            began = time.time()
            wrk = subprocess.run(
                [
                    "wrk",
                    f"-t{args.threads}",
                    f"-c{args.connections}",
                    f"-d{args.seconds}s",
                    "--latency",
                    "-s",
                    str(script),
                    f"http://127.0.0.1:{port}",
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            elapsed = time.time() - began
        finally:
            if profiler is not None:
                profiler.wait(timeout=60)
            server.send_signal(signal.SIGTERM)
            server.communicate(timeout=60)
            if fake is not None:
                fake.terminate()
                fake.wait(timeout=10)

        out = wrk.stdout
        completed = int(re.search(r"(\d+) requests in", out).group(1))
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        socket_errors = re.search(r"Socket errors: (.*)", out)
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        latency = {k: int(v) / 1000 for k, v in re.findall(r"(P50|P90|P99|MAX)_US (\d+)", out)}

        with sqlite3.connect(database) as db:
            inbound = db.execute("SELECT count(*) FROM messages WHERE direction = 'in'").fetchone()[0]
            answered = db.execute(
                "SELECT count(*) FROM messages WHERE direction = 'out' "
                "AND kind IN ('booked', 'already_filled', 'already_booked', 'cannot_book')"
            ).fetchone()[0]
            double = db.execute(
                "SELECT count(*) FROM (SELECT session_id FROM bookings WHERE state = 'booked' "
                "GROUP BY session_id HAVING count(*) > 1)"
            ).fetchone()[0]
            filled = db.execute("SELECT count(*) FROM sessions WHERE status = 'filled'").fetchone()[0]
            unsent = db.execute(
                "SELECT count(*) FROM messages WHERE status IN ('queued', 'sending')"
            ).fetchone()[0]

    endpoint = "POST /twilio/sms (signed as Twilio signs)" if args.via == "sms" else "POST /sandbox/inbound"
    print(
        f"replies: wrk -t{args.threads} -c{args.connections} -d{args.seconds}s on {endpoint}, "
        f"{args.gps} GPs, {args.sessions} urgent sessions, {len(bodies)} distinct replies prepared"
    )
    print(f"  {completed} replies in {elapsed:.1f} s: {rate:.0f} replies/s  (target >= 500)")
    print(
        f"  latency p50 {latency['P50']:.1f} ms, p90 {latency['P90']:.1f} ms, p99 {latency['P99']:.1f} ms, "
        f"max {latency['MAX']:.1f} ms  (target p99 < 100)"
    )
    print(
        f"  non-2xx: {errors.group(1) if errors else 0}; socket errors: "
        f"{socket_errors.group(1) if socket_errors else 'none'}"
    )
    print(
        f"  inbound stored {inbound} (>= {completed} answered by wrk), each answered: {answered}; "
        f"left unsent after stop: {unsent}"
        + (" (SMS goes at 10/s; the rest waits in the outbox)" if args.via == "sms" else "")
    )
    print(f"  sessions filled {filled}/{args.sessions}, sessions with more than one booking: {double}")


if __name__ == "__main__":
    main()
