"""Replies against the floor: the pool's POST /twilio/sms and a bare Starlette endpoint that only
checks the Twilio signature (bench/floor.py), driven by wrk with the same pre-signed requests,
interleaved (pool, floor, pool, floor...) so both meet the same machine. Prints each run and the
ratio of the pool's replies a second to the floor's.

    .venv/bin/python bench/replies_floor.py [--rounds 2] [--seconds 10] [--connections 50]

The pool starts each run from the same database copy: GPs answering open offers ("YES <code>").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from replies import LUA_SMS, ROOT, TOKEN, TWILIO, free_port, prepare


def wrk(port: int, script: Path, seconds: int, connections: int, threads: int) -> tuple[float, float]:
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
         f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert errors is None, f"{errors.group(1)} requests refused: the signatures or the bodies are wrong"
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = int(re.search(r"P99_US (\d+)", out).group(1)) / 1000
    return rate, p99


def wait_for(server: subprocess.Popen, marker: str) -> None:  # type: ignore[type-arg]
    assert server.stdout is not None
    for line in server.stdout:
        if marker in line:
            return
    raise RuntimeError("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--gps", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=40)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        fake_port = free_port()
        fake = subprocess.Popen([sys.executable, str(ROOT / "bench" / "fake_twilio.py"), str(fake_port)])
        twilio = {**TWILIO, "TWILIO_API_BASE": f"http://127.0.0.1:{fake_port}"}
        os.environ.update(twilio)
        try:
            prepared = here / "prepared.db"
            bodies = asyncio.run(prepare(prepared, args.gps, args.sessions, "sms"))
            (here / "bodies.txt").write_text("\n".join(bodies) + "\n")
            script = here / "replies.lua"
            script.write_text(
                LUA_SMS % {"bodies": here / "bodies.txt", "token": TOKEN, "threads": args.threads}
            )
            results: dict[str, list[tuple[float, float]]] = {"pool": [], "floor": []}
            for _ in range(args.rounds):
                for who in ("pool", "floor"):
                    port = free_port()
                    if who == "pool":
                        database = here / "run.db"
                        shutil.copy(prepared, database)
                        for suffix in ("-wal", "-shm"):
                            Path(f"{database}{suffix}").unlink(missing_ok=True)
                        env = {**os.environ, **twilio, "POOL_DATABASE": str(database),
                               "POOL_ADMIN_TOKEN": TOKEN, "POOL_QUIET_HOURS": "off",
                               "POOL_SMS_PER_SECOND": "10"}  # fmt: skip
                        command = [sys.executable, "main.py", "serve", "--port", str(port)]
                        marker = "Application startup complete"
                    else:
                        env = dict(os.environ)
                        command = [sys.executable, "bench/floor.py", str(port), TWILIO["TWILIO_AUTH_TOKEN"],
                                   TWILIO["POOL_PUBLIC_URL"]]  # fmt: skip
                        env["PYTHONUNBUFFERED"] = "1"
                        marker = ""
                    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                              stderr=subprocess.STDOUT, text=True)  # fmt: skip
                    try:
                        if marker:
                            wait_for(server, marker)
                        else:
                            for _ in range(200):
                                try:
                                    socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                                    break
                                except OSError:
                                    time.sleep(0.05)
                        results[who].append(wrk(port, script, args.seconds, args.connections, args.threads))
                    finally:
                        server.send_signal(signal.SIGTERM)
                        server.communicate(timeout=60)
        finally:
            fake.terminate()
            fake.wait(timeout=10)
    print(
        f"replies against the floor: wrk -t{args.threads} -c{args.connections} -d{args.seconds}s, signed "
        f"POST /twilio/sms, {len(bodies):,} distinct replies, {args.rounds} rounds interleaved"
    )
    for who, runs in results.items():
        shown = ", ".join(f"{rate:,.0f}/s p99 {p99:.0f} ms" for rate, p99 in runs)
        print(f"  {who:>5}: {shown}")
    pool = statistics.median(rate for rate, _ in results["pool"])
    floor = statistics.median(rate for rate, _ in results["floor"])
    worst_p99 = max(p99 for _, p99 in results["pool"])
    print(f"  ratio pool/floor: {pool / floor:.2f} (target >= 0.5); the pool's worst p99 {worst_p99:.0f} ms")


if __name__ == "__main__":
    main()
