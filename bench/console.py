"""The console's page times with a realistic pool: 2,000 GPs, 20 practices in 4 PCNs and 500
sessions over the next fortnight (a third of them booked, some declined), and an inbox; for
peer support, 12 groups (one of 60 members with a weekly series of 8 sessions, answered by
most), 30 mentors and 40 mentees waiting, with a matching run's proposals; and last month's
300 delivered sessions with their hours and pay (two thirds signed off, some queried) for
Hours and pay and the timesheets.
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
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from common import phone, pool_with_gps, session_start

from bot.clock import LONDON
from bot.commands import (
    AddMentor,
    BookByHand,
    CreateGroup,
    PostSession,
    ProposeMatches,
    RaiseInvoices,
    ScheduleGroupSessions,
    StartAdminSession,
)
from bot.domain import Inbound, Member, Practice, SessionStatus
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


async def seed_pay(pool, count: int) -> str:  # type: ignore[no-untyped-def]
    """Last month: ``count`` sessions delivered, their hours reported, two thirds signed off,
    a tenth queried, each with mileage; the GPs of every fifth employed (60, for timesheets). The
    month's key (YYYY-MM) for the pages."""
    now = pool.clock.now()
    first = (now.astimezone(LONDON).date().replace(day=1) - timedelta(days=1)).replace(day=1)
    async with pool.store.unit_of_work() as uow:
        for i in range(count):
            day = first + timedelta(days=i % 28)
            start = datetime(day.year, day.month, day.day, 8 + (i % 3) * 4, 30, tzinfo=LONDON)
            session = await uow.sessions.add_session(
                code=f"P{i:05d}", practice=f"X{10000 + 2 + i % 19}", starts_at=start,
                ends_at=start + timedelta(hours=4), rate_pence=32000, urgent=False, notes="",
                posted_by=None, posted_via="bench", now=now,
            )  # fmt: skip
            gp = await uow.members.member_by_phone(phone(i % 2000))
            assert gp is not None
            if i % 5 == 0:
                await uow.members.update_member(gp.id, engagement="employed")
            await uow.sessions.set_session_status(
                session.id, SessionStatus.FILLED, expect=SessionStatus.OPEN, now=now
            )
            await uow.bookings.add_booking(
                session_id=session.id, member_id=gp.id, offer_id=None, code="1000", via="bench", now=now
            )
            await uow.sessions.record_delivery(session.id, 4, now)
            await uow.pay.add_signoff(session.id, gp.id, session.practice, 4, "gp", now)
            if i % 3:
                await uow.pay.sign_off(session.id, pay_pence=32000, pay_rule="session", by=None, now=now)
            elif i % 10 == 0:
                await uow.pay.query_signoff(session.id, "left early", None, now)
            await uow.pay.add_expense(
                session_id=session.id, member_id=gp.id, kind="mileage", amount_pence=540, note="",
                miles=12, by=gp.id, now=now,
            )  # fmt: skip
    return f"{first:%Y-%m}"


async def seed_peer(pool) -> tuple[int, Member]:  # type: ignore[no-untyped-def]
    """Peer groups, RSVPs and mentoring; the big group's id and its lead."""
    now = pool.clock.now()
    async with pool.store.unit_of_work() as uow:
        lead = await uow.members.add_member(
            Member(id=0, name="Lee Lead", phone=phone(900_001), roles=frozenset({"lead"})), now
        )
    engine = pool.engine
    big = await engine.execute(
        CreateGroup("Bench network", "networking", tuple(phone(i) for i in range(60)), by=lead.id), "bench"
    )
    for n in range(11):
        members = tuple(phone(100 + n * 10 + i) for i in range(8))
        await engine.execute(CreateGroup(f"Set {n}", "action_learning", members, by=lead.id), "bench")
    start = session_start(3, afternoon=True)
    sessions = await engine.execute(
        ScheduleGroupSessions(str(big.id), start, start + timedelta(hours=2), "Riverside Surgery",
                              capacity=40, every_weeks=1, times=8, by=lead.id),
        "bench",
    )  # fmt: skip
    async with pool.store.unit_of_work() as uow:
        member_ids = await uow.groups.group_member_ids(big.id)
        for session in sessions:
            for k, member_id in enumerate(member_ids[:50]):
                answer = "not_going" if k % 5 == 0 else "going"
                await uow.groups.set_rsvp(session.id, member_id, answer, now)
    for i in range(30):
        await engine.execute(AddMentor(phone(1000 + i), 2, interests=("teaching",), by=lead.id), "bench")
    for i in range(40):
        await pool.engine.receive(Inbound("sandbox", phone(1100 + i), "MENTOR teaching", f"mentor-{i}", now))
    await engine.execute(ProposeMatches(by=lead.id), "bench")
    return big.id, lead


async def main(members: int, sessions: int, repeats: int, pay_sessions: int = 300) -> None:
    with tempfile.TemporaryDirectory() as folder:
        pool = await pool_with_gps(Path(folder) / "pool.db", members)
        try:
            began = time.perf_counter()
            ids, manager = await seed(pool, sessions)
            group, lead = await seed_peer(pool)
            paid = await seed_pay(pool, pay_sessions)
            raised = await pool.engine.execute(RaiseInvoices(), actor="bench")  # last month's, as on the 1st
            print(f"seeded {members:,} GPs and {sessions} sessions in {time.perf_counter() - began:.0f} s")
            admin = await pool.engine.execute(StartAdminSession("bench", token_ok=True), actor="bench")
            managing = await pool.engine.run("bench", lambda turn: signin._start(turn, manager))
            leading = await pool.engine.run("bench", lambda turn: signin._start(turn, lead))
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
                ("peer support (lead, 12 groups)", "/console/peer", leading),
                ("a group: 60 members, 8 sessions", f"/console/peer/groups/{group}", leading),
                ("mentoring proposals", "/console/peer/mentoring", leading),
                ("people (all 2,000 and more)", "/console/people", admin),
                ("people with a check missing", "/console/people?checks=missing", admin),
                ("a member's page", f"/console/people/{manager.id - 1}", admin),
                ("imports", "/console/imports", admin),
                (f"hours and pay ({pay_sessions} sessions)", f"/console/pay?month={paid}", admin),
                ("hours and pay (practice manager)", f"/console/pay?month={paid}", managing),
                ("timesheets (60 employed)", f"/console/pay/timesheets?month={paid}", admin),
                ("timesheets CSV", f"/console/pay/timesheets.csv?month={paid}", admin),
                (f"invoices ({len(raised)})", "/console/invoices", admin),
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
