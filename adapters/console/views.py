"""Rendering pages: the Jinja2 environment, the filters that format times and money the same
way on every page, and the headers every console response carries."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from bot.clock import LONDON
from bot.domain import ERASED, Member, SessionStatus, check_words
from bot.phones import national
from bot.ports import BoardRow
from bot.professions import Professions

PREFIX = "/console"
TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

# Everything comes from this server: no inline script or style, no other host, no framing.
# No referrer either: a sign-in link's token must not leak to anywhere the page links to.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def when(moment: datetime | None, style: str = "time") -> str:
    """London time: 'time' 09:00, 'day' Tuesday 1 December, 'short' Tue 1 Dec 09:00."""
    if moment is None:
        return ""
    local = moment.astimezone(LONDON)
    if style == "day":
        return f"{local:%A} {local.day} {local:%B}"
    if style == "short":
        return f"{local:%a} {local.day} {local:%b %H:%M}"
    if style == "date":
        return local.date().isoformat()
    return f"{local:%H:%M}"


def money(pence: int) -> str:
    """320 pounds as '£320', 4.50 as '£4.50', a refund as '-£40'."""
    return f"{'-' if pence < 0 else ''}£{abs(pence) / 100:,.2f}".replace(".00", "")


def pounds(pence: int) -> str:
    """Pounds and pence always, as invoices print them: '£457.17', '£400.00', '-£400.00'."""
    return f"{'-' if pence < 0 else ''}£{abs(pence) / 100:,.2f}"


def percent(rate: float | None) -> str:
    """A rate as a whole percentage, or 'none yet' where there is none to give."""
    return "none yet" if rate is None else f"{rate:.0%}"


def minutes(value: float | None) -> str:
    """A median wait in minutes as the text report writes it: '25 min', '3.5 h'."""
    if value is None:
        return "none yet"
    return f"{value:g} min" if value < 120 else f"{value / 60:.1f} h"


def number(value: float) -> str:
    """10.0 -> '10', 1234.25 -> '1,234.25'."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def duration(span: timedelta | None) -> str:
    """'45 min', '3 h 5 min', '2 days 4 h': how long a session took to fill."""
    if span is None:
        return ""
    minutes = max(0, int(span.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return (
            f"{days} day{'s' if days > 1 else ''} {hours} h"
            if hours
            else f"{days} day{'s' if days > 1 else ''}"
        )
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else "under a minute"


def month(key: str) -> str:
    """'2026-12' -> 'December 2026'."""
    try:
        return f"{date.fromisoformat(key + '-01'):%B %Y}"
    except ValueError:
        return key


def day_name(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def escalation(row: BoardRow) -> str:
    """How far an open session's escalation has gone, and what comes next."""
    session = row.session
    if session.status != SessionStatus.OPEN:
        return "–"
    if session.urgent:
        return "Offered to everyone"
    done = {0: "", 1: "Practice alerted", 2: "Coordinator alerted"}.get(
        row.escalation_step, "Coordinator alerted"
    )
    due = f"next alert {when(row.next_escalation, 'short')}" if row.next_escalation else ""
    return "; ".join(part for part in (done, due) if part) or "–"


environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def day_short(day: date | None) -> str:
    return f"{day.day} {day:%b %Y}" if day else ""


def member_role(member: Member, professions: Professions) -> str:
    """'GP (locum)', 'Practice nurse', 'Coordinator', 'Practice manager (X10001)'."""
    parts = []
    if member.is_clinician:
        name = professions[member.profession].word if member.profession in professions else member.profession
        parts.append(f"{name} ({member.gp_type})" if member.gp_type else name)
    if member.is_coordinator:
        parts.append("Coordinator")
    parts += [
        f"Practice manager ({r.split(':', 1)[1]})" for r in sorted(member.roles) if r.startswith("practice:")
    ]
    parts += [r.capitalize() for r in ("lead", "mentor") if r in member.roles]
    return ", ".join(parts) or "Member"


def first_upper(text: str) -> str:
    """'the GP pool' -> 'The GP pool' (Jinja's capitalize would lower the rest: 'Gp')."""
    return text[:1].upper() + text[1:]


environment.filters.update(
    when=when, money=money, duration=duration, day_name=day_name, escalation=escalation,
    first_upper=first_upper, phone=national, day_short=day_short, member_role=member_role,
    check_name=check_words, percent=percent, minutes=minutes, number=number, month=month,
    pounds=pounds,
)  # fmt: skip
environment.globals["prefix"] = PREFIX
environment.globals["erased"] = ERASED
environment.globals["engagement_words"] = {
    "employed": "Employed (timesheets)",
    "self_employed": "Self-employed (invoices)",
    "limited_company": "Limited company (invoices, no NHS pension forms)",
}
# The kinds of peer group (bot.domain.GROUP_KINDS), as a lead would name them.
environment.globals["kinds"] = {
    "networking": "Networking", "action_learning": "Action learning set",
    "peer_support": "Peer support group", "coaching": "Coaching circle",
}  # fmt: skip


def runs_sessions(member: Member | None) -> bool:
    """Coordinators, the admin and practice managers have the fill board (their menu and home)."""
    return member is None or member.is_coordinator or any(r.startswith("practice:") for r in member.roles)


def sees_invoices(member: Member | None) -> bool:
    """Coordinators, practice managers and clinicians (who sign in with another role) have the
    invoices page: the commands choose whose invoices each sees."""
    return runs_sessions(member) or (member is not None and member.is_clinician)


def leads_peer(member: Member | None) -> bool:
    """Peer-network leads and coordinators (and the admin) have the peer support pages."""
    return member is None or member.is_coordinator or "lead" in member.roles


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("request", request)
    policy = request.app.state.console.pool.policy
    context.setdefault("pool_name", policy.pool_name)
    context.setdefault("professions", policy.professions)
    context.setdefault("signed", None)
    context.setdefault("nav", "")
    member = context["signed"].member if context["signed"] else None
    context["coordinator"] = member is None or member.is_coordinator
    context["runs_sessions"] = runs_sessions(member)
    context["leads_peer"] = leads_peer(member)
    context["sees_invoices"] = sees_invoices(member)
    context.setdefault("title", "")
    html = environment.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def attachment(name: str, media_type: str, content: bytes) -> Response:
    """A file the console serves (an invoice, a pension form): always a download, never shown as
    a page of this site (nosniff, sandboxed), and kept by no cache on the way."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:100] or "download"
    return Response(
        content,
        media_type=media_type,
        headers={
            **SECURITY_HEADERS,
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Content-Disposition": f'attachment; filename="{safe}"',
        },
    )
