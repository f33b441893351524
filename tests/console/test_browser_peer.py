"""Peer support in a real browser at phone width: each page passes axe-core's WCAG 2.1 A and
AA checks, a lead schedules a session by the form (an error first), approves a mentoring
proposal, and the pages are photographed for the README."""

from __future__ import annotations

from datetime import date, timedelta

from playwright.async_api import Page, expect

from bot.commands import AddMentor, CreateGroup, ScheduleGroupSessions
from tests.console.browsing import Site, accessible
from tests.harness import at


async def test_a_lead_sees_a_group_and_schedules_a_session_in_the_browser(site: Site, page: Page) -> None:
    pool = site.pool
    lead = await pool.member("Lee Ward", roles=("lead",))
    members = [site.gp, *[await pool.gp(f"Dr {name}") for name in ("Ben Okafor", "Cai Jones", "Dee Patel")]]
    engine = pool.pool.engine
    group = await engine.execute(
        CreateGroup("New GPs", "action_learning", tuple(m.phone for m in members), by=lead.id), actor="test"
    )
    start = at(pool.today + timedelta(days=6), 12, 30)
    await engine.execute(
        ScheduleGroupSessions("New GPs", start, start + timedelta(minutes=90), "Riverside Surgery",
                              capacity=2, by=lead.id),
        actor="test",
    )  # fmt: skip
    for member in members[:3]:
        await pool.send(member, "yes")
    await pool.send(members[3], "no")

    await site.sign_in(page, lead)
    await expect(page.get_by_role("heading", name="Peer support", level=1)).to_be_visible()
    await accessible(page)
    await site.shot(page, "peer")
    await page.get_by_role("link", name="New GPs").click()
    await expect(page.get_by_role("heading", name="New GPs")).to_be_visible()
    await expect(page.get_by_text("2: Dr Ada Lovelace, Dr Ben Okafor")).to_be_visible()
    await expect(page.get_by_text("1: Dr Cai Jones")).to_be_visible()  # the waitlist
    await accessible(page)

    day = (pool.today + timedelta(days=20)).isoformat()
    await page.get_by_label("Date (of the first, for a series)").fill(day)
    await page.get_by_label("Starts").fill("13:00")
    await page.get_by_label("Ends").fill("12:00")
    await page.get_by_label("Place", exact=True).fill("Hillside Practice")
    await page.get_by_label("How many sessions").fill("3")
    await page.get_by_label("Weeks apart, for a series").fill("4")
    await page.get_by_role("button", name="Schedule").click()
    await expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    await expect(page.get_by_role("link", name="The session must end after it starts.")).to_be_visible()
    await accessible(page)
    await page.get_by_label("Ends").fill("14:30")
    await page.get_by_role("button", name="Schedule").click()
    await expect(page.get_by_text("Scheduled: members are invited")).to_be_visible()
    assert len(await pool.pool.store.reader().groups.group_sessions(group.id)) == 4
    await accessible(page)
    await site.shot(page, "peer-group")


async def test_a_lead_approves_a_mentoring_proposal_in_the_browser(site: Site, page: Page) -> None:
    pool = site.pool
    lead = await pool.member("Lee Ward", roles=("lead",))
    mentor = await pool.gp("Dr Oz Other", gp_type="partner", practices=("X20002",))
    fellow = await pool.gp("Dr Fay Fellow", gp_type="fellow", practices=("X10001",))
    await pool.pool.engine.execute(
        AddMentor(mentor.phone, 2, interests=("teaching",), by=lead.id), actor="test"
    )
    await pool.send(fellow, "MENTOR teaching")

    await site.sign_in(page, lead)
    await page.get_by_role("link", name="Mentoring: proposals to approve").click()
    await expect(page.get_by_role("heading", name="Mentoring")).to_be_visible()
    await accessible(page)
    await page.get_by_role("button", name="Run a matching").click()
    await expect(page.get_by_text("Nobody has been told yet")).to_be_visible()
    await page.get_by_role("button", name="Approve the ones chosen").click()
    await expect(page.get_by_role("link", name="Choose the proposals to approve")).to_be_visible()
    await accessible(page)
    await page.get_by_label("Dr Fay Fellow with Dr Oz Other").check()
    await accessible(page)
    await site.shot(page, "peer-mentoring")
    await page.get_by_role("button", name="Approve the ones chosen").click()
    await expect(page.get_by_text("Approved: each mentee and mentor")).to_be_visible()
    assert (await pool.last(fellow)).kind == "mentor_introduction"
    assert (await pool.last(mentor)).kind == "mentor_introduction"


async def test_the_wellbeing_figures_and_a_mentors_home_pass_the_checks(site: Site, page: Page) -> None:
    pool = site.pool
    lead = await pool.member("Lee Ward", roles=("lead",))
    gps = await pool.gps(5)
    for gp in gps:
        await pool.send(gp, "CHECKIN MONTHLY MON 09:00")
    pool.clock.set(at(date(2026, 12, 7), 9))
    await pool.pool.settle()
    for gp, score in zip(gps, "34542", strict=True):
        await pool.send(gp, score)
    await site.sign_in(page, lead)
    await expect(page.get_by_role("cell", name="December 2026")).to_be_visible()
    await accessible(page)
    await page.get_by_role("button", name="Sign out").click()

    mentor = await pool.member("Dr Mo Mentor", roles=("gp", "mentor"))
    await site.sign_in(page, mentor)
    await expect(page.get_by_text("REMATCH", exact=False).first).to_be_visible()
    await accessible(page)
