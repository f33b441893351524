"""Several `serve` workers on one PostgreSQL database against one on SQLite: replies a second
(wrk, as bench/replies.py) and how long a 1,000-GP urgent broadcast takes to go out.

    python bench/workers.py                     # a throwaway PostgreSQL cluster (tests/postgres.py)
    POOL_BENCH_POSTGRES=postgresql://u@h:p/postgres python bench/workers.py   # an existing cluster
    python bench/workers.py --seconds 20 --replies 1,2 --broadcast 1,3 --broadcast-gps 1000

Replies: the same prepared pool as replies.py (1,000 GPs each offered ``--sessions`` urgent
sessions, offers marked sent), then wrk posts "YES <code>" to ``POST /sandbox/inbound``, each
reply its own message id, session after session. With two workers wrk's two threads each drive
one worker, so both take replies for the same session at the same moment: the first yes books
it, the rest are told it has gone, whichever worker they reached.

Broadcast: ``--broadcast-gps`` GPs on the sandbox channel (no provider pacing: this measures
the workers, not Twilio's 10/s), one urgent session posted through ``POST /api/sessions``, timed
until every offer is marked sent in the database. The broadcast is written in chunks, each a
timer any worker may claim; one worker at a time sends a channel.

This machine has 2 cores: more workers than cores measures nothing here, since they (and
PostgreSQL, and wrk) share the same two.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from common import pool_with_gps, session_start
from replies import TOKEN, free_port, prepare

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.postgres import Cluster, admin, with_database  # noqa: E402

LUA = r"""
local bodies = {}
local count = 0
for line in io.lines("%(bodies)s") do
  count = count + 1
  bodies[count] = line
end
local ports = {%(ports)s}
local counter = 0
function setup(thread)
  thread:set("offset", counter)
  -- each thread drives one worker (round robin when there are more threads than workers)
  thread.addr = wrk.lookup("127.0.0.1", tostring(ports[(counter %% #ports) + 1]))[1]
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


@dataclass
class Database:
    """Where a run's pool lives: a SQLite file or a PostgreSQL database, and how to ask it."""

    url: str
    engine: str

    def rows(self, statement: str) -> list[tuple[Any, ...]]:
        if self.engine == "sqlite":
            with sqlite3.connect(self.url) as db:
                return db.execute(statement).fetchall()
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(statement).fetchall()

    def one(self, statement: str) -> Any:
        return self.rows(statement)[0][0]

    def rollbacks(self) -> int:
        """Transactions PostgreSQL rolled back in this database (serialization failures among
        them, each retried by the store): the cost of contention. 0 on SQLite."""
        if self.engine == "sqlite":
            return 0
        return int(self.one("SELECT xact_rollback FROM pg_stat_database WHERE datname = current_database()"))


class Place:
    """Fresh databases for the runs: SQLite files in a folder; PostgreSQL databases on one cluster."""

    def __init__(self, folder: Path, cluster_url: str | None) -> None:
        self.folder = folder
        self.cluster_url = cluster_url
        self.made: list[str] = []

    def fresh(self, engine: str, name: str) -> Database:
        if engine == "sqlite":
            return Database(str(self.folder / f"{name}.db"), "sqlite")
        assert self.cluster_url is not None
        database = f"bench_{name}_{os.getpid()}"
        admin(
            self.cluster_url,
            f"DROP DATABASE IF EXISTS {database} WITH (FORCE)",
            f"CREATE DATABASE {database}",
        )
        self.made.append(database)
        return Database(with_database(self.cluster_url, database), "postgres")

    def drop_all(self) -> None:
        if self.cluster_url and self.made:
            admin(self.cluster_url, *(f"DROP DATABASE IF EXISTS {d} WITH (FORCE)" for d in self.made))


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """POOL_BENCH_POSTGRES, else a throwaway cluster (as the tests start one), stopped after."""
    if url := os.environ.get("POOL_BENCH_POSTGRES"):
        yield url
        return
    cluster = Cluster()
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@contextmanager
def workers(database: Database, count: int, folder: Path, **settings: str) -> Iterator[list[int]]:
    """``count`` `serve` processes on ``database``, their ports; SIGTERM to all at the end."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("POOL_", "TWILIO_", "SLACK_", "TELEGRAM_"))
    }
    env.update(POOL_DATABASE=database.url, POOL_ADMIN_TOKEN=TOKEN, POOL_QUIET_HOURS="off", **settings)
    ports = [free_port() for _ in range(count)]
    processes = []
    try:
        for n, port in enumerate(ports):
            log = (folder / f"worker{n + 1}-{port}.log").open("w")
            processes.append(
                subprocess.Popen(
                    [sys.executable, "main.py", "serve", "--port", str(port)],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        for process, port in zip(processes, ports, strict=True):
            deadline = time.monotonic() + 60
            while not healthy(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"a worker did not start: see {folder}")
                time.sleep(0.1)
        yield ports
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


# -- replies --------------------------------------------------------------------------------------


def replies_run(database: Database, count: int, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    bodies = asyncio.run(prepare(database.url, args.gps, args.sessions, "sandbox"))  # type: ignore[arg-type]
    lines = folder / f"bodies-{database.engine}-{count}.txt"
    lines.write_text("\n".join(bodies) + "\n")
    script = folder / f"replies-{database.engine}-{count}.lua"
    with workers(database, count, folder) as ports:
        script.write_text(
            LUA
            % {"bodies": lines, "ports": ", ".join(map(str, ports)), "threads": args.threads, "token": TOKEN}
        )
        rollbacks = database.rollbacks()
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
                f"http://127.0.0.1:{ports[0]}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        elapsed = time.time() - began
        rollbacks = database.rollbacks() - rollbacks
    out = wrk.stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "completed": int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "latency": {k: int(v) / 1000 for k, v in re.findall(r"(P50|P90|P99|MAX)_US (\d+)", out)},
        "errors": int(errors.group(1)) if errors else 0,
        "elapsed": elapsed,
        "rollbacks": rollbacks,
        "inbound": database.one("SELECT count(*) FROM messages WHERE direction = 'in'"),
        "filled": database.one("SELECT count(*) FROM sessions WHERE status = 'filled'"),
        "double": database.one(
            "SELECT count(*) FROM (SELECT session_id FROM bookings WHERE state = 'booked' "
            "GROUP BY session_id HAVING count(*) > 1) AS twice"
        ),
        "prepared": len(bodies),
    }


# -- a broadcast ----------------------------------------------------------------------------------


async def seed_gps(database: Database, gps: int) -> None:
    pool = await pool_with_gps(database.url, gps)  # type: ignore[arg-type]
    await pool.store.close()


def broadcast_run(database: Database, count: int, gps: int, folder: Path) -> dict[str, Any]:
    asyncio.run(seed_gps(database, gps))
    with workers(database, count, folder, POOL_POLL_SECONDS="0.5") as ports:
        start = session_start(2)
        began = time.monotonic()
        answer = httpx.post(
            f"http://127.0.0.1:{ports[0]}/api/sessions",
            headers={"Authorization": f"Bearer {TOKEN}"},
            json={
                "practice": "X10001",
                "start": start.isoformat(),
                "end": (start + timedelta(hours=4)).isoformat(),
                "rate_pence": 32000,
                "urgent": True,
            },
            timeout=60,
        )
        answered = time.monotonic() - began
        answer.raise_for_status()
        sent = wait_for(
            lambda: (
                database.one("SELECT count(*) FROM messages WHERE kind = 'offer' AND status = 'sent'") >= gps
            ),
            seconds=300,
        )
        done = time.monotonic() - began
    if not sent:
        sys.exit(f"the broadcast did not finish in 300 s: see {folder}")
    by = database.rows("SELECT status, count(*) FROM messages WHERE kind = 'offer' GROUP BY status")
    return {"answered": answered, "done": done, "offers": dict(by)}


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def counts(text: str) -> list[int]:
    return [int(n) for n in text.split(",") if n.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gps", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=25)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--replies", default="1,2", help="PostgreSQL worker counts for the replies runs")
    parser.add_argument("--broadcast", default="1,3", help="PostgreSQL worker counts for the broadcast runs")
    parser.add_argument("--broadcast-gps", type=int, default=1000)
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite runs")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    os.environ["POOL_ADMIN_TOKEN"] = TOKEN  # PostgreSQL needs it given (prepare opens the pool here)
    os.environ["POOL_QUIET_HOURS"] = "off"

    sqlite = [] if args.no_sqlite else [("sqlite", 1)]
    with tempfile.TemporaryDirectory() as tmp, postgres_cluster() as cluster_url:
        folder = Path(tmp)
        place = Place(folder, cluster_url)
        try:
            print(
                f"replies: wrk -t{args.threads} -c{args.connections} -d{args.seconds}s "
                f"on POST /sandbox/inbound, {args.gps} GPs x {args.sessions} urgent sessions"
            )
            for engine, count in sqlite + [("postgres", n) for n in counts(args.replies)]:
                database = place.fresh(engine, f"replies{count}")
                print(f"  {engine:8} x{count}: {replies_line(replies_run(database, count, args, folder))}")
            print(
                f"broadcast: {args.broadcast_gps} GPs on the sandbox, one urgent session (POST /api/sessions)"
            )
            for engine, count in sqlite + [("postgres", n) for n in counts(args.broadcast)]:
                database = place.fresh(engine, f"broadcast{count}")
                b = broadcast_run(database, count, args.broadcast_gps, folder)
                print(
                    f"  {engine:8} x{count}: posted in {b['answered'] * 1000:5.0f} ms, every offer sent in "
                    f"{b['done']:5.2f} s; offers {b['offers']}"
                )
        finally:
            place.drop_all()


def replies_line(r: dict[str, Any]) -> str:
    lat = r["latency"]
    return (
        f"{r['rate']:6.0f} replies/s  p50 {lat['P50']:5.1f}  p90 {lat['P90']:5.1f}  p99 {lat['P99']:6.1f}  "
        f"max {lat['MAX']:6.1f} ms; non-2xx {r['errors']}; stored {r['inbound']} of {r['completed']}; "
        f"filled {r['filled']}, booked twice {r['double']}; rollbacks {r['rollbacks']}"
    )


if __name__ == "__main__":
    main()
