"""Real `python main.py serve` workers on one PostgreSQL database, and what their tests share.

Each worker is its own process on its own port, with its output in a file of the test's
folder (read back when something fails). Nothing here sleeps for a fixed time: ``until`` polls
a condition to a deadline, and every started process is killed by ``Workers.__exit__``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx

from bot.clock import LONDON
from bot.commands import ImportCsv
from config import load_settings
from main import open_pool

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "workers-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PRACTICE = "X10001"

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def until(condition: Callable[[], T], seconds: float, what: str, every: float = 0.1) -> T:
    """Poll ``condition`` until it returns something true, for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:g} s: {what} (last: {value!r})")
        time.sleep(every)


def phone(i: int) -> str:
    """Distinct valid UK mobiles (07400 000000 upwards), as bench/common.py's."""
    return f"+4474{i:08d}"


def base_env(database: str, **settings: str) -> dict[str, str]:
    """The environment of a worker: the test process's, without any pool or provider setting
    it may carry, on ``database``."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("POOL_", "TWILIO_", "SLACK_", "TELEGRAM_"))
    }
    env.update(
        POOL_DATABASE=database,
        POOL_ADMIN_TOKEN=TOKEN,
        # Real clock at any hour: quiet hours would hold routine offers back at night.
        POOL_QUIET_HOURS="off",
        POOL_CLAIM_LEASE_SECONDS="5",
        POOL_POLL_SECONDS="0.5",
    )
    env.update(settings)
    return env


class Worker:
    """One `serve` process."""

    def __init__(self, name: str, env: dict[str, str], folder: Path) -> None:
        self.name = name
        self.port = free_port()
        self.log = folder / f"{name}.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "main.py", "serve", "--port", str(self.port)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
            )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n{self.output()}")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, as when the machine or the OOM killer takes it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM (a clean stop), then SIGKILL if it has not gone within 15 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class Workers:
    """``with Workers(folder) as workers: workers.start(env, env, env)``: every process it
    started is stopped when the block ends, whatever happened."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.all: list[Worker] = []

    def start(self, *envs: dict[str, str]) -> list[Worker]:
        """Start one worker per environment at once; return when all of them answer."""
        return self.wait(self.spawn(*envs))

    def spawn(self, *envs: dict[str, str]) -> list[Worker]:
        """Start one worker per environment at once, and return at once."""
        started = [Worker(f"worker{len(self.all) + n + 1}", env, self.folder) for n, env in enumerate(envs)]
        self.all.extend(started)
        return started

    @staticmethod
    def wait(started: list[Worker], seconds: float = 90) -> list[Worker]:
        """Return once every one of ``started`` answers ``GET /healthz``."""
        until(lambda: all(w.ready() for w in started), seconds, "every worker answers /healthz", every=0.2)
        return started

    def stop(self) -> None:
        for worker in self.all:
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)
        for worker in self.all:
            worker.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {w.name} ---\n{w.output()}" for w in self.all)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- the database, from the test process ---------------------------------------------------------


def sql(database: str, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    """One statement on its own connection (autocommit), its rows."""
    import psycopg

    with psycopg.connect(database, autocommit=True) as conn:
        cursor = conn.execute(statement, params or None)
        return cursor.fetchall() if cursor.description else []


def scalar(database: str, statement: str, *params: Any) -> Any:
    return sql(database, statement, *params)[0][0]


def csv_lines(header: str, rows: Iterable[str]) -> str:
    return "\n".join([header, *rows]) + "\n"


async def seed(database: str, gps: int, channel: str) -> list[str]:
    """A practice and ``gps`` GPs reached on ``channel``, through the CSV imports (DESIGN.md's
    columns: what `main.py import` runs), every check a GP needs valid. Their phones.

    The checks are written in one statement: importing 8,000 of them as CSV makes three queries
    a row, 11 s on PostgreSQL here, and eligibility is not what these tests are about."""
    settings = load_settings({**base_env(database), "POOL_SANDBOX": "on"})
    pool = await open_pool(settings)
    phones = [phone(i) for i in range(gps)]
    try:
        checks = [check.split("|")[0] for check in pool.policy.professions["gp"].checks]  # all a GP needs
        files = {
            "practices": csv_lines(
                "ods_code,name,pcn,locality,address,clinical_system,info_pack",
                [f"{PRACTICE},Riverside Surgery,North PCN,Northside,1 Quay St,EMIS Web,Park in bay 4."],
            ),
            "members": csv_lines(
                "name,phone,roles,preferred_channel",
                (f"Dr Worker {i},{p},gp,{channel}" for i, p in enumerate(phones)),
            ),
        }
        for kind, text in files.items():
            await pool.engine.execute(ImportCsv(kind, text), actor="test")
    finally:
        await pool.close()
    sql(
        database,
        "INSERT INTO checks (member_id, kind, expires) "
        "SELECT m.id, k.kind, NULL FROM members AS m CROSS JOIN unnest(%s::text[]) AS k(kind)",
        checks,
    )
    return phones


def tomorrow_at(hour: int, minute: int = 0, days: int = 1) -> datetime:
    day = (datetime.now(LONDON) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def post_session(worker: Worker, start: datetime, hours: float = 4, urgent: bool = True) -> dict[str, Any]:
    """``POST /api/sessions`` (DESIGN.md's contract) on one worker; the answer's JSON."""
    answer = httpx.post(
        f"{worker.url}/api/sessions",
        headers=AUTH,
        json={
            "practice": PRACTICE,
            "start": start.isoformat(),
            "end": (start + timedelta(hours=hours)).isoformat(),
            "rate_pence": 32000,
            "urgent": urgent,
            "notes": "",
        },
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())
