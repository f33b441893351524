from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from main import build_app
from storage import SqliteStore
from tests import postgres
from tests.harness import ADMIN_TOKEN, Harness
from tests.postgres import postgres_databases, postgres_url  # noqa: F401  (fixtures)


@pytest.fixture(autouse=postgres.ENGINE == "postgres")
def postgres_engine(request: pytest.FixtureRequest) -> Iterator[None]:
    """With POOL_TEST_ENGINE=postgres every Harness runs on a fresh PostgreSQL database
    (tests/harness.py's database_for), dropped after the test."""
    databases: postgres.Databases = request.getfixturevalue("postgres_databases")
    try:
        yield
    finally:
        databases.drop_all()


@pytest.fixture
async def pool(tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await Harness.open(tmp_path)
    await harness.practice()
    try:
        yield harness
    finally:
        await harness.close()


@pytest.fixture
async def client(pool: Harness) -> AsyncIterator[httpx.AsyncClient]:
    """The HTTP app on the test pool, called in process (the admin token is ADMIN_TOKEN)."""
    app = build_app(pool.pool, ADMIN_TOKEN)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pool.test") as http:
        yield http


@pytest.fixture(params=["sqlite", "postgres"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """A freshly migrated store on each engine, for the store's contract tests."""
    if request.param == "sqlite":
        store: Any = await SqliteStore.open(tmp_path / "pool.db")
    else:
        from storage.postgres import PostgresStore

        store = await PostgresStore.open(request.getfixturevalue("postgres_url"))
    try:
        yield store
    finally:
        await store.close()
