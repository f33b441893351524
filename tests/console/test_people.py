"""People and their checks in the console: every gap shown, a member's page, a check
recorded with its evidence (seen by coordinators only), and the CSV imports by upload."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import httpx

from bot.domain import CHECK_KINDS
from tests.console.conftest import sign_in
from tests.harness import AUTH, Harness

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def row_of(page: str, member_id: int) -> str:
    found = re.search(
        rf'<tr class="nhsuk-table__row" role="row" id="member-{member_id}"[^>]*>(.*?)</tr>', page, re.S
    )
    assert found, f"member {member_id} is listed"
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))))


async def test_every_gap_in_the_pools_checks_is_shown(pool: Harness, browser: httpx.AsyncClient) -> None:
    priya = await pool.coordinator()
    complete = await pool.gp("Dr Complete")
    missing = await pool.gp("Dr Missing", checks={k: None for k in CHECK_KINDS if k != "dbs"})
    soon = pool.today + timedelta(days=10)
    expiring = await pool.gp("Dr Expiring", checks={**dict.fromkeys(CHECK_KINDS), "indemnity": soon})
    lapsed = await pool.gp("Dr Lapsed", checks={**dict.fromkeys(CHECK_KINDS), "gmc": pool.today})
    await sign_in(browser, pool, priya)
    page = (await browser.get("/console/people")).text
    assert "Valid" in row_of(page, complete.id)
    assert "Missing DBS check" in row_of(page, missing.id)
    assert "Expiring Indemnity" in row_of(page, expiring.id) or "Expiring indemnity" in row_of(
        page, expiring.id
    )
    assert "Lapsed GMC registration" in row_of(page, lapsed.id)
    only_missing = (await browser.get("/console/people", params={"checks": "missing"})).text
    assert f'id="member-{missing.id}"' in only_missing and f'id="member-{complete.id}"' not in only_missing
    all_valid = (await browser.get("/console/people", params={"checks": "valid"})).text
    assert f'id="member-{complete.id}"' in all_valid and f'id="member-{lapsed.id}"' not in all_valid


async def test_filters_by_profession_type_and_reach(pool: Harness, browser: httpx.AsyncClient) -> None:
    priya = await pool.coordinator()
    locum = await pool.gp("Dr Locum", gp_type="locum")
    nurse = await pool.member("Nia Nurse", profession="practice_nurse")
    gone = await pool.gp("Dr Gone")
    await pool.send(gone, "STOP")
    await sign_in(browser, pool, priya)
    page = (await browser.get("/console/people", params={"profession": "practice_nurse"})).text
    assert f'id="member-{nurse.id}"' in page and f'id="member-{locum.id}"' not in page
    page = (await browser.get("/console/people", params={"gp_type": "locum"})).text
    assert f'id="member-{locum.id}"' in page and f'id="member-{gone.id}"' not in page
    page = (await browser.get("/console/people", params={"channel": "none"})).text
    assert f'id="member-{gone.id}"' in page and f'id="member-{locum.id}"' not in page
    assert "Nothing: unreachable" in row_of(page, gone.id)


async def test_a_members_page_shows_bookings_opt_outs_and_history(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    priya = await pool.coordinator()
    ada = await pool.gp("Dr Ada Lovelace")
    session = await pool.post()
    await pool.send(ada, f"YES {await pool.offer_code(ada, session)}")
    await sign_in(browser, pool, priya)
    page = html.unescape((await browser.get(f"/console/people/{ada.id}")).text)
    assert "Riverside Surgery: booked" in page and "said yes, booked" in page
    assert 'Opted out</dt><dd class="nhsuk-summary-list__value">No' in page
    assert "Nothing recorded yet." in page  # the harness sets checks directly, with no history


async def test_recording_a_check_with_its_evidence(pool: Harness, browser: httpx.AsyncClient) -> None:
    priya = await pool.coordinator()
    ada = await pool.gp("Dr Ada Lovelace", checks={k: None for k in CHECK_KINDS if k != "dbs"})
    csrf = await sign_in(browser, pool, priya)
    expires = (pool.today + timedelta(days=3 * 365)).isoformat()
    recorded = await browser.post(
        f"/console/evidence/{ada.id}",
        data={"csrf": csrf, "kind": "dbs", "expires": expires, "verified_on": ""},
        files={"document": ("dbs.pdf", PDF, "application/pdf")},
    )
    assert recorded.status_code == 303, recorded.text
    page = html.unescape((await browser.get(recorded.headers["location"])).text)
    assert "Check recorded." in page and "Priya Shah" in page and "(console)" in page
    assert 'data-check="dbs" data-state="valid"' in page
    link = re.search(r'href="(/console/documents/\d+)"', page)
    assert link
    download = await browser.get(link.group(1))
    assert download.content == PDF and download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"


async def test_evidence_is_checked_by_its_content_and_refused_with_nothing_changed(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    priya = await pool.coordinator()
    ada = await pool.gp("Dr Ada Lovelace", checks={k: None for k in CHECK_KINDS if k != "dbs"})
    csrf = await sign_in(browser, pool, priya)
    cases = [
        (("dbs.pdf", b"<html><script>alert(1)</script>", "application/pdf"), "must be a PDF, JPEG or PNG"),
        (("big.png", PNG + b"0" * (5 * 1024 * 1024), "image/png"), "at most 5 MB"),
    ]
    for upload, words in cases:
        refused = await browser.post(
            f"/console/evidence/{ada.id}",
            data={"csrf": csrf, "kind": "dbs", "expires": ""},
            files={"document": upload},
        )
        assert refused.status_code == 422 and words in html.unescape(refused.text)
        assert 'id="document-error"' in refused.text
    assert await pool.pool.store.reader().members.checks_of(ada.id) == {
        k: None for k in CHECK_KINDS if k != "dbs"
    }
    assert await pool.pool.store.reader().evidence.check_history(ada.id) == []


async def test_evidence_is_for_coordinators_only(pool: Harness, browser: httpx.AsyncClient) -> None:
    priya = await pool.coordinator()
    manager = await pool.member("Sam Ortiz", roles=("practice:X10001",))
    ada = await pool.gp("Dr Ada Lovelace")
    csrf = await sign_in(browser, pool, priya)
    await browser.post(
        f"/console/evidence/{ada.id}", data={"csrf": csrf, "kind": "dbs", "expires": ""},
        files={"document": ("dbs.png", PNG, "image/png")},
    )  # fmt: skip
    [record] = await pool.pool.store.reader().evidence.check_history(ada.id)
    csrf = await sign_in(browser, pool, manager)
    assert (await browser.get(f"/console/documents/{record.document_id}")).status_code == 403
    assert (await browser.get(f"/console/people/{ada.id}")).status_code == 403
    assert (await browser.get("/console/people")).status_code == 403
    posted = await browser.post(
        f"/console/evidence/{ada.id}", data={"csrf": csrf, "kind": "dbs", "expires": ""}
    )
    assert posted.status_code == 403
    assert len(await pool.pool.store.reader().evidence.check_history(ada.id)) == 1


async def test_imports_by_upload_are_all_or_nothing_with_line_numbers(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    priya = await pool.coordinator()
    csrf = await sign_in(browser, pool, priya)
    assert "Import from a CSV file" in (await browser.get("/console/imports")).text
    bad = "ods_code,name,pcn,locality,address,clinical_system,info_pack\nX30003,Good Practice,,,,,\n,No Code,,,,,\n"
    refused = await browser.post(
        "/console/imports",
        data={"csrf": csrf, "kind": "practices"},
        files={"file": ("p.csv", bad.encode(), "text/csv")},
    )
    assert refused.status_code == 422 and "line 3" in html.unescape(refused.text)
    assert await pool.pool.store.reader().practices.practice("X30003") is None
    good = bad.splitlines()[0] + "\nX30003,Good Practice,,,,,\n"
    imported = await browser.post(
        "/console/imports",
        data={"csrf": csrf, "kind": "practices"},
        files={"file": ("p.csv", good.encode(), "text/csv")},
    )
    assert imported.status_code == 200 and "1 added" in imported.text
    assert await pool.pool.store.reader().practices.practice("X30003") is not None
    again = await browser.post(
        "/console/imports",
        data={"csrf": csrf, "kind": "practices"},
        files={"file": ("p.csv", good.encode(), "text/csv")},
    )
    assert "0 added, 0 updated, 1 unchanged" in again.text
    latin = await browser.post(
        "/console/imports",
        data={"csrf": csrf, "kind": "practices"},
        files={"file": ("p.csv", "é".encode("latin-1"), "text/csv")},
    )
    assert latin.status_code == 422 and "UTF-8" in latin.text


async def test_leaving_and_erasing_from_a_members_page(pool: Harness, browser: httpx.AsyncClient) -> None:
    priya = await pool.coordinator()
    ada = await pool.gp("Dr Ada Lovelace")
    csrf = await sign_in(browser, pool, priya)
    bad = await browser.post(f"/console/people/{ada.id}/leave", data={"csrf": csrf, "left_on": "soon"})
    assert bad.status_code == 422 and 'id="left_on-error"' in bad.text
    left = await browser.post(f"/console/people/{ada.id}/leave", data={"csrf": csrf, "left_on": ""})
    assert left.status_code == 303
    page = html.unescape((await browser.get(left.headers["location"])).text)
    assert "Recorded that they leave" in page and "They are back in the pool" in page
    unconfirmed = await browser.post(f"/console/people/{ada.id}/erase", data={"csrf": csrf})
    assert unconfirmed.status_code == 422 and "cannot be undone" in html.unescape(unconfirmed.text)
    erased = await browser.post(f"/console/people/{ada.id}/erase", data={"csrf": csrf, "confirm": "yes"})
    assert erased.status_code == 303
    assert f"Erased member {ada.id}" in (await browser.get(erased.headers["location"])).text


async def test_leaving_and_erasing_by_the_api(pool: Harness, browser: httpx.AsyncClient) -> None:

    ada = await pool.gp("Dr Ada Lovelace")
    left = await browser.post(f"/api/members/{ada.phone}/leave", json={"on": "2027-01-31"}, headers=AUTH)
    assert left.json() == {"phone": ada.phone, "left_on": "2027-01-31"}
    back = await browser.post(f"/api/members/{ada.phone}/leave", json={"undo": True}, headers=AUTH)
    assert back.json()["left_on"] is None
    assert (await browser.post(f"/api/members/{ada.phone}/erase", headers=AUTH)).json() == {
        "status": "erased"
    }


async def test_a_long_list_of_people_comes_a_hundred_at_a_time(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    priya = await pool.coordinator()
    await pool.gps(120)
    await sign_in(browser, pool, priya)
    first = (await browser.get("/console/people")).text
    assert "121 people: page 1 of 2." in first and first.count('id="member-') == 100
    assert 'href="/console/people?page=2"' in first
    second = (await browser.get("/console/people", params={"page": "2"})).text
    assert second.count('id="member-') == 21 and "Previous" in second
    beyond = (await browser.get("/console/people", params={"page": "99"})).text
    assert beyond.count('id="member-') == 21  # the last page, not an empty one


async def test_engagement_by_the_api_and_the_console(pool: Harness, browser: httpx.AsyncClient) -> None:
    priya = await pool.coordinator()
    ada = await pool.gp("Dr Ada Lovelace")
    put = await browser.put(
        f"/api/members/{ada.phone}/engagement", json={"engagement": "employed"}, headers=AUTH
    )
    assert put.json() == {"phone": ada.phone, "engagement": "employed"}
    assert (
        await browser.put(f"/api/members/{ada.phone}/engagement", json={"engagement": "agency"}, headers=AUTH)
    ).status_code == 422
    csrf = await sign_in(browser, pool, priya)
    saved = await browser.post(
        f"/console/people/{ada.id}/engagement", data={"csrf": csrf, "engagement": "self_employed"}
    )
    assert saved.status_code == 303
    page = (await browser.get(saved.headers["location"])).text
    assert "Saved how they are engaged." in page and "Self-employed (invoices)</dd>" in page
