"""Hours and pay in the console: the practice confirms or queries a clinician's hours, a
coordinator settles a query, a clinician adds their expenses and sees only their own hours;
payroll's timesheets as a page and a CSV; pounds read exactly; every form needs its CSRF token."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date

import httpx
import pytest

from adapters.console.pay import decimal_of, month_of, pence_of
from bot.domain import CLINICIAN, Member, Session
from bot.ports import TIMESHEET_COLUMNS
from main import build_app
from tests.console.conftest import sign_in
from tests.harness import ADMIN_TOKEN, AUTH, Harness, at

MONTH = "2026-12"  # the harness starts on Tuesday 1 December 2026


async def booked(pool: Harness, gp: Member, practice: str = "X10001") -> Session:
    """A session this afternoon at the practice, booked by the GP."""
    session = await pool.post(practice, start=at(pool.today, 13, 0), urgent=True)
    await pool.send(gp, f"YES {await pool.offer_code(gp, session)}")
    return session


async def reported(pool: Harness, gp: Member, session: Session, hours: str = "4") -> Session:
    """The session ends and the GP answers the hours question: the practice is asked."""
    if pool.clock.now() < session.ends_at:
        pool.clock.set(session.ends_at)
    await pool.pool.settle()
    await pool.send(gp, hours)
    assert await pool.pool.store.reader().pay.signoff(session.id), "the hours wait for the practice"
    return session


async def worked(pool: Harness, gp: Member, practice: str = "X10001", hours: str = "4") -> Session:
    return await reported(pool, gp, await booked(pool, gp, practice), hours)


def row_of(page: str, session: Session) -> str:
    found = re.search(
        rf'<tr class="nhsuk-table__row" role="row" id="row-{session.code}"[^>]*>(.*?)</tr>', page, re.S
    )
    assert found, f"session {session.code} is listed"
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))))


async def signoff(pool: Harness, session: Session):  # type: ignore[no-untyped-def]
    found = await pool.pool.store.reader().pay.signoff(session.id)
    assert found is not None
    return found


async def test_a_practice_manager_confirms_hours_and_the_pay_is_kept(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    sam = await pool.member("Sam Ortiz", roles=("practice:X10001",))
    ada = await pool.gp("Dr Ada Lovelace")
    session = await worked(pool, ada)
    csrf = await sign_in(browser, pool, sam)
    page = await browser.get("/console/pay", params={"month": MONTH})
    assert page.status_code == 200 and "Hours and pay" in page.text
    assert 'href="/console/pay"' in page.text and 'aria-current="page"' in page.text  # in the menu
    row = row_of(page.text, session)
    assert "Dr Ada Lovelace" in row and "Awaiting sign-off" in row and "4 booked, 4 reported" in row
    assert "booked £320" in row and "Confirm hours" in row and "Query" in row
    assert f'action="/console/pay/{session.code}/confirm"' in page.text

    confirmed = await browser.post(
        f"/console/pay/{session.code}/confirm", data={"csrf": csrf, "month": MONTH}
    )
    assert confirmed.status_code == 303
    assert (
        confirmed.headers["location"]
        == f"/console/pay?month={MONTH}&done=confirm&code={session.code}#row-{session.code}"
    )
    found = await signoff(pool, session)
    assert (found.state, found.pay_pence, found.signed_off_by) == ("signed_off", 32000, sam.id)
    after = await browser.get(confirmed.headers["location"])
    assert f"Hours confirmed for session {session.code}" in after.text
    row = row_of(after.text, session)
    assert "Signed off" in row and "£320" in row and "Confirm hours" not in row
    assert 'Pay signed off</dt><dd class="nhsuk-summary-list__value">£320 (1 session)' in after.text
    assert (await pool.last(ada)).kind == "signoff_gp_told"  # the clinician hears their pay


async def test_another_practices_manager_sees_nothing_and_is_refused(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    await pool.practice("X20002", "Hillside Practice", pcn="South PCN")
    await pool.member("Sam Ortiz", roles=("practice:X10001",))
    olu = await pool.member("Olu Hill", roles=("practice:X20002",))
    ada = await pool.gp("Dr Ada Lovelace")
    session = await worked(pool, ada)
    csrf = await sign_in(browser, pool, olu)
    page = await browser.get("/console/pay", params={"month": MONTH})
    assert page.status_code == 200
    assert f'id="row-{session.code}"' not in page.text and "Confirm hours" not in page.text
    for action, data in (("confirm", {}), ("query", {"query": "Never here"})):
        refused = await browser.post(
            f"/console/pay/{session.code}/{action}", data={"csrf": csrf, "month": MONTH, **data}
        )
        assert refused.status_code == 403
        assert "only do that for your own practice" in html.unescape(refused.text)
    assert (await signoff(pool, session)).state == "awaiting"


async def test_a_query_goes_to_a_coordinator_who_settles_it(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    sam = await pool.member("Sam Ortiz", roles=("practice:X10001",))
    priya = await pool.coordinator()
    ada = await pool.gp("Dr Ada Lovelace")
    session = await worked(pool, ada)
    csrf = await sign_in(browser, pool, sam)
    code = session.code
    empty = await browser.post(
        f"/console/pay/{code}/query", data={"csrf": csrf, "month": MONTH, "query": " "}
    )
    assert empty.status_code == 422 and f'id="query-{code}-error"' in empty.text
    assert 'class="nhsuk-error-summary"' in empty.text and f'href="#query-{code}"' in empty.text
    long = await browser.post(
        f"/console/pay/{code}/query", data={"csrf": csrf, "month": MONTH, "query": "x" * 101}
    )
    assert long.status_code == 422 and "100 characters" in long.text
    assert (await signoff(pool, session)).state == "awaiting"
    queried = await browser.post(
        f"/console/pay/{code}/query",
        data={"csrf": csrf, "month": MONTH, "state": "awaiting", "query": "She left at 16:00"},
    )
    assert queried.status_code == 303 and "state=awaiting" in queried.headers["location"]
    found = await signoff(pool, session)
    assert (found.state, found.query, found.queried_by) == ("queried", "She left at 16:00", sam.id)

    csrf = await sign_in(browser, pool, priya)
    page = await browser.get("/console/pay", params={"month": MONTH, "state": "queried"})
    row = row_of(page.text, session)
    assert "Queried" in row and "The practice said: “She left at 16:00”" in row and "Settle" in row
    assert "Confirm hours" not in row
    for pay, words in (
        ("12.345", "pounds and pence"),
        ("-5", "pounds and pence"),
        ("NaN", "pounds and pence"),
    ):
        bad = await browser.post(
            f"/console/pay/{code}/settle", data={"csrf": csrf, "month": MONTH, "hours": "3", "pay": pay}
        )
        assert bad.status_code == 422 and f'id="pay-{code}-error"' in bad.text and words in bad.text
        assert f'value="{pay}"' in bad.text  # what was typed stays, to be corrected
    too_long = await browser.post(
        f"/console/pay/{code}/settle", data={"csrf": csrf, "month": MONTH, "hours": "9", "pay": ""}
    )
    assert too_long.status_code == 422 and f'id="hours-{code}-error"' in too_long.text
    assert "at most 6" in too_long.text  # the command's own rule: four booked, two more at most
    assert (await signoff(pool, session)).state == "queried"
    settled = await browser.post(
        f"/console/pay/{code}/settle",
        data={"csrf": csrf, "month": MONTH, "hours": "3", "pay": "£240.10", "settle-note": "Agreed by phone"},
    )
    assert settled.status_code == 303
    found = await signoff(pool, session)
    assert (found.state, found.hours, found.reported_hours) == ("signed_off", 3.0, 4.0)
    assert (found.pay_pence, found.pay_rule, found.settled_note) == (24010, "agreed", "Agreed by phone")
    row = row_of((await browser.get(settled.headers["location"])).text, session)
    assert "3 agreed (4 reported)" in row and "£240.10 (agreed)" in row and "Settled: Agreed by phone" in row


async def test_a_gp_adds_mileage_and_sees_only_their_own_hours(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    await pool.practice("X20002", "Hillside Practice", pcn="South PCN")
    await pool.member("Sam Ortiz", roles=("practice:X10001",))
    # A GP who also mentors: plain GPs have no console (flows/people/signin.py).
    ada = await pool.member("Dr Ada Lovelace", roles=(CLINICIAN, "mentor"))
    ben = await pool.gp("Dr Ben Okafor")
    hers, his = await booked(pool, ada), await booked(pool, ben, practice="X20002")
    await reported(pool, ada, hers)
    await reported(pool, ben, his)
    csrf = await sign_in(browser, pool, ada)
    page = await browser.get("/console/pay", params={"month": MONTH})
    assert page.status_code == 200
    assert f'id="row-{hers.code}"' in page.text and f'id="row-{his.code}"' not in page.text
    assert "Dr Ben Okafor" not in page.text
    row = row_of(page.text, hers)
    assert "Add mileage" in row and "Add an expense" in row and "Confirm hours" not in row
    assert f'href="/console/sessions/{hers.id}"' not in page.text  # the session's page is the practice's

    code = hers.code
    bad = await browser.post(
        f"/console/pay/{code}/mileage", data={"csrf": csrf, "month": MONTH, "miles": "twelve"}
    )
    assert bad.status_code == 422 and f'id="miles-{code}-error"' in bad.text
    far = await browser.post(
        f"/console/pay/{code}/mileage", data={"csrf": csrf, "month": MONTH, "miles": "900"}
    )
    assert far.status_code == 422 and "at most 500" in far.text
    added = await browser.post(
        f"/console/pay/{code}/mileage", data={"csrf": csrf, "month": MONTH, "miles": "12.5"}
    )
    assert added.status_code == 303
    no_note = await browser.post(
        f"/console/pay/{code}/expense",
        data={"csrf": csrf, "month": MONTH, "amount": "4.50", "expense-note": ""},
    )
    assert no_note.status_code == 422 and f'id="expense-note-{code}-error"' in no_note.text
    cost = await browser.post(
        f"/console/pay/{code}/expense",
        data={"csrf": csrf, "month": MONTH, "amount": "£4.50", "expense-note": "Parking"},
    )
    assert cost.status_code == 303
    expenses = (await pool.pool.store.reader().pay.expenses_for([hers.id]))[hers.id]
    # 12.5 miles at 45p is 562.5p: to the nearest penny, halves up.
    assert [(e.kind, e.amount_pence, e.miles, e.note) for e in expenses] == [
        ("mileage", 563, 12.5, ""),
        ("other", 450, None, "Parking"),
    ]
    row = row_of((await browser.get(cost.headers["location"])).text, hers)
    assert "12.5 miles, £5.63" in row and "£4.50, Parking" in row
    # Their own hours are someone else's to confirm, and another's expenses are not theirs to add.
    own = await browser.post(f"/console/pay/{code}/confirm", data={"csrf": csrf, "month": MONTH})
    assert own.status_code == 403 and "your own hours are signed off by someone else" in html.unescape(
        own.text
    )
    other = await browser.post(
        f"/console/pay/{his.code}/mileage", data={"csrf": csrf, "month": MONTH, "miles": "3"}
    )
    assert other.status_code == 403
    assert (await signoff(pool, hers)).state == "awaiting"
    assert his.id not in await pool.pool.store.reader().pay.expenses_for([his.id])


async def test_a_form_without_its_csrf_token_changes_nothing(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    sam = await pool.member("Sam Ortiz", roles=("practice:X10001",))
    ada = await pool.gp("Dr Ada Lovelace")
    session = await worked(pool, ada)
    await sign_in(browser, pool, sam)
    for data in ({"month": MONTH}, {"month": MONTH, "csrf": "forged"}):
        refused = await browser.post(f"/console/pay/{session.code}/confirm", data=data)
        assert refused.status_code == 403 and "This form cannot be used" in refused.text
    refused = await browser.post(f"/console/sessions/{session.id}/confirm-hours", data={"month": MONTH})
    assert refused.status_code == 403
    assert (await signoff(pool, session)).state == "awaiting"


async def test_timesheets_download_as_csv_with_every_cell_safe(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    priya = await pool.coordinator()
    sneaky = await pool.gp("=HYPERLINK(1)", engagement="employed", contracted_sessions_per_week=2)
    ada = await pool.gp("Dr Ada Lovelace", engagement="employed")
    await worked(pool, sneaky)
    await sign_in(browser, pool, priya)
    page = await browser.get("/console/pay/timesheets", params={"month": MONTH})
    assert page.status_code == 200 and f'id="line-{sneaky.id}"' in page.text
    assert f'id="line-{ada.id}"' not in page.text  # nothing worked, nothing contracted
    assert 'href="/console/pay/timesheets.csv?month=2026-12"' in page.text

    download = await browser.get("/console/pay/timesheets.csv", params={"month": MONTH})
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert download.headers["content-disposition"] == 'attachment; filename="timesheets-2026-12.csv"'
    assert download.headers["x-content-type-options"] == "nosniff"
    rows = list(csv.reader(io.StringIO(download.text)))
    assert tuple(rows[0]) == TIMESHEET_COLUMNS
    line = dict(zip(rows[0], rows[1], strict=True))
    assert line["name"] == "'=HYPERLINK(1)"  # shown as text, never run
    assert (line["phone"], line["sessions_worked"], line["pay_signed_off_pence"]) == (sneaky.phone, "1", "0")
    # The same file the API serves.
    api = build_app(pool.pool, ADMIN_TOKEN)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://pool.test") as http:
        served = await http.get("/api/timesheets.csv", params={"month": MONTH}, headers=AUTH)
    assert download.text == served.text


async def test_a_self_employed_clinician_is_told_why_they_have_no_timesheets(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    ada = await pool.member("Dr Ada Lovelace", roles=(CLINICIAN, "mentor"), engagement="self_employed")
    await sign_in(browser, pool, ada)
    page = await browser.get("/console/pay/timesheets", params={"month": MONTH})
    assert page.status_code == 403 and "Timesheets are for people the pool or a practice employs" in page.text
    assert "<h1>Timesheets</h1>" in page.text
    download = await browser.get("/console/pay/timesheets.csv", params={"month": MONTH})
    assert download.status_code == 403 and "employs" in download.text
    assert not download.headers["content-type"].startswith("text/csv")


async def test_the_session_page_shows_the_sign_off_and_confirms_it(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    sam = await pool.member("Sam Ortiz", roles=("practice:X10001",))
    ada = await pool.gp("Dr Ada Lovelace")
    session = await worked(pool, ada, hours="4.5")
    csrf = await sign_in(browser, pool, sam)
    page = html.unescape((await browser.get(f"/console/sessions/{session.id}")).text)
    assert (
        "Hours and pay" in page
        and "Awaiting sign-off" in page
        and "4 booked, 4.5 reported by Dr Ada Lovelace" in page
    )
    assert "Confirm hours" in page and 'id="query"' in page
    assert f'href="/console/pay?month={MONTH}#row-{session.code}"' in page
    empty = await browser.post(
        f"/console/sessions/{session.id}/query-hours", data={"csrf": csrf, "query": ""}
    )
    assert empty.status_code == 422 and 'id="query-error"' in empty.text
    done = await browser.post(f"/console/sessions/{session.id}/confirm-hours", data={"csrf": csrf})
    assert done.status_code == 303 and done.headers["location"].endswith("?done=hours_confirmed")
    page = html.unescape((await browser.get(done.headers["location"])).text)
    assert "Signed off" in page and "£320, signed off" in page and "Confirm hours" not in page
    again = await browser.post(f"/console/sessions/{session.id}/confirm-hours", data={"csrf": csrf})
    assert again.status_code == 422 and "signed off" in html.unescape(again.text)
    assert 'href="#hours-and-pay"' in again.text


async def test_a_month_that_is_no_month_is_a_clear_answer(pool: Harness, browser: httpx.AsyncClient) -> None:
    priya = await pool.coordinator()
    await sign_in(browser, pool, priya)
    for month in ("2026-13", "December", "1999-12", "2026-1"):
        page = await browser.get("/console/pay", params={"month": month})
        assert page.status_code == 400 and "like 2026-12" in page.text
    page = await browser.get("/console/pay")
    assert page.status_code == 200 and "December 2026" in page.text
    assert (
        'href="/console/pay?month=2026-11"' in page.text and 'href="/console/pay?month=2027-01"' in page.text
    )
    assert (await browser.get("/console/pay", params={"state": "nonsense"})).status_code == 200


async def test_a_lead_is_told_hours_are_not_theirs_to_see(pool: Harness, browser: httpx.AsyncClient) -> None:
    lead = await pool.member("Lee Lead", roles=("lead",))
    await sign_in(browser, pool, lead)
    page = await browser.get("/console/pay")
    assert page.status_code == 403 and "only coordinators, practice managers and clinicians" in page.text


@pytest.mark.parametrize(
    ("typed", "pence"),
    [("12", 1200), ("12.5", 1250), ("12.50", 1250), ("£12.05", 1205), ("1,200.99", 120099), (" £ 0.10 ", 10),
     ("0.29", 29), ("4.35", 435), ("1,234,567", 123456700)],
)  # fmt: skip
def test_pounds_become_pence_exactly(typed: str, pence: int) -> None:
    assert pence_of(typed) == pence  # 0.29 and 4.35 are where floats go wrong: 28 and 434


@pytest.mark.parametrize(
    "typed", ["", "12.345", "-5", "1e3", "NaN", "Infinity", "12,5", "1,20", "£", "١٢", "12.", ".5", "12 50"]
)
def test_anything_else_is_not_pounds(typed: str) -> None:
    assert pence_of(typed) is None


def test_hours_miles_and_months_are_read_strictly() -> None:
    assert decimal_of("3.5") == 3.5 and decimal_of(" 12 ") == 12.0
    assert decimal_of("3,5") is None and decimal_of("1e2") is None and decimal_of("nan") is None
    today = date(2026, 12, 9)
    assert month_of("", today) == date(2026, 12, 1) and month_of("2027-01", today) == date(2027, 1, 1)
    assert month_of("2027-00", today) is None and month_of("2101-01", today) is None
