"""The pool bot's command line: parses, wires, delegates. No logic lives here.

python main.py serve [--host H] [--port P]   webhooks, JSON API, sandbox, timer loop
python main.py demo                          a scripted pool day on the sandbox
python main.py seed                          load the fictional demo pool into POOL_DATABASE
python main.py chat --as PHONE               play a member on the sandbox from the terminal
python main.py post-session ...              post a session and offer it
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import sys
import tempfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from fastapi import FastAPI
from rich.progress import Progress

import flows
from adapters.sandbox import SandboxChannel, sandbox_router
from adapters.slack import SlackChannel, SlackDesk, slack_router
from adapters.sms import TwilioSms, twilio_router
from adapters.telegram import TelegramChannel, TelegramWebhook, set_webhook, telegram_router
from bot import money
from bot.clock import LONDON, Clock, FakeClock, SystemClock, london_date, parse_when
from bot.commands import (
    AddCost,
    AddGroupMembers,
    AddMentor,
    AnswerInbox,
    ApproveMatches,
    BookByHand,
    BroadcastUrgent,
    BuildReport,
    CancelGroupSession,
    CancelSession,
    CloseInbox,
    CoffeeRound,
    CreateGroup,
    IssueLinkCode,
    MentorLeaves,
    OpenSessionsFor,
    PostSession,
    ProposeMatches,
    RecordDelivery,
    ScheduleGroupSessions,
    SetAlerts,
    SetPracticePreference,
    ShowGroup,
)
from bot.dates import parse_day
from bot.demo import DEMO_START, play, seed_pool
from bot.domain import Inbound
from bot.engine import Engine, Turn
from bot.errors import Refused
from bot.http import bearer_auth, create_app
from bot.log_limit import LimitFilter
from bot.outbox import Dispatcher
from bot.phones import national, to_e164
from bot.policy import PoolPolicy
from bot.pool import Pool
from bot.ports import Channel
from bot.render import text_with_choices
from bot.timers import TimerLoop
from config import ConfigError, Settings, load_settings
from config.demo import load_demo_pool
from config.professions import load_professions
from config.safety import load_safety
from config.settings import admin_token
from flows.conversation.inbound import PoolConversation
from flows.conversation.messages import render
from flows.desk import exports, imports, spreadsheet
from flows.desk import report as reports
from flows.peer.coffee import coffee_text
from flows.peer.groups import group_text
from flows.wellbeing import safety
from flows.wellbeing.safety import SafetyScreen
from storage import SqliteStore

cli = typer.Typer(add_completion=False, no_args_is_help=True, help="The GP pool bot.")


# -- wiring -----------------------------------------------------------------------------------


def policy_from(settings: Settings) -> PoolPolicy:
    return PoolPolicy(
        pool_name=settings.pool_name,
        wave_size=settings.pool_wave_size,
        wave_wait=timedelta(minutes=settings.pool_wave_minutes),
        filled_sms=settings.pool_filled_sms,
        wellbeing_lead_phone=to_e164(settings.pool_wellbeing_lead) if settings.pool_wellbeing_lead else None,
        message_retention=timedelta(days=settings.pool_message_retention_days),
        live_date=settings.pool_live_date,
        setup_budget_pence=settings.pool_setup_budget_pence,
        default_rate_pence=settings.pool_default_rate_pence,
        offer_open=timedelta(hours=settings.pool_offer_hours),
        urgent_close=timedelta(minutes=settings.pool_urgent_close_minutes),
        escalate_first=timedelta(hours=settings.escalate_hours[0]),
        escalate_second=timedelta(hours=settings.escalate_hours[1]),
        escalation_contacts=tuple(
            to_e164(phone) for phone in (settings.pool_escalation_contacts or "").split(",") if phone.strip()
        ),
        quiet_start=settings.quiet_hours[0] if settings.quiet_hours else None,
        quiet_end=settings.quiet_hours[1] if settings.quiet_hours else None,
        public_url=settings.public_url,
        nudge_after=timedelta(weeks=settings.pool_nudge_weeks) if settings.pool_nudge_weeks else None,
        professions=load_professions(settings.pool_profession_titles),
        offer_batch=timedelta(seconds=settings.pool_batch_seconds),
        unknown_replies_per_hour=settings.pool_unknown_replies_per_hour,
        unknown_alert_numbers=settings.pool_unknown_alert_numbers,
        unknown_alert_window=timedelta(minutes=settings.pool_unknown_alert_minutes),
    )


def build_channels(settings: Settings) -> dict[str, Channel]:
    channels: dict[str, Channel] = {}
    if settings.twilio_on:
        channels["sms"] = TwilioSms(
            account_sid=settings.twilio_account_sid or "",
            auth_token=settings.twilio_auth_token or "",
            api_base=str(settings.twilio_api_base),
            public_url=settings.public_url,
            from_number=settings.twilio_from_number,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            per_second=settings.pool_sms_per_second,
        )
    if settings.slack_on:
        channels["slack"] = SlackChannel(
            token=settings.slack_bot_token or "",
            api_base=str(settings.slack_api_base),
            per_second=settings.pool_slack_per_second,
        )
    if settings.telegram_on:
        channels["telegram"] = TelegramChannel(
            token=settings.telegram_bot_token or "", api_base=str(settings.telegram_api_base)
        )
    if settings.sandbox_on:
        channels["sandbox"] = SandboxChannel()
    return channels


async def open_pool(
    settings: Settings,
    *,
    clock: Clock | None = None,
    rng: random.Random | None = None,
    channels: dict[str, Channel] | None = None,
    policy: PoolPolicy | None = None,
) -> Pool:
    """Everything wired together on the settings' database; nothing started yet."""
    clock = clock or SystemClock()
    store = await SqliteStore.open(settings.pool_database)
    channels = build_channels(settings) if channels is None else channels
    policy = policy or policy_from(settings)
    safety = load_safety()
    engine = Engine(
        store=store,
        clock=clock,
        policy=policy,
        channels_on=tuple(channels),
        conversation=PoolConversation(
            SafetyScreen(
                safety.crisis_patterns, safety.signposting, safety.distress_patterns, safety.distress_reply
            )
        ),
        rng=rng,
    )
    flows.register(engine)
    dispatcher = Dispatcher(store, channels, clock, poll_seconds=settings.pool_poll_seconds)
    engine.on_commit = dispatcher.wake
    dispatcher.on_failed = engine.messages_failed  # an offer that failed for good goes another way
    timers = TimerLoop(engine, store, clock)
    return Pool(store, engine, dispatcher, timers, clock, channels, policy, settings.pool_poll_seconds)


def build_app(
    pool: Pool, token: str, run_background: bool = False, settings: Settings | None = None
) -> FastAPI:
    """The HTTP app with the webhooks of every channel that is on."""
    auth = bearer_auth(token)
    routers = []
    sandbox = pool.channels.get("sandbox")
    if isinstance(sandbox, SandboxChannel):
        routers.append(sandbox_router(pool, auth, sandbox))
    sms = pool.channels.get("sms")
    if isinstance(sms, TwilioSms):
        routers.append(twilio_router(pool, sms))
    slack = pool.channels.get("slack")
    desk = None
    if isinstance(slack, SlackChannel):
        secret = (settings or load_settings()).slack_signing_secret or ""
        desk = SlackDesk(pool, slack, secret)
        routers.append(slack_router(desk))
        pool.every(60, desk.link_by_email)  # members who have not written yet become reachable
    telegram = pool.channels.get("telegram")
    if isinstance(telegram, TelegramChannel):
        secret = (settings or load_settings()).telegram_webhook_secret or ""
        routers.append(telegram_router(TelegramWebhook(pool, telegram, secret)))
    app = create_app(pool, token, routers, run_background=run_background)
    app.state.slack_desk = desk
    return app


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


class _Redact(logging.Filter):
    """Provider secrets never reach the logs: a Telegram request URL carries the bot token."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "<redacted>")
            record.msg, record.args = message, None
        return True


def _logging(settings: Settings | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if settings is not None:
        redact = _Redact(
            [
                settings.telegram_bot_token or "",
                settings.slack_bot_token or "",
                settings.twilio_auth_token or "",
            ]
        )
        for handler in logging.getLogger().handlers:
            handler.addFilter(redact)
    # httpx logs request URLs at INFO, and a Telegram URL carries the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


# -- commands ---------------------------------------------------------------------------------


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
) -> None:
    """Start webhooks, the JSON API, the sandbox and the timer loop. SIGTERM stops it cleanly."""
    import uvicorn

    settings = _settings()
    _logging(settings)
    token = admin_token(settings)

    async def run() -> None:
        pool = await open_pool(settings)
        app = build_app(pool, token.value, run_background=True, settings=settings)
        typer.echo(f"Pool bot on http://{host}:{port}  (database {settings.pool_database})")
        typer.echo(f"Channels on: {', '.join(pool.channels) or 'none'}. API docs: http://{host}:{port}/docs")
        if await safety.wellbeing_lead(pool.store.reader(), pool.policy) is None:
            typer.echo(f"Warning: {safety.NO_LEAD_WARNING}.")
        if token.generated:
            typer.echo(f"Admin token (saved in {token.path}): {token.value}")
        elif token.path is not None:
            typer.echo(f"Admin token: in {token.path}")
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            access_log=False,
            log_level="info",
            # Set for a public endpoint: an idle keep-alive connection is closed after 5 s, and
            # past 1,000 connections and requests at once new ones get 503 rather than memory.
            # uvicorn has no timeout for reading headers: the README's deployment section puts
            # a reverse proxy in front for that.
            timeout_keep_alive=5,
            limit_concurrency=1000,
            server_header=False,
        )
        server = uvicorn.Server(config)
        # A flood of malformed HTTP is uvicorn's 'Invalid HTTP request received.' a time.
        uvicorn_log = logging.getLogger("uvicorn.error")
        if not any(isinstance(f, LimitFilter) for f in uvicorn_log.filters):
            uvicorn_log.addFilter(LimitFilter())
        await server.serve()

    # The standard asyncio loop, not uvloop: uvloop served 7% more replies here but tripled
    # the p99 (bench/replies.py), and GPs feel the tail, not the mean.
    asyncio.run(run())


@cli.command()
def demo() -> None:
    """Play a scripted pool day on the sandbox, in a temporary database, and print it."""
    asyncio.run(run_demo(typer.echo))


async def run_demo(emit: Callable[[str], None]) -> None:
    with tempfile.TemporaryDirectory(prefix="pool-demo-") as folder:
        settings = load_settings({"POOL_DATABASE": str(Path(folder) / "demo.db")})
        clock = FakeClock(DEMO_START)
        data = load_demo_pool()
        # Small waves, so a short transcript shows them moving on.
        policy = PoolPolicy(
            pool_name=data["name"],
            wave_size=3,
            wave_wait=timedelta(minutes=30),
            professions=load_professions(),
        )
        pool = await open_pool(settings, clock=clock, rng=random.Random(2026), policy=policy)
        try:
            await play(pool, clock, data, emit, reports.as_text)
        finally:
            await pool.close()


@cli.command()
def seed() -> None:
    """Load the fictional demo pool (practices, GPs, a coordinator) into POOL_DATABASE."""
    settings = _settings()

    async def run() -> None:
        pool = await open_pool(settings)
        try:
            added = await seed_pool(pool, load_demo_pool(), london_date(pool.clock.now()))
        finally:
            await pool.close()
        typer.echo(
            f"Added {added} members to {settings.pool_database}. Try: python main.py chat --as 07700900101"
        )

    asyncio.run(run())


@cli.command("post-session")
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
    as_: Annotated[str | None, typer.Option("--as", help="The poster's phone (a member)")] = None,
) -> None:
    """Post a session and send its first offers (the server's dispatcher sends them)."""
    settings = _settings()

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
                ),
                actor=f"member:{poster.id}" if poster else "cli",
            )
            # The running server's dispatcher sends the offers, within the providers' limits.
            typer.echo(f"Posted session {session.code} (id {session.id}), status {session.status}.")
            if session.offers_from is not None:
                typer.echo(render("offers_held", until=session.offers_from))
        finally:
            await pool.close()

    try:
        asyncio.run(run())
    except (Refused, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


@cli.command()
def chat(
    as_: Annotated[str, typer.Option("--as", help="The member's phone number")],
) -> None:
    """Play a member on the sandbox channel: type replies, read what the bot sends."""
    settings = _settings()
    if not settings.sandbox_on:
        typer.echo("error: the sandbox is off (POOL_SANDBOX=off)", err=True)
        raise typer.Exit(2)
    try:
        phone = to_e164(as_)
    except ValueError as error:
        typer.echo(f"error: {as_}: {error}", err=True)
        raise typer.Exit(2) from None

    async def run() -> None:
        # A client of the pool, not a second server: it neither sends the outbox nor runs
        # timers (that is `serve`'s work), so it cannot disturb what the server has in flight.
        # The sandbox shows what the bot has committed to send, so replies appear at once.
        pool = await open_pool(settings)
        reader = pool.store.reader()
        member = await reader.members.member_by_phone(phone)
        typer.echo(
            f"Sandbox chat as {member.name if member else phone + ' (not a member)'}. "
            "Type a reply and press Enter; Ctrl-D to leave."
        )
        last = 0
        count = 0

        async def show() -> None:
            nonlocal last
            for message in await reader.messages.messages_to("sandbox", phone, last, pool.clock.now()):
                last = message.id
                stamp = message.went_at.astimezone(LONDON).strftime("%H:%M")
                text = text_with_choices(message.body or "", message.choices)
                typer.echo(f"[{stamp}] bot: " + text.replace("\n", "\n              "))

        loop = asyncio.get_running_loop()
        try:
            await show()
            while True:
                reading = loop.run_in_executor(None, sys.stdin.readline)
                while not reading.done():
                    await asyncio.wait([reading], timeout=1.0)
                    await show()
                line = reading.result()
                if not line:
                    break
                if not line.strip():
                    continue
                count += 1
                await pool.engine.receive(
                    Inbound(
                        "sandbox",
                        phone,
                        line.strip(),
                        f"chat-{datetime.now().timestamp()}-{count}",
                        pool.clock.now(),
                    )
                )
                await show()
        finally:
            await pool.close()

    asyncio.run(run())


# -- running a pool ---------------------------------------------------------------------------

AsOption = Annotated[str | None, typer.Option("--as", help="Act as this member (phone); their role applies")]


class ImportKind(StrEnum):
    practices = "practices"
    members = "members"
    checks = "checks"
    sessions = "sessions"


class ExportKind(StrEnum):
    practices = "practices"
    members = "members"
    sessions = "sessions"
    bookings = "bookings"


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


async def _actor(pool: Pool, phone: str | None) -> int | None:
    if phone is None:
        return None
    try:
        member = await pool.store.reader().members.member_by_phone(to_e164(phone))
    except ValueError as error:
        _fail(f"{phone} is {error}")
    if member is None:
        _fail(f"no member has the phone number {phone}")
    return member.id


def _desk(make: Callable[[int | None], object], show: Callable[[Any], str], as_: str | None) -> None:
    """Run one desk command against POOL_DATABASE as the given member (or the admin)."""
    settings = _settings()

    async def run() -> None:
        pool = await open_pool(settings)
        try:
            by = await _actor(pool, as_)
            result = await pool.engine.execute(make(by), actor=f"member:{by}" if by else "cli")
            typer.echo(show(result))
        finally:
            await pool.close()

    try:
        asyncio.run(run())
    except Refused as refusal:
        _fail(refusal.message)


@cli.command("import")
def import_file(
    kind: Annotated[ImportKind, typer.Argument(help="What the file holds")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV in DESIGN.md's columns")],
    as_: AsOption = None,
) -> None:
    """Import a CSV file, all or nothing: every bad row is listed with its line number."""
    settings = _settings()
    try:
        rows = imports.read_csv(kind.value, file.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        _fail(f"{file} is not UTF-8 text: save it as 'CSV UTF-8' and import it again")
    except imports.ImportRefused as refusal:
        for problem in refusal.errors:
            typer.echo(str(problem), err=True)
        _fail(f"{file} was not imported")
    do = {
        ImportKind.practices: imports.import_practices,
        ImportKind.members: imports.import_members,
        ImportKind.checks: imports.import_checks,
        ImportKind.sessions: imports.import_sessions,
    }[kind]

    async def run() -> imports.ImportResult:
        pool = await open_pool(settings)
        try:
            by = await _actor(pool, as_)
            with Progress(transient=True, disable=len(rows) < 200) as progress:
                task = progress.add_task(f"Importing {kind.value}", total=len(rows))

                async def work(turn: Turn) -> imports.ImportResult:
                    turn.by = by
                    return await do(turn, rows, lambda n: progress.advance(task, n))

                return await pool.engine.run(f"member:{by}" if by else "cli", work)
        finally:
            await pool.close()

    try:
        result = asyncio.run(run())
    except imports.ImportRefused as refusal:
        for problem in refusal.errors:
            typer.echo(str(problem), err=True)
        _fail(f"{file} was not imported: {refusal.message}")
    except Refused as refusal:
        _fail(refusal.message)
    counts = f"{result.added} added, {result.updated} updated, {result.unchanged} unchanged"
    typer.echo(f"Imported {kind.value}: {counts}.")
    for note in result.notes:
        typer.echo(note)


@cli.command()
def export(
    kind: Annotated[ExportKind, typer.Argument(help="What to export")],
    out: Annotated[Path | None, typer.Option(help="File to write (default: standard output)")] = None,
) -> None:
    """Export practices, members, sessions or bookings as CSV."""
    settings = _settings()

    async def run() -> tuple[list[str], list[list[str]]]:
        pool = await open_pool(settings)
        try:
            make = {
                "practices": exports.practices,
                "members": exports.members,
                "sessions": exports.sessions,
                "bookings": exports.bookings,
            }
            return await make[kind.value](pool.store.reader())
        finally:
            await pool.close()

    header, rows = asyncio.run(run())
    handle = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
    spreadsheet.write(handle, [header, *rows])
    if out:
        handle.close()
        typer.echo(f"Wrote {len(rows)} {kind.value} to {out}.")


@cli.command()
def book(
    code: Annotated[str, typer.Argument(help="The session's code")],
    phone: Annotated[str, typer.Argument(help="The GP's phone number, or their name")],
    as_: AsOption = None,
) -> None:
    """Book a named GP by hand (after a phone call); the same checks as an acceptance. A name
    books when exactly one clinician has it (any case, with or without 'Dr'); several are
    listed with their phones."""
    _desk(
        lambda by: BookByHand(code, phone, by),
        lambda b: f"Booked: session {code.upper()}, code {b.code}.",
        as_,
    )


@cli.command()
def cancel(
    code: Annotated[str, typer.Argument(help="The session's code")],
    reason: Annotated[str, typer.Option(help="Told to the booked GP")] = "",
    as_: AsOption = None,
) -> None:
    """Cancel a session; the booked GP and the practice are told."""
    _desk(lambda by: CancelSession(code, by, reason), lambda s: f"Session {s.code} is {s.status}.", as_)


@cli.command()
def urgent(code: Annotated[str, typer.Argument(help="The session's code")], as_: AsOption = None) -> None:
    """Re-broadcast an open session as urgent, to everyone eligible."""
    _desk(
        lambda by: BroadcastUrgent(code, by),
        lambda n: f"{code.upper()} is urgent: {n} more GPs offered it.",
        as_,
    )


@cli.command()
def delivered(
    code: Annotated[str, typer.Argument(help="The session's code")],
    hours: Annotated[float, typer.Argument(help="Hours worked")],
    as_: AsOption = None,
) -> None:
    """Record that a filled session went ahead, with the hours worked."""
    _desk(lambda by: RecordDelivery(code, hours, by), lambda s: f"Session {s.code} is {s.status}.", as_)


@cli.command()
def preference(
    practice: Annotated[str, typer.Argument(help="The practice's ODS code")],
    phone: Annotated[str, typer.Argument(help="The GP's phone number")],
    kind: Annotated[str, typer.Argument(help="prefer, block or none")],
    as_: AsOption = None,
) -> None:
    """A practice prefers a GP (offered first), blocks one (never offered), or neither."""
    choice = None if kind.lower() == "none" else kind.lower()
    _desk(
        lambda by: SetPracticePreference(practice, phone, choice, by),
        lambda _: f"{practice.upper()}: {kind}.",
        as_,
    )


@cli.command()
def available(
    day: Annotated[str, typer.Argument(help="A date (2026-12-03) or a day (tue)")],
    half: Annotated[str, typer.Argument(help="am or pm")],
) -> None:
    """Who has said they are available for a date and half day."""
    settings = _settings()
    parsed = parse_day(day, london_date(SystemClock().now()))
    if parsed is None or half not in ("am", "pm"):
        _fail("give a date and am or pm, e.g. available 2026-12-03 pm")

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


@cli.command("open")
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

    _desk(lambda by: OpenSessionsFor(phone, by), show, as_)


@cli.command()
def alerts(
    phone: Annotated[str, typer.Argument(help="The coordinator's or practice manager's phone number")],
    how: Annotated[str, typer.Argument(help="now, or daily")],
    at: Annotated[str | None, typer.Argument(help="For daily: the London time, like 17:00")] = None,
    as_: AsOption = None,
) -> None:
    """How a coordinator or practice manager hears about sessions: each event now, or one digest
    a day at their time (urgent events still at once)."""
    wanted = f"{how} {at}" if at else how
    _desk(
        lambda by: SetAlerts(phone, wanted, by),
        lambda member: f"{member.name} now hears about sessions: {member.alerts}.",
        as_,
    )


@cli.command()
def unreachable(days: Annotated[int, typer.Option(help="How far back to look")] = 7) -> None:
    """Messages that could not be delivered lately: GPs the pool could not reach, and why."""
    settings = _settings()

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


inbox_cli = typer.Typer(help="Messages the bot did not understand.", no_args_is_help=True)
cli.add_typer(inbox_cli, name="inbox")


@inbox_cli.command("list")
def inbox_list(done: Annotated[bool, typer.Option(help="Show those already done")] = False) -> None:
    """The inbox, oldest first: who wrote, when, on which channel, and what."""
    settings = _settings()

    async def run() -> None:
        pool = await open_pool(settings)
        try:
            items = await pool.store.reader().inbox.items("done" if done else "open")
        finally:
            await pool.close()
        if not items:
            typer.echo("The inbox is empty.")
        for item in items:
            who = item.member.name if item.member else f"{national(item.address)} (not a member)"
            when = item.received_at.astimezone(LONDON).strftime("%a %-d %b %H:%M")
            repeats = f" ({item.count} messages; the newest)" if item.count > 1 else ""
            typer.echo(f"#{item.id}  {when}  {who} by {item.channel}{repeats}: {item.body or '(deleted)'}")

    asyncio.run(run())


@inbox_cli.command("answer")
def inbox_answer(
    item: Annotated[int, typer.Argument(help="The message's number")],
    text: Annotated[str, typer.Argument(help="The answer, sent through the bot")],
    as_: AsOption = None,
) -> None:
    """Answer a message through the bot (on the channel it came from); it is then done."""
    _desk(lambda by: AnswerInbox(item, text, by), lambda _: f"Answered #{item}.", as_)


@inbox_cli.command("done")
def inbox_done(
    item: Annotated[int, typer.Argument(help="The message's number")], as_: AsOption = None
) -> None:
    """Mark a message done without answering it."""
    _desk(lambda by: CloseInbox(item, by), lambda _: f"#{item} is done.", as_)


slack_cli = typer.Typer(help="Setting up the Slack app.", no_args_is_help=True)
cli.add_typer(slack_cli, name="slack")


@slack_cli.command("manifest")
def slack_manifest() -> None:
    """Print the Slack app manifest with POOL_PUBLIC_URL filled in, to create the app from."""
    settings = _settings()
    text = (resources.files("config") / "slack_manifest.yaml").read_text(encoding="utf-8")
    typer.echo(text.replace("{public_url}", settings.public_url))


@slack_cli.command("link")
def slack_link() -> None:
    """Link members to Slack users by email now (users.lookupByEmail), rather than as each
    one first writes. About 40 a run: Slack allows some 50 lookups a minute."""
    settings = _settings()
    if not settings.slack_on:
        typer.echo("error: Slack is off: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET.", err=True)
        raise typer.Exit(2)

    async def run() -> tuple[int, int]:
        pool = await open_pool(settings)
        try:
            channel = pool.channels["slack"]
            assert isinstance(channel, SlackChannel)
            linked = await SlackDesk(pool, channel, settings.slack_signing_secret or "").link_by_email()
            left = await pool.store.reader().members.members_to_look_up_in_slack(
                pool.clock.now() - timedelta(days=1), 10_000
            )
            return linked, len(left)
        finally:
            await pool.close()

    linked, left = asyncio.run(run())
    typer.echo(f"Linked {linked} member{'s' if linked != 1 else ''} to Slack.")
    if left:
        typer.echo(f"{left} still to look up: run this again in a minute.")


telegram_cli = typer.Typer(
    help="Setting up the Telegram bot and linking members to it.", no_args_is_help=True
)
cli.add_typer(telegram_cli, name="telegram")


def _telegram_channel(pool: Pool) -> TelegramChannel:
    channel = pool.channels.get("telegram")
    if not isinstance(channel, TelegramChannel):
        typer.echo("error: Telegram is off: set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET.", err=True)
        raise typer.Exit(2)
    return channel


@telegram_cli.command("set-webhook")
def telegram_set_webhook() -> None:
    """Register POOL_PUBLIC_URL/telegram/webhook with Telegram, with the secret, and set the
    bot's command menu."""
    settings = _settings()
    _logging(settings)

    async def run() -> str:
        pool = await open_pool(settings)
        try:
            channel = _telegram_channel(pool)
            return await set_webhook(channel, settings.public_url, settings.telegram_webhook_secret or "")
        finally:
            await pool.close()

    typer.echo(f"Telegram will post updates to {asyncio.run(run())}; the command menu is set.")


@telegram_cli.command("link")
def telegram_link(
    phone: Annotated[str, typer.Argument(help="The member's phone number")],
    send: Annotated[bool, typer.Option(help="Also send it to them on the channel that reaches them")] = False,
    as_: AsOption = None,
) -> None:
    """A one-time link (7 days) that connects a member's Telegram to the pool."""
    settings = _settings()

    async def run() -> str:
        pool = await open_pool(settings)
        try:
            bot = await _telegram_channel(pool).ready()
            by = await _actor(pool, as_)
            return await pool.engine.execute(
                IssueLinkCode(phone, bot.username, send=send, by=by), actor=f"member:{by}" if by else "cli"
            )
        finally:
            await pool.close()

    try:
        link = asyncio.run(run())
    except Refused as refusal:
        typer.echo(f"error: {refusal.message}", err=True)
        raise typer.Exit(2) from None
    typer.echo(link)
    if send:
        typer.echo("Sent to them too (it goes when `serve` next sends).")


mentoring_cli = typer.Typer(help="Mentors, matching runs and approvals.", no_args_is_help=True)
cli.add_typer(mentoring_cli, name="mentoring")


@mentoring_cli.command("add-mentor")
def mentoring_add_mentor(
    phone: Annotated[str, typer.Argument(help="The mentor's phone")],
    capacity: Annotated[int, typer.Option(help="Mentees at once")] = 1,
    hours: Annotated[float, typer.Option(help="Hours per four weeks for each mentee")] = 1.0,
    interests: Annotated[str, typer.Option(help="';'-separated, e.g. 'teaching;minor surgery'")] = "",
    localities: Annotated[str, typer.Option(help="';'-separated")] = "",
    trained: Annotated[bool, typer.Option(help="Has done mentor training")] = False,
    as_: AsOption = None,
) -> None:
    """Put a member on the mentor register (or change their entry)."""
    split = [part.strip() for part in interests.split(";") if part.strip()]
    places = [part.strip() for part in localities.split(";") if part.strip()]
    _desk(
        lambda by: AddMentor(phone, capacity, hours, tuple(split), tuple(places), trained, by),
        lambda member: f"{member.name} is on the mentor register (up to {capacity} mentees).",
        as_,
    )


@mentoring_cli.command("leaves")
def mentoring_leaves(
    phone: Annotated[str, typer.Argument(help="The mentor's phone")], as_: AsOption = None
) -> None:
    """A mentor steps down: their mentees wait for the next match and hear who takes over."""
    _desk(
        lambda by: MentorLeaves(phone, by), lambda n: f"Off the register; {n} mentee(s) to match again.", as_
    )


@mentoring_cli.command("match")
def mentoring_match(as_: AsOption = None) -> None:
    """Propose pairs for the waiting mentees; nobody is told until they are approved."""

    def show(proposals: list) -> str:
        if not proposals:
            return "Nobody to pair: no one waiting, or no mentor with room."
        return "\n".join(
            f"#{number}  {mentee} with {mentor}: {p.why}" for number, p, mentee, mentor in proposals
        )

    _desk(lambda by: ProposeMatches(by), show, as_)


@mentoring_cli.command("approve")
def mentoring_approve(
    numbers: Annotated[list[int] | None, typer.Argument(help="Proposals to approve; none: all")] = None,
    as_: AsOption = None,
) -> None:
    """Approve proposals (all, or by number): both sides are introduced."""
    _desk(
        lambda by: ApproveMatches(tuple(numbers or ()), by),
        lambda n: f"Approved {n}; both sides introduced." if n else "Nothing to approve.",
        as_,
    )


groups_cli = typer.Typer(help="Peer groups: members, sessions, RSVPs, coffee rounds.", no_args_is_help=True)
cli.add_typer(groups_cli, name="groups")


def _phones(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.replace(",", ";").split(";") if part.strip())


@groups_cli.command("create")
def groups_create(
    name: Annotated[str, typer.Argument(help="The group's name, e.g. 'Northside new GPs'")],
    kind: Annotated[str, typer.Option(help="networking, action_learning, peer_support or coaching")],
    members: Annotated[str, typer.Option(help="Members' phones, ';'-separated")] = "",
    closed: Annotated[
        bool | None, typer.Option("--closed/--open", help="Default: closed for action_learning and coaching")
    ] = None,
    lead: Annotated[str | None, typer.Option(help="The lead's phone (default: --as)")] = None,
    as_: AsOption = None,
) -> None:
    """Create a peer group (a closed one invites its members only)."""
    _desk(
        lambda by: CreateGroup(name, kind.strip().lower(), _phones(members), closed, lead, by),
        lambda g: f"Group #{g.id} {g.name} ({'closed' if g.closed else 'open'}).",
        as_,
    )


@groups_cli.command("add-members")
def groups_add_members(
    group: Annotated[str, typer.Argument(help="The group's number or name")],
    phones: Annotated[list[str], typer.Argument(help="Members' phones")],
    as_: AsOption = None,
) -> None:
    """Add members; they are invited to the sessions already announced."""
    _desk(lambda by: AddGroupMembers(group, tuple(phones), by), lambda n: f"Added {n}.", as_)


@groups_cli.command("schedule")
def groups_schedule(
    group: Annotated[str, typer.Argument(help="The group's number or name")],
    start: Annotated[str, typer.Option(help="ISO 8601, London time unless an offset is given")],
    end: Annotated[str, typer.Option(help="ISO 8601, London time unless an offset is given")],
    place: Annotated[str, typer.Option(help="Where, e.g. 'Riverside Surgery, meeting room'")] = "",
    link: Annotated[str, typer.Option(help="A video link (https://...)")] = "",
    capacity: Annotated[int | None, typer.Option(help="Places; more go on a waitlist")] = None,
    every: Annotated[int, typer.Option(help="Repeat every this many weeks")] = 0,
    times: Annotated[int, typer.Option(help="How many sessions in all")] = 1,
    as_: AsOption = None,
) -> None:
    """Schedule a session, or a series; members are invited two weeks before each."""
    try:
        starts, ends = parse_when(start), parse_when(end)
    except ValueError as error:
        _fail(str(error))

    def show(made: list) -> str:
        return "\n".join(
            f"#{s.id}  {s.starts_at.astimezone(LONDON):%a %d %b %Y %H:%M}  {s.where}" for s in made
        )

    _desk(
        lambda by: ScheduleGroupSessions(group, starts, ends, place, link, capacity, every, times, by),
        show,
        as_,
    )


@groups_cli.command("cancel")
def groups_cancel(
    session: Annotated[int, typer.Argument(help="The session's number")], as_: AsOption = None
) -> None:
    """Cancel a session: those going or waiting are told."""
    _desk(lambda by: CancelGroupSession(session, by), lambda s: f"Cancelled #{s.id}.", as_)


@groups_cli.command("show")
def groups_show(
    group: Annotated[str, typer.Argument(help="The group's number or name")], as_: AsOption = None
) -> None:
    """The lead's view: members, and each session's RSVPs and attendance."""
    _desk(lambda by: ShowGroup(group, by), group_text, as_)


@groups_cli.command("coffee")
def groups_coffee(
    group: Annotated[str, typer.Argument(help="The group's number or name")],
    monthly: Annotated[
        bool | None, typer.Option("--monthly/--once", help="Keep a round every four weeks, or stop them")
    ] = None,
    as_: AsOption = None,
) -> None:
    """Pair the group's members who have not met (a trio when numbers are odd)."""
    _desk(lambda by: CoffeeRound(group, monthly, by), coffee_text, as_)


cost_cli = typer.Typer(help="The pool's running costs, against its set-up budget.", no_args_is_help=True)
cli.add_typer(cost_cli, name="cost")


@cost_cli.command("add")
def cost_add(
    day: Annotated[str, typer.Argument(help="The date, 2026-12-03")],
    amount: Annotated[str, typer.Argument(help="In pounds, e.g. 1250.50")],
    what: Annotated[str, typer.Argument(help="What it was for")],
    as_: AsOption = None,
) -> None:
    """Add a running cost (not GPs' pay) to the ledger."""
    try:
        when, pence = date.fromisoformat(day), money.pence(amount)
    except ValueError as error:
        _fail(str(error))
    _desk(
        lambda by: AddCost(when, pence, what, by),
        lambda c: f"Added cost #{c.id}: £{c.amount_pence / 100:,.2f}.",
        as_,
    )


@cli.command()
def report(
    json_: Annotated[bool, typer.Option("--json", help="As JSON")] = False,
    csv_: Annotated[bool, typer.Option("--csv", help="As CSV (metric,value)")] = False,
    year: Annotated[
        int | None, typer.Option(help="The financial year starting in April of this year")
    ] = None,
    as_: AsOption = None,
) -> None:
    """The pool's figures for a financial year (April to March), as NHS England asks for them."""

    def show(built: reports.PoolReport) -> str:
        if json_:
            return json.dumps(built.as_dict(), indent=2)
        if csv_:
            return spreadsheet.text(reports.as_rows(built)).rstrip("\n")
        return reports.as_text(built)

    _desk(lambda by: BuildReport(year, by), show, as_)


if __name__ == "__main__":
    cli()
