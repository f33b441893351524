"""The pool's figures for a financial year (April to March), as NHS England asks for them.

Sessions count in the year of their start (London date), so a session from 20:00 on 31 March
to 02:00 on 1 April belongs to the year it started in. A session's pay is what was signed off
for it (flows/money/signoff.py: kept once the practice agreed the hours) and, until then, its
booked rate; the pay signed off, awaiting the practice and queried are also shown apart, with
expenses (never part of pay). Hours booked are the sessions' lengths, hours delivered what was
reported (as agreed, once settled).

The NHS return is about GPs, and reads as it always has for them: members count when their
profession is GP, and a session counts as a GP session when a GP was booked for it (or, not
booked, when it was for GPs). Every profession's own figures are in ``by_profession``.

The breakdowns by week, practice and PCN are of the same GP sessions, so each adds up to the
year's totals. Weeks run Monday to Sunday (London); the first starts on 1 April, whatever day
that is. Every week from the first session's to the last session's is listed, quiet ones too,
so a chart of them has no hidden gaps. A fill rate is over the sessions whose outcome is known
(filled or delivered, or expired unfilled), as the year's is; None where there are none.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from bot import spreadsheet
from bot.clock import LONDON, london_date
from bot.commands import BuildReport, WellbeingFigures
from bot.domain import GP_TYPES, Member, Practice, Session, SessionStatus
from bot.engine import Engine, Turn
from bot.ports import InvoiceRow, Reader, SignOffRow
from bot.professions import GP, GP_ONLY, Professions
from flows.peer.mentoring import CYCLE
from flows.people import roles
from flows.wellbeing import safety

# The NHS indicative maxima (£323.21 a session, £77.57 an hour) make a session 4 h 10 min;
# contracted hours are counted at that length.
CONTRACTED_SESSION_HOURS = 25 / 6


def register(engine: Engine) -> None:
    engine.on_command(BuildReport, build_report_command)
    engine.on_command(WellbeingFigures, wellbeing_figures)


def financial_year(day: date) -> int:
    """The year a financial year starts in: 2026 for April 2026 to March 2027."""
    return day.year if day.month >= 4 else day.year - 1


@dataclass
class PoolReport:
    financial_year: str
    period_start: str
    period_end: str
    live_date: str | None
    gps_registered: int
    gps_registered_by_type: dict[str, int]
    gps_engaged: int
    gps_engaged_by_type: dict[str, int]
    contracted_sessions_per_week: int
    contracted_hours_per_week: float
    sessions_posted: int
    sessions_filled: int
    sessions_delivered: int
    sessions_cancelled: int
    sessions_expired: int
    sessions_open: int
    fill_rate: float | None
    median_minutes_to_fill_urgent: float | None
    median_minutes_to_fill_routine: float | None
    hours_booked: float
    pay_booked_pence: int
    hours_delivered: float
    pay_delivered_pence: int
    # Of the GP sessions delivered: pay signed off, and the booked rates of those whose hours
    # wait for the practice or are queried; expenses (mileage and others) beside the pay.
    pay_signed_off_pence: int
    pay_awaiting_pence: int
    pay_queried_pence: int
    expenses_pence: int
    # Invoices issued in the year (not cancelled; flows/money/invoices.py): their totals, paid,
    # and overdue; and the overdue ones listed, for the coordinators.
    invoiced_pence: int
    invoices_paid_pence: int
    invoices_overdue_pence: int
    invoices_overdue: list[dict[str, object]]
    sms_segments: int
    sms_segments_per_filled_session: float | None
    running_costs_pence: int
    setup_budget_pence: int
    budget_left_pence: int
    costs: list[dict[str, object]] = field(default_factory=list)
    # Wellbeing check-ins by month (London), only for months with at least
    # WELLBEING_THRESHOLD people answering: never anything about one person.
    wellbeing: list[dict[str, object]] = field(default_factory=list)
    # Peer groups: sessions in the year, invitations, answers and attendance (people counted,
    # never named).
    peer_groups: dict[str, object] = field(default_factory=dict)
    # Mentoring: mentees matched and waiting now; meetings logged against the four-week cadence.
    mentoring: dict[str, object] = field(default_factory=dict)
    # Each profession with members or sessions: members, sessions for it, filled and delivered
    # by it, hours booked and delivered.
    by_profession: dict[str, dict[str, object]] = field(default_factory=dict)
    # The GP sessions week by week (Monday to Sunday), by practice and by PCN: posted, filled,
    # expired unfilled, delivered, the fill rate and hours (see the module's docstring).
    by_week: list[dict[str, object]] = field(default_factory=list)
    by_practice: list[dict[str, object]] = field(default_factory=list)
    by_pcn: list[dict[str, object]] = field(default_factory=list)
    # Members whose registration number does not fit their profession's format (to check).
    registration_numbers_to_check: list[str] = field(default_factory=list)
    # The named wellbeing lead (POOL_WELLBEING_LEAD), or None: crisis messages reach no one.
    wellbeing_lead: str | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def as_csv(self) -> str:
        """The NHS return as ``report --csv`` prints it: ``as_rows``, every cell spreadsheet-safe."""
        return spreadsheet.text(as_rows(self))


async def build_report_command(turn: Turn, command: BuildReport) -> PoolReport:
    turn.by = command.by
    roles.require_coordinator(await roles.actor(turn, command.by))
    year = command.year if command.year is not None else financial_year(london_date(turn.now))
    report = await build_report(
        turn.uow,
        year,
        turn.policy.live_date,
        turn.policy.setup_budget_pence,
        turn.now,
        turn.policy.professions,
    )
    lead = await safety.wellbeing_lead(turn.uow, turn.policy)
    report.wellbeing_lead = lead.name if lead else None
    return report


async def build_report(
    reader: Reader,
    year: int,
    live_date: date | None,
    budget_pence: int,
    now: datetime,
    professions: Professions = GP_ONLY,
) -> PoolReport:
    start = datetime(year, 4, 1, tzinfo=LONDON)
    end = datetime(year + 1, 4, 1, tzinfo=LONDON)
    all_sessions = await reader.sessions.sessions_between(start, end)
    all_booked = await reader.bookings.bookings_between(start, end)
    members = await reader.members.members_registered_before(end)
    booked_by = {s.id: m for _, s, m in all_booked}
    # The NHS return's figures are GPs' (see the module's docstring).
    sessions = [s for s in all_sessions if _for_profession(s, booked_by, GP)]
    booked = [(b, s, m) for b, s, m in all_booked if m.is_gp]
    registered = [m for m in members if m.is_gp]
    engaged = {m.id: m for _, _, m in booked}
    status = Counter(s.status for s in sessions)
    taken = [s for s in sessions if s.status in (SessionStatus.FILLED, SessionStatus.DELIVERED)]
    delivered = [s for s in sessions if s.status == SessionStatus.DELIVERED]
    # Sessions still open (and cancelled ones) are not yet filled or missed: the rate is over
    # those whose outcome is known.
    decided = len(taken) + status[SessionStatus.EXPIRED]
    costs = await reader.money.costs_between(start.date(), date(year + 1, 3, 31))
    spent = sum(c.amount_pence for c in costs)
    first_posted = await reader.sessions.first_session_posted()
    live = live_date or (london_date(first_posted) if first_posted else None)
    contracted = sum(m.contracted_sessions_per_week for m in registered)
    texts = await reader.messages.sms_segments_between(start, end)
    signoffs = {row.session.id: row for row in await reader.pay.signoff_rows(start=start, end=end)}
    by_practice, by_pcn = _by_place(sessions, await reader.practices.all(), signoffs)
    money = _money(delivered, signoffs)
    invoices = [
        r
        for r in await reader.invoices.invoice_rows(issued_from=start.date(), issued_before=end.date())
        if r.invoice.kind == "invoice" and r.invoice.state not in ("cancelled", "draft")
    ]
    _add_invoices(by_practice, by_pcn, invoices)

    def minutes_to_fill(urgent: bool) -> float | None:
        waits = [
            (s.filled_at - s.created_at).total_seconds() / 60
            for s in taken
            if s.urgent == urgent and s.filled_at and s.created_at
        ]
        return round(statistics.median(waits), 1) if waits else None

    return PoolReport(
        financial_year=f"{year}/{(year + 1) % 100:02d}",
        period_start=start.date().isoformat(),
        period_end=date(year + 1, 3, 31).isoformat(),
        live_date=live.isoformat() if live else None,
        gps_registered=len(registered),
        gps_registered_by_type=_by_type(m.gp_type for m in registered),
        gps_engaged=len(engaged),
        gps_engaged_by_type=_by_type(m.gp_type for m in engaged.values()),
        contracted_sessions_per_week=contracted,
        contracted_hours_per_week=round(contracted * CONTRACTED_SESSION_HOURS, 1),
        sessions_posted=len(sessions),
        sessions_filled=len(taken),
        sessions_delivered=len(delivered),
        sessions_cancelled=status[SessionStatus.CANCELLED],
        sessions_expired=status[SessionStatus.EXPIRED],
        sessions_open=status[SessionStatus.OPEN],
        fill_rate=round(len(taken) / decided, 3) if decided else None,
        median_minutes_to_fill_urgent=minutes_to_fill(True),
        median_minutes_to_fill_routine=minutes_to_fill(False),
        hours_booked=round(sum(s.hours for s in taken), 2),
        pay_booked_pence=sum(_pay(s, signoffs) for s in taken),
        hours_delivered=round(sum(s.delivered_hours or 0 for s in delivered), 2),
        pay_delivered_pence=sum(_pay(s, signoffs) for s in delivered),
        pay_signed_off_pence=money["pay_signed_off_pence"],
        pay_awaiting_pence=money["pay_awaiting_pence"],
        pay_queried_pence=money["pay_queried_pence"],
        expenses_pence=money["expenses_pence"],
        invoiced_pence=sum(r.invoice.total_pence for r in invoices),
        invoices_paid_pence=sum(r.invoice.total_pence for r in invoices if r.invoice.state == "paid"),
        invoices_overdue_pence=sum(r.invoice.total_pence for r in invoices if r.invoice.state == "overdue"),
        invoices_overdue=[
            {
                "number": r.invoice.number,
                "name": r.member_name,
                "practice": r.invoice.practice,
                "practice_name": r.practice_name,
                "total_pence": r.invoice.total_pence,
                "due_on": r.invoice.due_on.isoformat() if r.invoice.due_on else None,
            }
            for r in sorted(invoices, key=lambda r: (r.invoice.due_on or date.max, r.invoice.number))
            if r.invoice.state == "overdue"
        ],
        sms_segments=texts,
        sms_segments_per_filled_session=round(texts / len(taken), 1) if taken else None,
        running_costs_pence=spent,
        setup_budget_pence=budget_pence,
        budget_left_pence=budget_pence - spent,
        costs=[{"date": c.day.isoformat(), "pence": c.amount_pence, "what": c.what} for c in costs],
        wellbeing=await wellbeing_months(reader, start, end),
        peer_groups=await peer_figures(reader, start, end),
        mentoring=await mentoring_figures(reader, start, min(end, now)),
        by_profession=_by_profession(all_sessions, booked_by, members, professions),
        by_week=_by_week(sessions, start.date(), signoffs),
        by_practice=by_practice,
        by_pcn=by_pcn,
        registration_numbers_to_check=[
            m.name
            for m in members
            if m.is_clinician
            and m.registration_number
            and m.profession in professions
            and not professions[m.profession].number_fits(m.registration_number)
        ],
    )


def _rate(taken: int, expired: int) -> float | None:
    return round(taken / (taken + expired), 3) if taken + expired else None


def _pay(session: Session, signoffs: dict[int, SignOffRow]) -> int:
    """What a session pays: as signed off, else its booked rate."""
    row = signoffs.get(session.id)
    if row is not None and row.signoff.pay_pence is not None:
        return row.signoff.pay_pence
    return session.rate_pence


def _money(delivered: list[Session], signoffs: dict[int, SignOffRow]) -> dict[str, int]:
    """Delivered sessions' pay by where its sign-off stands, and their expenses."""
    found = dict.fromkeys(
        ("pay_signed_off_pence", "pay_awaiting_pence", "pay_queried_pence", "expenses_pence"), 0
    )
    for session in delivered:
        row = signoffs.get(session.id)
        if row is None:
            continue
        found[f"pay_{row.signoff.state}_pence"] += _pay(session, signoffs)
        found["expenses_pence"] += row.expenses_pence
    return found


def _tally(sessions: list[Session], signoffs: dict[int, SignOffRow]) -> dict[str, object]:
    """Posted, filled (or delivered), expired unfilled, delivered, the fill rate, hours, and
    pay booked (as signed off where it is), signed off, awaiting the practice and queried, and
    expenses."""
    filled = [s for s in sessions if s.status in (SessionStatus.FILLED, SessionStatus.DELIVERED)]
    expired = sum(1 for s in sessions if s.status == SessionStatus.EXPIRED)
    delivered = [s for s in sessions if s.status == SessionStatus.DELIVERED]
    money = _money(delivered, signoffs)
    return {
        "posted": len(sessions),
        "filled": len(filled),
        "expired": expired,
        "delivered": len(delivered),
        "fill_rate": _rate(len(filled), expired),
        "hours_booked": round(sum(s.hours for s in filled), 2),
        "hours_delivered": round(sum(s.delivered_hours or 0 for s in delivered), 2),
        "pay_booked_pence": sum(_pay(s, signoffs) for s in filled),
        "pay_signed_off_pence": money["pay_signed_off_pence"],
        "pay_awaiting_pence": money["pay_awaiting_pence"],
        "pay_queried_pence": money["pay_queried_pence"],
        "expenses_pence": money["expenses_pence"],
    }


def _by_week(
    sessions: list[Session], first_day: date, signoffs: dict[int, SignOffRow]
) -> list[dict[str, object]]:
    """Every week from the first session's to the last's: its first day, and its tally."""
    if not sessions:
        return []
    weeks: dict[date, list[Session]] = {}
    for session in sessions:
        day = london_date(session.starts_at)
        weeks.setdefault(day - timedelta(days=day.weekday()), []).append(session)
    monday, last = min(weeks), max(weeks)
    found = []
    while monday <= last:
        tally = _tally(weeks.get(monday, []), signoffs)
        found.append({"week_start": max(monday, first_day).isoformat(), **tally})
        monday += timedelta(days=7)
    return found


def _by_place(
    sessions: list[Session], practices: list[Practice], signoffs: dict[int, SignOffRow]
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Each practice with sessions, and each PCN, busiest first (then by name)."""
    known = {p.ods_code: p for p in practices}
    at: dict[str, list[Session]] = {}
    for session in sessions:
        at.setdefault(session.practice, []).append(session)
    by_practice = []
    in_pcn: dict[str, list[str]] = {}
    for ods, theirs in at.items():
        practice = known.get(ods)
        pcn = (practice.pcn if practice else "") or "not recorded"
        in_pcn.setdefault(pcn, []).append(ods)
        by_practice.append(
            {
                "ods_code": ods,
                "name": practice.name if practice else ods,
                "pcn": pcn,
                **_tally(theirs, signoffs),
            }
        )
    by_pcn = [
        {"pcn": pcn, "practices": len(codes), **_tally([s for ods in codes for s in at[ods]], signoffs)}
        for pcn, codes in in_pcn.items()
    ]
    by_practice.sort(key=lambda p: (-p["posted"], str(p["name"])))  # type: ignore[operator]
    by_pcn.sort(key=lambda p: (-p["posted"], str(p["pcn"])))  # type: ignore[operator]
    return by_practice, by_pcn


def _add_invoices(
    by_practice: list[dict[str, object]], by_pcn: list[dict[str, object]], invoices: list[InvoiceRow]
) -> None:
    """Each practice's and PCN's invoices of the year: invoiced, paid and overdue (a practice
    with invoices but no sessions this year gets a row of its own)."""
    keys = ("invoiced_pence", "invoices_paid_pence", "invoices_overdue_pence")
    for row in [*by_practice, *by_pcn]:
        row.update(dict.fromkeys(keys, 0))
    places = {str(p["ods_code"]): p for p in by_practice}
    pcns = {str(p["pcn"]): p for p in by_pcn}
    for found in invoices:
        i = found.invoice
        pcn = found.pcn or "not recorded"
        if i.practice not in places:
            places[i.practice] = {"ods_code": i.practice, "name": found.practice_name, "pcn": pcn,
                                  **_tally([], {}), **dict.fromkeys(keys, 0)}  # fmt: skip
            by_practice.append(places[i.practice])
        if pcn not in pcns:
            pcns[pcn] = {"pcn": pcn, "practices": 0, **_tally([], {}), **dict.fromkeys(keys, 0)}
            by_pcn.append(pcns[pcn])
        for row in (places[i.practice], pcns[pcn]):
            row["invoiced_pence"] += i.total_pence  # type: ignore[operator]
            if i.state == "paid":
                row["invoices_paid_pence"] += i.total_pence  # type: ignore[operator]
            if i.state == "overdue":
                row["invoices_overdue_pence"] += i.total_pence  # type: ignore[operator]


def _for_profession(session: Session, booked_by: dict[int, Member], profession: str) -> bool:
    """A session is that profession's when one of them was booked for it; not booked, when
    it was for them."""
    if session.id in booked_by:
        return booked_by[session.id].profession == profession
    return profession in session.professions


def _by_profession(
    sessions: list[Session], booked_by: dict[int, Member], members: list[Member], professions: Professions
) -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    for profession in professions:
        theirs = [s for s in sessions if _for_profession(s, booked_by, profession.key)]
        people = [m for m in members if m.is_clinician and m.profession == profession.key]
        if not theirs and not people:
            continue
        filled = [s for s in theirs if s.status in (SessionStatus.FILLED, SessionStatus.DELIVERED)]
        delivered = [s for s in theirs if s.status == SessionStatus.DELIVERED]
        found[profession.key] = {
            "name": profession.name,
            "members": len(people),
            "sessions": len(theirs),
            "filled": len(filled),
            "delivered": len(delivered),
            "hours_booked": round(sum(s.hours for s in filled), 2),
            "hours_delivered": round(sum(s.delivered_hours or 0 for s in delivered), 2),
        }
    return found


async def peer_figures(reader: Reader, start: datetime, end: datetime) -> dict[str, object]:
    figures: dict[str, object] = dict(await reader.groups.peer_figures(start, end))
    answered = figures["attended"] + figures["missed"]  # type: ignore[operator]
    figures["attendance_rate"] = round(figures["attended"] / answered, 3) if answered else None  # type: ignore[operator]
    return figures


async def mentoring_figures(reader: Reader, start: datetime, until: datetime) -> dict[str, object]:
    """Meetings due: each active (or since ended) pair owes one meeting per four-week cycle
    completed in the period."""
    found = await reader.mentoring.mentoring_figures(start, until)
    due = 0
    for approved, ended in found.pop("cycles"):
        cycle_end = approved + CYCLE
        while cycle_end <= min(ended, until):
            due += cycle_end >= start
            cycle_end += CYCLE
    found["meetings_due"] = due
    found["cadence_kept"] = round(min(found["meetings"] / due, 1.0), 3) if due else None
    return found


def _by_type(types: object) -> dict[str, int]:
    counts = Counter(t or "not recorded" for t in types)  # type: ignore[attr-defined]
    ordered = {t: counts[t] for t in GP_TYPES if counts[t]}
    if counts["not recorded"]:
        ordered["not recorded"] = counts["not recorded"]
    return ordered


def _count(n: object, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"


def _pounds(pence: int) -> str:
    return f"£{pence / 100:,.2f}"


WELLBEING_THRESHOLD = 5


async def wellbeing_months(reader: Reader, start: datetime, end: datetime) -> list[dict[str, object]]:
    """Monthly aggregates of check-ins; a month with fewer than five people answering shows
    only that it is withheld."""
    months: dict[str, list[tuple[int, int, str | None, bool]]] = {}
    for answered, member_id, score, consent, offered in await reader.wellbeing.checkin_answers_between(
        start, end
    ):
        months.setdefault(f"{answered.astimezone(LONDON):%Y-%m}", []).append(
            (member_id, score, consent, offered)
        )
    asked: dict[str, set[int]] = {}
    for when, member_id in await reader.wellbeing.checkins_asked_between(start, end):
        asked.setdefault(f"{when.astimezone(LONDON):%Y-%m}", set()).add(member_id)
    result = []
    for month, answers in sorted(months.items()):
        people = {a[0] for a in answers}
        if len(people) < WELLBEING_THRESHOLD:
            result.append({"month": month, "withheld": f"fewer than {WELLBEING_THRESHOLD} people answered"})
            continue
        scores = [a[1] for a in answers]
        result.append(
            {
                "month": month,
                "people_answering": len(people),
                "participation": round(len(people) / max(len(asked.get(month, people) | people), 1), 2),
                "answers": len(scores),
                "scores": {str(n): scores.count(n) for n in range(1, 6)},
                "mean_score": round(statistics.mean(scores), 1),
                "follow_ups_offered": sum(1 for a in answers if a[3]),
                "follow_ups_accepted": sum(1 for a in answers if a[2] == "yes"),
            }
        )
    return result


async def wellbeing_figures(turn: Turn, command: WellbeingFigures) -> list[dict[str, object]]:
    """The report's check-in months for leads (who cannot see the rest of the report): the
    same aggregates from the same function, with the months under the threshold left out
    rather than marked withheld, so a lead learns nothing about a handful of people."""
    roles.require_lead(await roles.actor(turn, command.by))
    year = command.year if command.year is not None else financial_year(london_date(turn.now))
    start = datetime(year, 4, 1, tzinfo=LONDON)
    end = datetime(year + 1, 4, 1, tzinfo=LONDON)
    return [month for month in await wellbeing_months(turn.uow, start, end) if "withheld" not in month]


def as_text(report: PoolReport) -> str:
    r = report

    def per_type(counts: dict[str, int]) -> str:
        return ", ".join(f"{t} {n}" for t, n in counts.items()) or "none"

    def minutes(value: float | None) -> str:
        if value is None:
            return "n/a"
        return f"{value:g} min" if value < 120 else f"{value / 60:.1f} h"

    per_fill = (
        f", {r.sms_segments_per_filled_session:g} a filled session"
        if r.sms_segments_per_filled_session
        else ""
    )
    lines = [
        f"Pool figures, financial year {r.financial_year} ({r.period_start} to {r.period_end})",
        f"Live since:                 {r.live_date or 'not yet'}",
        f"GPs registered:             {r.gps_registered} ({per_type(r.gps_registered_by_type)})",
        f"GPs engaged (booked once+): {r.gps_engaged} ({per_type(r.gps_engaged_by_type)})",
        f"Contracted:                 {r.contracted_sessions_per_week} sessions a week, "
        f"about {r.contracted_hours_per_week:g} hours",
        f"Sessions posted:            {r.sessions_posted}",
        f"  filled {r.sessions_filled} (delivered {r.sessions_delivered}), cancelled {r.sessions_cancelled}, "
        f"expired {r.sessions_expired}, still open {r.sessions_open}",
        f"Fill rate:                  {'n/a' if r.fill_rate is None else f'{r.fill_rate:.0%}'}",
        f"Median time to fill:        urgent {minutes(r.median_minutes_to_fill_urgent)}, "
        f"routine {minutes(r.median_minutes_to_fill_routine)}",
        f"Booked:                     {r.hours_booked:g} hours, GP pay {_pounds(r.pay_booked_pence)}",
        f"Delivered:                  {r.hours_delivered:g} hours, GP pay {_pounds(r.pay_delivered_pence)}",
        f"Pay signed off:             {_pounds(r.pay_signed_off_pence)}; awaiting the practice "
        f"{_pounds(r.pay_awaiting_pence)}, queried {_pounds(r.pay_queried_pence)}; "
        f"expenses {_pounds(r.expenses_pence)}",
        f"Invoices:                   {_pounds(r.invoiced_pence)} invoiced, "
        f"{_pounds(r.invoices_paid_pence)} paid, "
        f"{_pounds(r.invoices_overdue_pence)} overdue"
        + (
            f" ({_count(len(r.invoices_overdue), 'invoice')}: "
            + ", ".join(str(o["number"]) for o in r.invoices_overdue[:5])
            + ")"
            if r.invoices_overdue
            else ""
        ),
        f"SMS:                        {r.sms_segments} segments{per_fill}",
        f"Running costs:              {_pounds(r.running_costs_pence)} of a {_pounds(r.setup_budget_pence)} "
        f"set-up budget ({_pounds(r.budget_left_pence)} left)",
    ]
    for pcn in r.by_pcn:
        rate = pcn["fill_rate"]
        lines.append(
            f"{str(pcn['pcn']) + ':':<28}{_count(pcn['practices'], 'practice')}, "
            f"{_count(pcn['posted'], 'session')} posted, {pcn['filled']} filled"
            + (f" (fill rate {rate:.0%})" if rate is not None else "")
            + f", {pcn['hours_delivered']:g} hours delivered, pay {_pounds(pcn['pay_booked_pence'])}"  # type: ignore[arg-type]
            + f" ({_pounds(pcn['pay_signed_off_pence'])} signed off"  # type: ignore[arg-type]
            + (f", {_pounds(pcn['pay_queried_pence'])} queried)" if pcn["pay_queried_pence"] else ")")  # type: ignore[arg-type]
        )
    if r.wellbeing_lead is None:
        lines.append(f"Warning: {safety.NO_LEAD_WARNING}.")
    peer, mentoring = r.peer_groups, r.mentoring
    if peer.get("sessions"):
        rate = peer["attendance_rate"]
        lines.append(
            f"Peer groups:                {peer['sessions']} sessions, {peer['invited']} invited, "
            f"{peer['going']} going, {peer['not_going']} not going, {peer['waitlisted']} waitlisted; "
            f"{peer['attended']} attended, {peer['missed']} missed"
            + (f" ({rate:.0%} of those who said)" if rate is not None else "")
            + f"; {peer['people_attended']} people came; {peer['nudged']} nudges"
        )
    if mentoring.get("mentors") or mentoring.get("matched") or mentoring.get("waiting"):
        m, kept = mentoring, mentoring["cadence_kept"]
        lines.append(
            f"Mentoring:                  {m['matched']} mentees matched, {m['waiting']} waiting, "
            f"{m['mentors']} mentors; {m['meetings']} meetings of {m['meetings_due']} due"
            + (f" ({kept:.0%})" if kept is not None else "")
            + f"; {m['ended']} pairing{'' if m['ended'] == 1 else 's'} ended early"
        )
    if set(r.by_profession) - {GP}:  # a pool beyond GPs: every profession's own line
        for figures in r.by_profession.values():
            lines.append(
                f"{str(figures['name'])[:1].upper() + str(figures['name'])[1:] + ':':<28}"
                f"{figures['members']} registered; {_count(figures['sessions'], 'session')}, "
                f"{figures['filled']} filled, {figures['delivered']} delivered; "
                f"{figures['hours_booked']:g} hours booked, {figures['hours_delivered']:g} delivered"
            )
    if r.registration_numbers_to_check:
        lines.append(
            f"Registration numbers to check ({len(r.registration_numbers_to_check)}): "
            + ", ".join(r.registration_numbers_to_check)
        )
    for month in r.wellbeing:
        if "withheld" in month:
            lines.append(f"Check-ins {month['month']}:       withheld ({month['withheld']})")
        else:
            spread = " ".join(f"{k}:{v}" for k, v in month["scores"].items())  # type: ignore[union-attr]
            lines.append(
                f"Check-ins {month['month']}:       {month['people_answering']} people "
                f"({month['participation']:.0%} of those asked), "
                f"{month['answers']} answers, "
                f"scores {spread}, mean {month['mean_score']}, follow-ups {month['follow_ups_offered']} "
                f"offered / {month['follow_ups_accepted']} accepted"
            )
    return "\n".join(lines)


# The breakdowns listed in rows, each row's figures under its key: by_week.2026-04-06.posted.
PER_ROW = {"by_week": "week_start", "by_practice": "ods_code", "by_pcn": "pcn"}


def as_rows(report: PoolReport) -> list[list[str]]:
    """The same figures as CSV rows: metric, value."""
    rows = [["metric", "value"]]
    for name, value in report.as_dict().items():
        if name in ("costs", "wellbeing", "invoices_overdue"):  # lists of their own, not figures
            continue
        if name == "by_profession":
            rows.extend(
                [f"{name}.{key}.{figure}", str(count)]
                for key, figures in value.items()  # type: ignore[union-attr]
                for figure, count in figures.items()
                if figure != "name"
            )
        elif name in PER_ROW:
            key = PER_ROW[name]
            rows.extend(
                [f"{name}.{row[key]}.{figure}", "" if count is None else str(count)]
                for row in value  # type: ignore[attr-defined]
                for figure, count in row.items()
                if figure not in (key, "name", "pcn")
            )
        elif name == "registration_numbers_to_check":
            rows.append([name, ";".join(value)])  # type: ignore[arg-type]
        elif isinstance(value, dict):
            rows.extend([f"{name}.{key}", str(count)] for key, count in value.items())
        else:
            rows.append([name, "" if value is None else str(value)])
    return rows
