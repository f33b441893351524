"""Sessions from the desk: post, book by hand, cancel, make urgent, record delivery, a
practice's preferences, availability, open sessions, and GPs the pool could not reach."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated

import typer

from adapters.cli.common import (
    AsOption,
    fail,
    open_pool,
    run_desk_command,
    settings_or_exit,
)
from bot import money
from bot.clock import LONDON, SystemClock, london_date, parse_when
from bot.commands import (
    BookByHand,
    BroadcastUrgent,
    CancelSession,
    OpenSessionsFor,
    PostSession,
    RecordDelivery,
    SetPracticePreference,
)
from bot.dates import parse_day
from bot.domain import Booking
from bot.errors import Refused
from bot.phones import national, to_e164
from bot.pool import Pool
from flows.conversation.messages import render

app = typer.Typer()


@app.command("post-session")
def post_session(
    practice: Annotated[str, typer.Option(help="The practice's ODS code")],
    start: Annotated[str, typer.Option(help="ISO 8601, London time unless an offset is given")],
    end: Annotated[str, typer.Option(help="ISO 8601, London time unless an offset is given")],
    rate_pence: Annotated[int, typer.Option(help="Pay for the whole session, in pence")],
    urgent: Annotated[bool, typer.Option(help="Offer to everyone eligible at once")] = False,
    notes: Annotated[str, typer.Option(help="A short note shown with the offer")] = "",
    professions: Annotated[
        str, typer.Option(help="Who it is for, ';'-separated: gp, practice_nurse, clinical_pharmacist, ...")
    ] = "gp",
    repeat_weeks: Annotated[
        int, typer.Option(min=1, max=52, help="Post the same session this many weeks running")
    ] = 1,
    as_: Annotated[str | None, typer.Option("--as", help="The poster's phone (a member)")] = None,
) -> None:
    """Post a session and send its first offers (the server's dispatcher sends them)."""
    settings = settings_or_exit()

    async def run() -> None:
        pool = await open_pool(settings)
        try:
            poster = None
            if as_:
                poster = await pool.store.reader().members.member_by_phone(to_e164(as_))
                if poster is None:
                    raise Refused(f"No member has the phone number {as_}.")
            session = await pool.engine.execute(
                PostSession(
                    practice=practice.strip().upper(),
                    starts_at=parse_when(start),
                    ends_at=parse_when(end),
                    rate_pence=rate_pence,
                    urgent=urgent,
                    notes=notes,
                    posted_by=poster.id if poster else None,
                    via="cli",
                    professions=tuple(
                        p.strip().lower() for p in professions.replace(",", ";").split(";") if p.strip()
                    ),
                    repeat_weeks=repeat_weeks,
                ),
                actor=f"member:{poster.id}" if poster else "cli",
            )
            # The running server's dispatcher sends the offers, within the providers' limits.
            typer.echo(f"Posted session {session.code} (id {session.id}), status {session.status}.")
            if repeat_weeks > 1:
                later = repeat_weeks - 1
                typer.echo(f"And the same session for the {later} weeks after it (`export sessions`).")
            if session.offers_from is not None:
                typer.echo(render("offers_held", until=session.offers_from))
        finally:
            await pool.close()

    try:
        asyncio.run(run())
    except (Refused, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


async def booked(booking: Booking, pool: Pool) -> str:
    """Who was booked, by name and number: a name typed on the phone is confirmed back."""
    gp = await pool.store.reader().members.member(booking.member_id)
    session = await pool.store.reader().sessions.session(booking.session_id)
    assert gp is not None and session is not None
    return f"Booked: session {session.code} for {gp.name} ({national(gp.phone)}), code {booking.code}."


@app.command()
def book(
    code: Annotated[str, typer.Argument(help="The session's code")],
    phone: Annotated[str, typer.Argument(help="The GP's phone number, or their name")],
    as_: AsOption = None,
) -> None:
    """Book a named GP by hand (after a phone call); the same checks as an acceptance. A name
    books when exactly one clinician has it (any case, with or without 'Dr'); several are
    listed with their phones."""
    run_desk_command(
        lambda by: BookByHand(code, phone, by),
        booked,
        as_,
    )


@app.command()
def cancel(
    code: Annotated[str, typer.Argument(help="The session's code")],
    reason: Annotated[str, typer.Option(help="Told to the booked GP")] = "",
    as_: AsOption = None,
) -> None:
    """Cancel a session; the booked GP and the practice are told."""
    run_desk_command(
        lambda by: CancelSession(code, by, reason), lambda s: f"Session {s.code} is {s.status}.", as_
    )


@app.command()
def urgent(code: Annotated[str, typer.Argument(help="The session's code")], as_: AsOption = None) -> None:
    """Re-broadcast an open session as urgent, to everyone eligible."""
    run_desk_command(
        lambda by: BroadcastUrgent(code, by),
        lambda n: f"{code.upper()} is urgent: {n} more GPs offered it.",
        as_,
    )


@app.command()
def delivered(
    code: Annotated[str, typer.Argument(help="The session's code")],
    hours: Annotated[float, typer.Argument(help="Hours worked")],
    as_: AsOption = None,
) -> None:
    """Record that a filled session went ahead, with the hours worked."""
    run_desk_command(
        lambda by: RecordDelivery(code, hours, by), lambda s: f"Session {s.code} is {s.status}.", as_
    )


@app.command()
def preference(
    practice: Annotated[str, typer.Argument(help="The practice's ODS code")],
    phone: Annotated[str, typer.Argument(help="The GP's phone number")],
    kind: Annotated[str, typer.Argument(help="prefer, block or none")],
    as_: AsOption = None,
) -> None:
    """A practice prefers a GP (offered first), blocks one (never offered), or neither."""
    choice = None if kind.lower() == "none" else kind.lower()
    run_desk_command(
        lambda by: SetPracticePreference(practice, phone, choice, by),
        lambda _: f"{practice.upper()}: {kind}.",
        as_,
    )


@app.command()
def available(
    day: Annotated[str, typer.Argument(help="A date (2026-12-03) or a day (tue)")],
    half: Annotated[str, typer.Argument(help="am or pm")],
) -> None:
    """Who has said they are available for a date and half day."""
    settings = settings_or_exit()
    parsed = parse_day(day, london_date(SystemClock().now()))
    if parsed is None or half not in ("am", "pm"):
        fail("give a date and am or pm, e.g. available 2026-12-03 pm")

    async def run() -> None:
        pool = await open_pool(settings)
        try:
            people = await pool.store.reader().members.available_members(parsed, half)
        finally:
            await pool.close()
        typer.echo(f"Available {parsed:%a %-d %b} {half}: {len(people)}")
        for member in people:
            typer.echo(f"  {member.name}  {national(member.phone)}")

    asyncio.run(run())


@app.command("open")
def open_sessions(
    phone: Annotated[str, typer.Argument(help="The member's phone number")],
    as_: AsOption = None,
) -> None:
    """What OPEN lists for a member: the open sessions they can take now, with the codes issued
    for them (tell them on the phone: YES <code> books it)."""

    def show(found: list) -> str:
        if not found:
            return "Nothing open fits them right now."
        return "\n".join(
            f"{offer.code}  {s.code}  {s.starts_at.astimezone(LONDON):%a %-d %b %H:%M}  {p.name}  "
            f"£{money.pounds(s.rate_pence)}"
            for offer, s, p in found
        )

    run_desk_command(lambda by: OpenSessionsFor(phone, by), show, as_)


@app.command()
def unreachable(days: Annotated[int, typer.Option(help="How far back to look")] = 7) -> None:
    """Messages that could not be delivered lately: GPs the pool could not reach, and why."""
    settings = settings_or_exit()

    async def run() -> None:
        pool = await open_pool(settings)
        try:
            failed = await pool.store.undelivered(pool.clock.now() - timedelta(days=days))
        finally:
            await pool.close()
        if not failed:
            typer.echo(f"Every message in the last {days} days was delivered or is on its way.")
        for change, member, at in failed:
            who = member.name if member else national(change.address)
            why = ": ".join(
                part for part in (change.error, change.error_code and f"error {change.error_code}") if part
            )
            when = at.astimezone(LONDON).strftime("%a %-d %b %H:%M")
            typer.echo(
                f"{when}  {who} by {change.channel}: {change.kind} {change.status}"
                + (f" ({why})" if why else "")
            )

    asyncio.run(run())
