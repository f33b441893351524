"""End to end through the HTTP app: the JSON API, the sandbox, health and the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from tests.harness import AUTH, Harness, at


def session_body(pool: Harness, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "practice": "X10001",
        "start": at(pool.tomorrow, 8, 30).isoformat(),
        "end": at(pool.tomorrow, 12, 30).isoformat(),
        "rate_pence": 32321,
        "urgent": True,
        "notes": "Duty doctor",
    }
    return {**body, **overrides}


async def test_post_a_session_answer_by_sandbox_and_see_it_booked(
    pool: Harness, client: httpx.AsyncClient
) -> None:
    ada = await pool.gp("Dr Ada Lovelace", phone="07700 900501")
    await pool.gp("Dr Bo Chen", phone="07700 900502")

    created = await client.post("/api/sessions", json=session_body(pool), headers=AUTH)
    assert created.status_code == 201
    session = created.json()
    # DESIGN.md's three, and the addition: offers_from (null: the offers go now, by day).
    assert set(session) == {"id", "code", "status", "offers_from"} and session["status"] == "open"
    assert session["offers_from"] is None

    outbox = await client.get("/sandbox/outbox", params={"to": "07700 900501"}, headers=AUTH)
    assert outbox.status_code == 200
    [offer] = outbox.json()["messages"]
    assert "Riverside Surgery" in offer["text"] and "£323.21" in offer["text"]
    code = offer["choices"][0]["value"].split()[-1]
    assert f"Reply YES {code} or NO {code}." in offer["text"]

    said = await client.post(
        "/sandbox/inbound", json={"from": "07700 900501", "text": "Yes please"}, headers=AUTH
    )
    assert said.json() == {"status": "received"}

    seen = (await client.get(f"/api/sessions/{session['id']}", headers=AUTH)).json()
    assert seen["status"] == "filled"
    assert seen["booked"] == {"name": "Dr Ada Lovelace", "phone": "+447700900501"}
    answers = {o["name"]: (o["channel"], o["answer"]) for o in seen["offers"]}
    assert answers == {"Dr Ada Lovelace": ("sandbox", "accepted"), "Dr Bo Chen": ("sandbox", None)}

    after = offer["id"]
    replies = (
        await client.get("/sandbox/outbox", params={"to": ada.phone, "after": after}, headers=AUTH)
    ).json()
    assert [m["kind"] for m in replies["messages"]] == ["booked", "info_pack"]


async def test_the_api_and_the_sandbox_need_the_token(client: httpx.AsyncClient, pool: Harness) -> None:
    assert (await client.post("/api/sessions", json=session_body(pool))).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert (await client.get("/api/sessions/1", headers=wrong)).status_code == 401
    assert (
        await client.post("/sandbox/inbound", json={"from": "07700900501", "text": "yes"})
    ).status_code == 401
    assert (await client.get("/sandbox/outbox", params={"to": "07700900501"})).status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"practice": "NOPE1"}, "practice"),
        ({"rate_pence": -1}, "rate_pence"),
        ({"start": "tomorrow morning"}, "start"),
        ({"end": "2026-12-02T07:00:00+00:00"}, "end"),
        ({"start": "2026-11-01T09:00:00+00:00", "end": "2026-11-01T13:00:00+00:00"}, "start"),
    ],
)
async def test_bad_sessions_are_refused_with_the_field_and_change_nothing(
    client: httpx.AsyncClient, pool: Harness, change: dict, field: str
) -> None:
    response = await client.post("/api/sessions", json=session_body(pool, **change), headers=AUTH)
    assert response.status_code == 422
    assert field in {problem["field"] for problem in response.json()["detail"]}
    assert (
        await pool.pool.store.reader().sessions.sessions_between(
            at(pool.today, 0), at(pool.today, 0).replace(year=2030)
        )
        == []
    )


async def test_naive_times_are_london_times(client: httpx.AsyncClient, pool: Harness) -> None:
    summer = {"start": "2027-07-01T08:30:00", "end": "2027-07-01T12:30:00"}
    created = (await client.post("/api/sessions", json=session_body(pool, **summer), headers=AUTH)).json()
    seen = (await client.get(f"/api/sessions/{created['id']}", headers=AUTH)).json()
    assert seen["start"].startswith("2027-07-01T07:30:00")  # BST is UTC+1


async def test_unknown_session_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/sessions/999", headers=AUTH)).status_code == 404


async def test_sandbox_refuses_a_bad_number_and_deduplicates_by_id(
    client: httpx.AsyncClient, pool: Harness
) -> None:
    await pool.gp(phone="07700 900501")
    bad = await client.post("/sandbox/inbound", json={"from": "12", "text": "hi"}, headers=AUTH)
    assert bad.status_code == 400
    first = await client.post(
        "/sandbox/inbound", json={"from": "07700900501", "text": "HELP", "id": "m1"}, headers=AUTH
    )
    again = await client.post(
        "/sandbox/inbound", json={"from": "07700900501", "text": "HELP", "id": "m1"}, headers=AUTH
    )
    assert first.json()["status"] == "received" and again.json()["status"] == "duplicate"
    messages = (await client.get("/sandbox/outbox", params={"to": "07700900501"}, headers=AUTH)).json()[
        "messages"
    ]
    assert [m["kind"] for m in messages] == ["help"]


async def test_health_and_openapi(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    spec = (await client.get("/openapi.json")).json()
    assert {"/api/sessions", "/api/sessions/{session_id}", "/sandbox/inbound", "/sandbox/outbox"} <= set(
        spec["paths"]
    )
    assert spec["paths"]["/api/sessions"]["post"]["responses"]["201"]


async def test_the_coordinator_desk_over_the_api(pool: Harness, client: httpx.AsyncClient) -> None:
    gp = await pool.gp("Dr Desk", phone="07700 900601")
    await pool.gp("Dr Other", phone="07700 900602")
    await pool.member("Tom Reilly", phone="07700 900603", roles=("practice:X10001",))
    created = (await client.post("/api/sessions", json=session_body(pool, urgent=False), headers=AUTH)).json()
    sid = created["id"]

    listed = (await client.get("/api/sessions", headers=AUTH)).json()
    assert [s["code"] for s in listed] == [created["code"]] and listed[0]["booked"] is None

    booked = await client.post(f"/api/sessions/{sid}/book", json={"phone": "07700 900601"}, headers=AUTH)
    assert booked.status_code == 200 and booked.json()["booked"]["name"] == "Dr Desk"
    clash = await client.post(f"/api/sessions/{sid}/book", json={"phone": "07700 900602"}, headers=AUTH)
    assert clash.status_code == 422

    early = await client.post(f"/api/sessions/{sid}/delivered", json={"hours": 4}, headers=AUTH)
    assert early.status_code == 422 and "not ended" in early.json()["detail"][0]["problem"]
    pool.clock.advance(86400 + 3600 * 6)
    done = await client.post(f"/api/sessions/{sid}/delivered", json={"hours": 4}, headers=AUTH)
    assert done.json()["status"] == "delivered"

    report = (await client.get("/api/report", params={"year": 2026}, headers=AUTH)).json()
    assert report["sessions_delivered"] == 1 and report["hours_delivered"] == 4
    cost = await client.post(
        "/api/costs", json={"date": "2026-12-01", "amount_pence": 5000, "what": "Texts"}, headers=AUTH
    )
    assert cost.status_code == 201
    assert [m.kind for m in await pool.messages(gp)][-2:] == ["booked", "info_pack"]


async def test_the_inbox_and_availability_over_the_api(pool: Harness, client: httpx.AsyncClient) -> None:
    await pool.gp("Dr Asks", phone="07700 900611")
    await pool.send("07700 900611", "Is there parking?")
    await pool.send("07700 900611", "AVAILABLE 2026-12-03 pm")
    [item] = (await client.get("/api/inbox", headers=AUTH)).json()
    assert item["name"] == "Dr Asks" and item["text"] == "Is there parking?"
    answered = await client.post(
        f"/api/inbox/{item['id']}/answer", json={"text": "Yes, bay 4."}, headers=AUTH
    )
    assert answered.json() == {"status": "done"}
    assert (await client.get("/api/inbox", headers=AUTH)).json() == []
    done = await client.post(f"/api/inbox/{item['id']}/done", headers=AUTH)  # after answering it
    assert done.status_code == 200 and done.json() == {"status": "done"}
    [closed] = (await client.get("/api/inbox", params={"state": "done"}, headers=AUTH)).json()
    assert closed["id"] == item["id"], "still done once, nothing changed"
    unknown = await client.post(f"/api/inbox/{item['id'] + 1}/done", headers=AUTH)
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["field"] == "item"
    people = (
        await client.get("/api/availability", params={"date": "2026-12-03", "half": "pm"}, headers=AUTH)
    ).json()
    assert people == [{"name": "Dr Asks", "phone": "+447700900611", "profession": "gp"}]


async def test_acting_as_a_member_applies_their_role(pool: Harness, client: httpx.AsyncClient) -> None:
    await pool.gp("Dr Gee", phone="07700 900621")
    await pool.member("Tom Reilly", phone="07700 900622", roles=("practice:X10001",))
    await pool.practice("X20001", "Hillview")
    as_gp = {**AUTH, "X-Acting-As": "07700 900621"}
    as_tom = {**AUTH, "X-Acting-As": "07700 900622"}

    refused = await client.post("/api/sessions", json=session_body(pool), headers=as_gp)
    assert refused.status_code == 403 and refused.json()["detail"][0]["problem"].startswith("Sorry")
    assert (await client.get("/api/inbox", headers=as_gp)).status_code == 403
    assert (await client.get("/api/report", headers=as_tom)).status_code == 403
    other = await client.post("/api/sessions", json=session_body(pool, practice="X20001"), headers=as_tom)
    assert other.status_code == 403
    own = await client.post("/api/sessions", json=session_body(pool), headers=as_tom)
    assert own.status_code == 201
    block = await client.put(
        f"/api/practices/X10001/preferences/{'07700900621'}", json={"kind": "block"}, headers=as_tom
    )
    assert block.json() == {"status": "block"}
    nobody = {**AUTH, "X-Acting-As": "07700 900999"}
    assert (await client.get("/api/inbox", headers=nobody)).status_code == 403


async def test_a_session_is_seen_only_by_coordinators_and_its_practice(
    pool: Harness, client: httpx.AsyncClient
) -> None:
    await pool.gp("Dr Gee", phone="07700 900631")
    await pool.member("Hana Hill", phone="07700 900632", roles=("practice:X20001",))
    await pool.member("Tom Reilly", phone="07700 900633", roles=("practice:X10001",))
    sid = (await client.post("/api/sessions", json=session_body(pool), headers=AUTH)).json()["id"]
    for phone, status in (("07700 900631", 403), ("07700 900632", 403), ("07700 900633", 200)):
        seen = await client.get(f"/api/sessions/{sid}", headers={**AUTH, "X-Acting-As": phone})
        assert seen.status_code == status, phone


async def test_a_practice_manager_lists_their_own_practices_sessions(
    pool: Harness, client: httpx.AsyncClient
) -> None:
    await pool.practice("X20001", "Hillview")
    await pool.gp("Dr Gee", phone="07700 900641")
    await pool.member("Tom Reilly", phone="07700 900642", roles=("practice:X10001",))
    own = (await client.post("/api/sessions", json=session_body(pool), headers=AUTH)).json()
    other = (
        await client.post("/api/sessions", json=session_body(pool, practice="X20001"), headers=AUTH)
    ).json()
    as_tom = {**AUTH, "X-Acting-As": "07700 900642"}
    listed = await client.get("/api/sessions", headers=as_tom)
    assert listed.status_code == 200 and [s["id"] for s in listed.json()] == [own["id"]]
    assert {s["id"] for s in (await client.get("/api/sessions", headers=AUTH)).json()} == {
        own["id"],
        other["id"],
    }
    as_gp = {**AUTH, "X-Acting-As": "07700 900641"}
    assert (await client.get("/api/sessions", headers=as_gp)).status_code == 403


async def test_repeat_weeks_posts_the_same_session_weeks_running(
    pool: Harness, client: httpx.AsyncClient
) -> None:
    created = await client.post("/api/sessions", json=session_body(pool, repeat_weeks=3), headers=AUTH)
    assert created.status_code == 201
    listed = (await client.get("/api/sessions", params={"days": 30}, headers=AUTH)).json()
    starts = [s["start"][:10] for s in listed]
    assert starts == [(pool.tomorrow + timedelta(weeks=n)).isoformat() for n in range(3)]
    assert listed[0]["id"] == created.json()["id"]
    too_many = await client.post("/api/sessions", json=session_body(pool, repeat_weeks=53), headers=AUTH)
    assert too_many.status_code == 422 and too_many.json()["detail"][0]["field"] == "repeat_weeks"


PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer<<>>\n%%EOF\n"


async def test_a_check_is_recorded_with_its_verifier_and_evidence(
    pool: Harness, client: httpx.AsyncClient
) -> None:
    import base64

    gp = await pool.gp("Dr Gee", phone="07700 900651")
    await pool.coordinator("Priya Shah")
    as_priya = {**AUTH, "X-Acting-As": "07700 900001"}
    body = {
        "phone": gp.phone,
        "check": "dbs",
        "expires": "2029-11-30",
        "document": base64.b64encode(PDF).decode(),
    }
    recorded = await client.post("/api/checks", json=body, headers=as_priya)
    assert recorded.status_code == 201, recorded.text
    seen = recorded.json()
    assert (seen["check"], seen["expires"], seen["verified_by"], seen["source"]) == (
        "dbs",
        "2029-11-30",
        "Priya Shah",
        "api",
    )
    assert seen["verified_on"] == pool.today.isoformat() and seen["document_type"] == "application/pdf"

    download = await client.get(f"/api/documents/{seen['document_id']}", headers=as_priya)
    assert download.content == PDF and download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    history = (await client.get(f"/api/members/{gp.phone}/checks", headers=as_priya)).json()
    assert history[0]["id"] == seen["id"]

    manager = {**AUTH, "X-Acting-As": (await pool.member("Tom", roles=("practice:X10001",))).phone}
    assert (await client.get(f"/api/documents/{seen['document_id']}", headers=manager)).status_code == 403


async def test_evidence_that_is_not_a_pdf_jpeg_or_png_is_refused_whatever_it_is_called(
    pool: Harness, client: httpx.AsyncClient
) -> None:
    import base64

    gp = await pool.gp("Dr Gee", phone="07700 900652")
    script = base64.b64encode(b"<script>alert(1)</script>").decode()
    refused = await client.post(
        "/api/checks",
        json={"phone": gp.phone, "check": "dbs", "expires": None, "document": script},
        headers=AUTH,
    )
    assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "document"
    big = base64.b64encode(PDF + b"0" * (5 * 1024 * 1024)).decode()
    too_big = await client.post(
        "/api/checks",
        json={"phone": gp.phone, "check": "dbs", "expires": None, "document": big},
        headers=AUTH,
    )
    assert too_big.status_code == 422 and "at most 5 MB" in too_big.json()["detail"][0]["problem"]
    history = (await client.get(f"/api/members/{gp.phone}/checks", headers=AUTH)).json()
    assert all(r["source"] != "api" for r in history)  # nothing recorded
