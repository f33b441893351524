"""The peer-support JSON API and the calendar file, through the HTTP app."""

from __future__ import annotations

from datetime import timedelta

import httpx
from icalendar import Calendar

from bot.commands import AddMentor
from tests.harness import AUTH, Harness, at


async def test_a_lead_creates_a_group_schedules_and_reads_the_rsvps(
    pool: Harness, client: httpx.AsyncClient
) -> None:
    lead = await pool.member("Lee Lead", roles=("lead",))
    ana, ben = await pool.gp("Dr Ana"), await pool.gp("Dr Ben")
    as_lead = {**AUTH, "X-Acting-As": lead.phone}
    created = await client.post(
        "/api/groups",
        json={"name": "New GPs", "kind": "action_learning", "members": [ana.phone]},
        headers=as_lead,
    )
    assert created.status_code == 201 and created.json()["closed"] is True
    group_id = created.json()["id"]
    assert (
        await client.post(f"/api/groups/{group_id}/members", json={"members": [ben.phone]}, headers=as_lead)
    ).json() == {"added": 1}
    start = at(pool.today + timedelta(days=6), 12, 30)
    scheduled = await client.post(
        f"/api/groups/{group_id}/sessions",
        json={"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat(),
              "link": "https://meet.example.org/x", "capacity": 1, "every_weeks": 4, "times": 2},
        headers=as_lead,
    )  # fmt: skip
    assert scheduled.status_code == 201 and len(scheduled.json()) == 2
    await pool.send(ana, "yes")
    await pool.send(ben, "yes")
    view = (await client.get(f"/api/groups/{group_id}", headers=as_lead)).json()
    assert view["members"] == ["Dr Ana", "Dr Ben"]
    first = view["sessions"][0]
    assert (first["going"], first["waitlist"], first["no_answer"]) == (["Dr Ana"], ["Dr Ben"], 0)

    calendar = await client.get(first["calendar"].removeprefix(pool.pool.policy.public_url))
    assert calendar.status_code == 200 and calendar.headers["content-type"].startswith("text/calendar")
    [event] = Calendar.from_ical(calendar.content).walk("VEVENT")
    assert event.decoded("dtstart") == start and str(event["url"]) == "https://meet.example.org/x"
    assert (await client.get("/calendar/nope.ics")).status_code == 404

    cancelled = await client.post(f"/api/group-sessions/{first['id']}/cancel", headers=as_lead)
    assert cancelled.status_code == 200
    assert (await pool.last(ana)).kind == "peer_cancelled"


async def test_a_gp_is_refused_and_bad_input_is_422(pool: Harness, client: httpx.AsyncClient) -> None:
    gp = await pool.gp("Dr Ana")
    as_gp = {**AUTH, "X-Acting-As": gp.phone}
    refused = await client.post("/api/groups", json={"name": "Mine", "kind": "networking"}, headers=as_gp)
    assert refused.status_code == 403
    bad = await client.post("/api/groups", json={"name": "Mine", "kind": "book club"}, headers=AUTH)
    assert bad.status_code == 422 and "kind" in bad.text
    assert (await client.get("/api/groups/99", headers=AUTH)).status_code == 404
    assert (await client.post("/api/groups", json={"name": "x", "kind": "networking"})).status_code == 401


async def test_mentoring_match_and_approve_over_the_api(pool: Harness, client: httpx.AsyncClient) -> None:
    mentor = await pool.gp("Dr Mo", gp_type="partner")
    mentee = await pool.gp("Dr Fay", gp_type="fellow")
    await pool.pool.engine.execute(AddMentor(mentor.phone, 1, interests=("teaching",)), actor="test")
    await pool.send(mentee, "MENTOR teaching")
    [proposal] = (await client.post("/api/mentoring/match", headers=AUTH)).json()
    assert (proposal["mentee"], proposal["mentor"]) == ("Dr Fay", "Dr Mo") and "teaching" in proposal["why"]
    assert (await pool.last(mentee)).kind == "mentor_requested", "nobody told before approval"
    approved = await client.post(
        "/api/mentoring/approve", json={"numbers": [proposal["number"]]}, headers=AUTH
    )
    assert approved.json() == {"approved": 1}
    assert (await pool.last(mentee)).kind == "mentor_introduction"
    assert (
        await client.post("/api/mentoring/approve", json={"numbers": [999]}, headers=AUTH)
    ).status_code == 422
