from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from main import build_app
from tests.harness import ADMIN_TOKEN, Harness


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
