"""The console's page times with a realistic pool: 2,000 GPs, 20 practices in 4 PCNs and 500
sessions over the next fortnight (a third of them booked, some declined), and an inbox.
Each page is asked for many times in process (httpx's ASGI transport, no network): the time
is the server's, from request to the last byte of the page. The target is 200 ms.

    .venv/bin/python bench/console.py
    .venv/bin/python bench/console.py --members 2000 --sessions 500 --repeats 30
"""

from __future__ import annotations

import argparse
import asyncio
import html
import re
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx
from common import phone, pool_with_gps, session_start

from bot.commands import BookByHand, PostSession, StartAdminSession
from bot.domain import Inbound, Member, Practice
from flows.people import signin
from main import build_app

TOKEN = "bench-token"


async def seed(pool, sessions: int) -> tuple[list[int], Member]:  # type: ignore[no-untyped-def]
    now = pool.clock.now()
    async with pool.store.unit_of_work() as uow:
        for n in range(2, 21):
            await uow.practices.add_practice(
                Practice(f"X{10000 + n}", f"Practice {n}", pcn=f"PCN {n % 4}", locality="Northside")
            )
        manager = await uow.members.add_member(
            Member(id=0, name="Sam Manager", phone=phone(900_000), roles=frozenset({"practice:X10001"})), now
        )
    ids = []
    for i in range(sessions):
        start = session_start(1 + i % 13, afternoon=bool(i % 2)) + timedelta(minutes=i % 7)
        practice = "X10001" if i % 20 == 0 else f"X{10000 + 2 + i % 19}"
        session = await pool.engine.execute(
            PostSession(practice, start, start + timedelta(hours=4), 32000, urgent=i % 10 == 0), actor="bench"
        )
        ids.append(session.id)
        if i % 3 == 0:
            await pool.engine.execute(
                BookByHand(session.code, phone(i % 2000), None, phone_only=True), actor="bench"
            )
    for i in range(40):  # messages nobody understood, for the inbox
        await pool.engine.receive(Inbound("sandbox", phone(500_000 + i), "Who is this?", f"bench-{i}", now))
    return ids, manager


async def main(members: int, sessions: int, repeats: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        pool = await pool_with_gps(Path(folder) / "pool.db", members)
        try:
            began = time.perf_counter()
            ids, manager = await seed(pool, sessions)
            print(f"seeded {members:,} GPs and {sessions} sessions in {time.perf_counter() - began:.0f} s")
            admin = await pool.engine.execute(StartAdminSession("bench", token_ok=True), actor="bench")
            managing = await pool.engine.run("bench", lambda turn: signin._start(turn, manager))
            app = build_app(pool, TOKEN)
            transport = httpx.ASGITransport(app=app)
            pages = [
                ("sign-in page", "/console/", None),
                ("fill board (coordinator)", "/console/board", admin),
                ("board rows, the 2 s poll", "/console/board/rows", admin),
                ("board filtered by PCN", "/console/board?pcn=PCN+1", admin),
                ("fill board (practice manager)", "/console/board", managing),
                ("a session's page", f"/console/sessions/{ids[len(ids) // 2]}", admin),
                ("post a session form", "/console/sessions/new", admin),
                ("inbox (40 items)", "/console/inbox", admin),
                ("unreachable", "/console/unreachable", admin),
                ("figures (the year's report)", "/console/report", admin),
                ("the NHS return (CSV)", "/console/report.csv", admin),
            ]
            async with httpx.AsyncClient(
                transport=transport, base_url="http://bench", cookies={"pool_console": admin.token}
            ) as http:
                board = (await http.get("/console/board")).text
            poll = re.search(r'hx-get="([^"]+)"', board)
            assert poll
            pages.insert(3, ("board poll, nothing changed (204)", html.unescape(poll.group(1)), admin))
            print(f"{'page':34} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'KB':>6}")
            for name, path, who in pages:
                cookies = {"pool_console": who.token} if who else {}
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://bench", cookies=cookies
                ) as http:
                    times, size = [], 0
                    for _ in range(repeats):
                        start = time.perf_counter()
                        response = await http.get(path)
                        times.append((time.perf_counter() - start) * 1000)
                        assert response.status_code in (200, 204), (path, response.status_code)
                        size = len(response.content)
                times.sort()
                p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
                median = statistics.median(times)
                print(f"{name:34} {median:10.1f} {p95:8.1f} {times[-1]:8.1f} {size / 1024:6.0f}")
        finally:
            await pool.store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=30)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.members, arguments.sessions, arguments.repeats))
