"""The figures: the financial year's report as a page of charts, each with its numbers in a
table beside it, and the NHS return as a CSV download. Both run BuildReport, which decides who
may see them (coordinators) and counts everything; this module only draws what it is given."""

from __future__ import annotations

from datetime import date
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.console import charts
from adapters.console.auth import Console, actor_of, by_of
from adapters.console.views import SECURITY_HEADERS, minutes, money, number, page, percent
from bot.commands import BuildReport
from bot.errors import Refused
from bot.ports.desk import Figures
from bot.ports.signin import SignedIn

FIRST_YEAR, LAST_YEAR = 2000, 2100  # as the JSON API's ?year= allows


class NoSuchYear(ValueError):
    pass


def routes(console: Console) -> list[Route]:
    engine = console.pool.engine

    def year_asked(request: Request) -> int | None:
        given = request.query_params.get("year", "")
        if not given:
            return None
        if not given.isdigit() or not FIRST_YEAR <= int(given) <= LAST_YEAR:
            raise NoSuchYear(given)
        return int(given)

    async def figures(request: Request) -> tuple[SignedIn, Figures | Response]:
        signed = await console.require(request)
        by = by_of(signed)
        try:
            year = year_asked(request)
        except NoSuchYear:
            return signed, page(request, "problem.html", status=400, signed=signed, title="No such year",
                                message=f"Ask for a financial year by the year it starts in, {FIRST_YEAR} to "
                                f"{LAST_YEAR}: 2026 is April 2026 to March 2027.", nav="report")  # fmt: skip
        try:
            built: Figures = await engine.query(BuildReport(year, by), actor=actor_of(signed))
        except Refused as refusal:
            return signed, page(request, "problem.html", status=403, signed=signed, title="For coordinators",
                                message=refusal.message)  # fmt: skip
        return signed, built

    async def report(request: Request) -> Response:
        signed, built = await figures(request)
        if isinstance(built, Response):
            return built
        found = built.as_dict()
        year = date.fromisoformat(str(found["period_start"])).year
        return page(request, "report.html", signed=signed, nav="report", title="Figures", r=found,
                    year=year, charts=drawn(found), tables=tabled(found))  # fmt: skip

    async def download(request: Request) -> Response:
        _, built = await figures(request)
        if isinstance(built, Response):
            return built
        name = f"pool-report-{built.financial_year.replace('/', '-')}.csv"
        return Response(
            built.as_csv(),
            media_type="text/csv; charset=utf-8",
            headers={**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
        )

    return [
        Route("/report", report, methods=["GET"]),
        Route("/report.csv", download, methods=["GET"]),
    ]


def week_label(day: str) -> str:
    found = date.fromisoformat(day)
    return f"{found.day} {found:%b}"


def week_day(day: str) -> str:
    found = date.fromisoformat(day)
    return f"{found.day} {found:%B %Y}"


def drawn(r: dict[str, Any]) -> dict[str, Markup]:
    """Each chart of the page, from the report's own figures."""
    year = r["financial_year"]
    weeks, practices, pcns = r["by_week"], r["by_practice"], r["by_pcn"]
    found: dict[str, Markup] = {}
    if weeks:
        rated = [w for w in weeks if w["fill_rate"] is not None]
        found["weeks"] = charts.columns(
            "chart-weeks",
            f"Fill rate by week, {year}",
            f"A column for each of {count(len(weeks), 'week')} from the week of "
            f"{week_label(weeks[0]['week_start'])} to the week of {week_label(weeks[-1]['week_start'])}, "
            f"on a scale of 0 to 100%; {count(len(weeks) - len(rated), 'week')} with no session filled "
            "or gone unfilled, so no rate. "
            f"Over the year: {percent(r['fill_rate'])}.",
            [week_label(w["week_start"]) for w in weeks],
            [w["fill_rate"] for w in weeks],
            [(0, "0%"), (0.5, "50%"), (1, "100%")],
        )
    waits = [r["median_minutes_to_fill_urgent"], r["median_minutes_to_fill_routine"]]
    found["waits"] = charts.bars(
        "chart-waits",
        f"Median time to fill, {year}",
        f"Urgent sessions {minutes(waits[0])}, routine sessions {minutes(waits[1])}.",
        ["Urgent", "Routine"],
        [charts.Series("Median time to fill", charts.RED, waits, [minutes(w) for w in waits])],
    )
    # The two series' colours, blue and green, differ to colour-blind eyes too in lightness.
    for key, rows, label in (("practices", practices, "name"), ("pcns", pcns, "pcn")):
        if rows:
            found[key] = charts.bars(
                f"chart-{key}",
                f"Sessions by {'practice' if key == 'practices' else 'PCN'}, {year}",
                "; ".join(f"{row[label]}: {row['posted']} posted, {row['filled']} filled" for row in rows)
                + ".",
                [str(row[label]) for row in rows],
                [
                    charts.Series("Posted", charts.BLUE, [row["posted"] for row in rows],
                                  [str(row["posted"]) for row in rows]),
                    charts.Series("Filled", charts.GREEN, [row["filled"] for row in rows],
                                  [str(row["filled"]) for row in rows]),
                ],
            )  # fmt: skip
    hours = [r["hours_booked"], r["hours_delivered"]]
    found["hours"] = charts.bars(
        "chart-hours",
        f"Hours booked and delivered, {year}",
        f"{number(hours[0])} hours booked, {number(hours[1])} hours delivered.",
        ["Booked", "Delivered"],
        [charts.Series("Hours", charts.GREEN, hours, [f"{number(h)} h" for h in hours])],
    )
    professions = r["by_profession"]
    if len(professions) > 1:  # a pool beyond GPs: each profession's hours
        names = [capital(p["name"]) for p in professions.values()]
        booked = [p["hours_booked"] for p in professions.values()]
        delivered = [p["hours_delivered"] for p in professions.values()]
        found["professions"] = charts.bars(
            "chart-professions",
            f"Hours by profession, {year}",
            "; ".join(
                f"{n}: {number(b)} hours booked, {number(d)} delivered"
                for n, b, d in zip(names, booked, delivered, strict=True)
            )
            + ".",
            names,
            [
                charts.Series("Booked", charts.BLUE, booked, [f"{number(h)} h" for h in booked]),
                charts.Series("Delivered", charts.GREEN, delivered, [f"{number(h)} h" for h in delivered]),
            ],
        )
    spent, budget = r["running_costs_pence"], r["setup_budget_pence"]
    found["costs"] = charts.bars(
        "chart-costs",
        f"Running costs against the set-up budget, {year}",
        f"{money(spent)} spent of a {money(budget)} budget, {money(r['budget_left_pence'])} left.",
        ["Running costs", "Set-up budget"],
        [charts.Series("Pounds", charts.PURPLE, [spent, budget], [money(spent), money(budget)])],
    )
    return found


def tabled(r: dict[str, Any]) -> dict[str, list[list[str]]]:
    """The longer tables' rows, each cell as the page writes it."""

    def tally(row: dict[str, Any]) -> list[str]:
        return [
            str(row["posted"]),
            str(row["filled"]),
            percent(row["fill_rate"]),
            number(row["hours_delivered"]),
        ]

    return {
        "weeks": [
            [
                week_day(w["week_start"]),
                *(str(w[k]) for k in ("posted", "filled", "expired")),
                percent(w["fill_rate"]),
            ]
            for w in r["by_week"]
        ],
        "practices": [[f"{p['name']} ({p['ods_code']})", p["pcn"], *tally(p)] for p in r["by_practice"]],
        "pcns": [[p["pcn"], str(p["practices"]), *tally(p)] for p in r["by_pcn"]],
        "professions": [
            [
                capital(p["name"]),
                *(str(p[k]) for k in ("members", "sessions", "filled", "delivered")),
                *(number(p[k]) for k in ("hours_booked", "hours_delivered")),
            ]
            for p in r["by_profession"].values()
        ],
        "cost_items": [[c["date"], c["what"], money(c["pence"])] for c in r["costs"]],
    }


def count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"


def capital(name: str) -> str:
    return name[:1].upper() + name[1:]
