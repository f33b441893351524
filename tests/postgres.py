"""A real PostgreSQL for the tests: the cluster, a migrated template, a fresh database a test.

The cluster is the one .ci/run started (``POOL_TEST_POSTGRES``), else a throwaway one started
here in a temporary folder on a free port (as root, initdb refuses to run: it runs as the
system user ``pooltest``). Where PostgreSQL is not installed the PostgreSQL tests are skipped
with a clear message, except under CI (env ``CI`` set), where that is a failure.

Each test gets its own database, cloned from ``pool_template`` (migrated once), ~25 ms, and
dropped after. ``POOL_TEST_ENGINE=postgres`` runs every ``Harness`` (the ``pool`` fixture) on
such a database, so the whole suite can run on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ENGINE = os.environ.get("POOL_TEST_ENGINE", "sqlite")
TEMPLATE = "pool_template"
MISSING = "PostgreSQL is not installed here (apt-get install postgresql); the PostgreSQL tests are skipped"


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _version(folder: str) -> tuple[int, ...]:
    return tuple(int(p) for p in Path(folder).parent.name.split(".") if p.isdigit())


class Cluster:
    """A throwaway PostgreSQL cluster (initdb, pg_ctl start; stop and remove)."""

    def __init__(self) -> None:
        bins = sorted(
            glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda b: _version(os.path.dirname(b))
        )
        if not bins:
            raise FileNotFoundError(MISSING)
        self.bin = os.path.dirname(bins[-1])
        self.folder = tempfile.mkdtemp(prefix="poolpg.")
        self.user: list[str] = []
        if os.geteuid() == 0:
            if subprocess.run(["id", "pooltest"], capture_output=True).returncode != 0:
                subprocess.run(
                    ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "pooltest"],
                    check=True, capture_output=True,
                )  # fmt: skip
            shutil.chown(self.folder, "pooltest")
            self.user = ["runuser", "-u", "pooltest", "--"]
        os.chmod(self.folder, 0o700)
        self.port = _free_port()
        self.seconds = 0.0

    def start(self) -> str:
        began = time.monotonic()
        data = f"{self.folder}/data"
        self._run(
            "initdb",
            "-D",
            data,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        self._run(
            "pg_ctl", "-D", data, "-l", f"{self.folder}/server.log", "-w", "-t", "30", "-o", options, "start"
        )
        self.seconds = time.monotonic() - began
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        subprocess.run(
            [*self.user, f"{self.bin}/pg_ctl", "-D", f"{self.folder}/data", "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run([*self.user, f"{self.bin}/{program}", *args], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed: {done.stderr.strip() or done.stdout.strip()}")


def admin(url: str, *statements: str) -> None:
    """Run statements outside a transaction (CREATE/DROP DATABASE) on the cluster."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


async def _migrate(url: str) -> None:
    from storage.postgres.store import PostgresStore

    store = await PostgresStore.open(url, min_size=1, max_size=1)
    await store.close()  # the template must have no connections left, or it cannot be cloned


class Databases:
    """Fresh databases cloned from the migrated template, dropped when done."""

    def __init__(self, cluster_url: str) -> None:
        self.cluster_url = cluster_url
        admin(cluster_url, f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)", f"CREATE DATABASE {TEMPLATE}")
        # In a thread of its own: the fixture may first be asked for inside a running loop.
        with ThreadPoolExecutor(1) as thread:
            thread.submit(asyncio.run, _migrate(with_database(cluster_url, TEMPLATE))).result()
        self.made: list[str] = []
        self.folders: dict[Path, str] = {}

    def fresh(self, blank: bool = False) -> str:
        """A new database's URL: migrated (a clone of the template), or ``blank``."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        template = "template0" if blank else TEMPLATE
        admin(self.cluster_url, f"CREATE DATABASE {name} TEMPLATE {template}")
        self.made.append(name)
        return with_database(self.cluster_url, name)

    def for_folder(self, folder: Path) -> str:
        """The fresh database standing for a test folder's SQLite file (made on first use)."""
        if folder not in self.folders:
            self.folders[folder] = self.fresh()
        return self.folders[folder]

    def drop_all(self) -> None:
        names, self.made = self.made, []
        self.folders.clear()
        if names:
            admin(self.cluster_url, *(f"DROP DATABASE IF EXISTS {n} WITH (FORCE)" for n in names))


_databases: Databases | None = None


def current() -> Databases:
    """The session's databases (the ``postgres_databases`` fixture must have run)."""
    if _databases is None:
        raise RuntimeError("no PostgreSQL cluster: use the postgres_databases fixture")
    return _databases


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[Databases]:
    global _databases
    cluster: Cluster | None = None
    url = os.environ.get("POOL_TEST_POSTGRES")
    if not url:
        try:
            cluster = Cluster()
        except FileNotFoundError:
            if os.environ.get("CI"):
                pytest.fail(f"{MISSING} — but under CI the PostgreSQL tests must run", pytrace=False)
            pytest.skip(MISSING)
        url = cluster.start()
    try:
        _databases = Databases(url)
        yield _databases
    finally:
        if _databases is not None:
            _databases.drop_all()
            _databases = None
        if cluster is not None:
            cluster.stop()


@pytest.fixture
def postgres_url(postgres_databases: Databases) -> Iterator[str]:
    """A fresh, migrated database of its own for this test."""
    try:
        yield postgres_databases.fresh()
    finally:
        postgres_databases.drop_all()
