"""The figures page: the year's report as charts, each with its numbers in a table that shows
exactly what BuildReport counted; the NHS return as a CSV download; coordinators only."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta

import httpx

from bot.commands import AddCost, BuildReport, RecordDelivery
from flows.desk.report import as_rows
from tests.console.conftest import sign_in
from tests.harness import Harness, at

HEADING = re.compile(r'<span class="nhsuk-table__heading"[^>]*>.*?</span>', re.S)


def table(page: str, table_id: str) -> list[list[str]]:
    """The body's cells of the table with that id, as text (the phone-width headings left out)."""
    found = re.search(rf'<table[^>]*id="{table_id}">(.*?)</table>', page, re.S)
    assert found, f"the page has the table {table_id}"
    body = found.group(1).split("<tbody", 1)[1]
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", HEADING.sub("", cell))).strip() for cell in cells]
        for cells in (
            re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
        )
    ]


def summary(page: str) -> dict[str, str]:
    pairs = re.findall(
        r'<dt class="nhsuk-summary-list__key">(.*?)</dt><dd class="nhsuk-summary-list__value">(.*?)</dd>',
        page,
    )
    return {html.unescape(k): html.unescape(v) for k, v in pairs}


async def a_busy_fortnight(pool: Harness) -> None:
    """Two PCNs, three practices; sessions filled (one delivered), one gone unfilled, one open."""
    await pool.practice("X20002", "Hillside Practice", pcn="South PCN")
    await pool.practice("X30003", "Valley Practice", pcn="South PCN")
    ada, bo, cy = (
        await pool.gp("Dr Ada Lovelace"),
        await pool.gp("Dr Bo Chen"),
        await pool.gp("Dr Cy Twombly"),
    )
    soon = await pool.post("X20002", start=at(pool.today, 13), urgent=True)
    await pool.advance(minutes=10)
    await pool.send(ada, f"YES {await pool.offer_code(ada, soon)}")
    routine = await pool.post(start=at(pool.today + timedelta(days=1), 9))
    await pool.advance(minutes=40)
    await pool.send(bo, f"YES {await pool.offer_code(bo, routine)}")
    await pool.post("X30003", start=at(pool.today + timedelta(days=2), 9))  # nobody takes it
    later = await pool.post("X20002", start=at(pool.today + timedelta(days=8), 9))
    await pool.advance(minutes=5)
    await pool.send(cy, f"YES {await pool.offer_code(cy, later)}")
    await pool.post(start=at(pool.today + timedelta(days=9), 13))  # still open at the end
    await pool.advance(days=3)  # the unfilled one has started: it expired
    await pool.pool.engine.execute(RecordDelivery(soon.code, 3.5), actor="test")
    await pool.pool.engine.execute(AddCost(pool.today, 450_000, "Coordinator, December"), actor="test")


async def test_the_page_shows_the_reports_own_numbers(pool: Harness, browser: httpx.AsyncClient) -> None:
    priya = await pool.coordinator()
    await a_busy_fortnight(pool)
    await sign_in(browser, pool, priya)
    shown = await browser.get("/console/report")
    assert shown.status_code == 200
    page = shown.text
    report = await pool.pool.engine.query(BuildReport(by=priya.id), actor="test")
    assert report.sessions_posted == 5 and report.sessions_expired == 1 and len(report.by_pcn) == 2

    assert "<h1>Figures for 2026/27</h1>" in page and 'aria-current="page">Figures</a>' in page
    figures = summary(page)
    assert figures["Sessions posted"] == str(report.sessions_posted)
    assert figures["Fill rate"] == f"{report.fill_rate:.0%}" == "75%"
    assert figures["Running costs"] == "£4,500 of £120,000 (£115,500 left)"
    assert table(page, "table-practices") == [
        [f"{p['name']} ({p['ods_code']})", p["pcn"], str(p["posted"]), str(p["filled"]),
         "none yet" if p["fill_rate"] is None else f"{p['fill_rate']:.0%}", f"{p['hours_delivered']:g}"]
        for p in report.by_practice
    ]  # fmt: skip
    assert table(page, "table-practices")[0] == [
        "Hillside Practice (X20002)",
        "South PCN",
        "2",
        "2",
        "100%",
        "3.5",
    ]
    assert [row[:4] for row in table(page, "table-pcns")] == [
        [p["pcn"], str(p["practices"]), str(p["posted"]), str(p["filled"])] for p in report.by_pcn
    ]
    assert [row[1:4] for row in table(page, "table-weeks")] == [
        [str(w["posted"]), str(w["filled"]), str(w["expired"])] for w in report.by_week
    ]
    assert table(page, "table-waits") == [["Urgent", "10 min"], ["Routine", "22.5 min"]]
    assert report.median_minutes_to_fill_urgent == 10 and report.median_minutes_to_fill_routine == 22.5
    assert table(page, "table-hours")[1] == ["Delivered", "3.5", "£320"]

    # Each chart is an image named by its title and described by the same numbers.
    for chart in ("weeks", "waits", "practices", "pcns", "hours", "costs"):
        assert re.search(
            rf'<svg [^>]*id="chart-{chart}"[^>]*role="img" aria-labelledby="chart-{chart}-title', page
        )
    assert "Hillside Practice: 2 posted, 2 filled; Riverside Surgery: 2 posted, 1 filled" in page
    # Nothing the Content-Security-Policy would block: no style attribute, no inline script.
    assert " style=" not in page and "<script>" not in page


async def test_a_practice_manager_is_refused_the_figures_and_their_download(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    sam = await pool.member("Sam Ortiz", roles=("practice:X10001",))
    await sign_in(browser, pool, sam)
    board = await browser.get("/console/board")
    assert ">Figures</a>" not in board.text  # not in their menu either
    for path in ("/console/report", "/console/report.csv"):
        refused = await browser.get(path)
        assert refused.status_code == 403 and "For coordinators" in refused.text
        assert "attachment" not in refused.headers.get("content-disposition", "")


async def test_signed_out_the_figures_send_you_to_sign_in(browser: httpx.AsyncClient) -> None:
    for path in ("/console/report", "/console/report.csv"):
        response = await browser.get(path)
        assert response.status_code == 303 and response.headers["location"] == "/console/"


async def test_the_nhs_return_downloads_as_the_cli_prints_it(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    priya = await pool.coordinator()
    await a_busy_fortnight(pool)
    # A name a spreadsheet would run as a formula (listed as a registration number to check).
    await pool.gp("=HYPERLINK(1)", registration_number="12")
    await sign_in(browser, pool, priya)
    download = await browser.get("/console/report.csv", params={"year": 2026})
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert download.headers["content-disposition"] == 'attachment; filename="pool-report-2026-27.csv"'
    assert download.headers["content-security-policy"].startswith("default-src 'self'")
    rows = list(csv.reader(io.StringIO(download.text)))
    report = await pool.pool.engine.query(BuildReport(2026, priya.id), actor="test")
    assert rows[0] == ["metric", "value"]
    assert len(rows) == len(as_rows(report))
    found = dict(rows[1:])
    assert found["sessions_posted"] == "5" and found["by_practice.X20002.filled"] == "2"
    assert found["by_pcn.South PCN.posted"] == "3"
    assert found["registration_numbers_to_check"] == "'=HYPERLINK(1)"  # shown as text, never run


async def test_another_year_by_its_first_year_and_a_wrong_one_refused(
    pool: Harness, browser: httpx.AsyncClient
) -> None:
    priya = await pool.coordinator()
    await pool.post()
    await sign_in(browser, pool, priya)
    last = await browser.get("/console/report", params={"year": 2025})
    assert "<h1>Figures for 2025/26</h1>" in last.text and "No sessions in 2025/26 yet." in last.text
    assert summary(last.text)["Sessions posted"] == "0"
    for wrong in ("abc", "1999", "-1", "20260"):
        refused = await browser.get("/console/report", params={"year": wrong})
        assert refused.status_code == 400 and "No such year" in refused.text
