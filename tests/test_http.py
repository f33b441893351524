"""End to end through the HTTP app: the JSON API, the sandbox, health and the OpenAPI document."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from main import build_app
from tests.harness import Harness, at

TOKEN = "test-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def client(pool: Harness) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(pool.pool, TOKEN)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pool.test") as http:
        yield http


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
    assert set(session) == {"id", "code", "status"} and session["status"] == "open"

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
        await pool.pool.store.reader().sessions_between(
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
