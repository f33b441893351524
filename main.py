"""The pool bot's command line: parses, wires, delegates. No logic lives here.

python main.py serve [--host H] [--port P]   webhooks, JSON API, sandbox, timer loop
python main.py demo                          a scripted pool day on the sandbox
python main.py seed                          load the fictional demo pool into POOL_DATABASE
python main.py chat --as PHONE               play a member on the sandbox from the terminal
python main.py post-session ...              post a session and offer it
"""

from __future__ import annotations

import asyncio
import logging
import random
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from fastapi import FastAPI

import flows
from adapters.sandbox import SandboxChannel, sandbox_router
from bot.clock import LONDON, Clock, FakeClock, SystemClock, london_date, parse_when
from bot.commands import PostSession
from bot.demo import DEMO_START, play, seed_pool
from bot.domain import Inbound
from bot.engine import Engine
from bot.errors import Refused
from bot.http import bearer_auth, create_app
from bot.outbox import Dispatcher
from bot.phones import to_e164
from bot.policy import PoolPolicy
from bot.pool import Pool
from bot.ports import Channel
from bot.render import text_with_choices
from bot.timers import TimerLoop
from config import ConfigError, Settings, load_settings
from config.demo import load_demo_pool
from config.safety import load_safety
from config.settings import admin_token
from flows.conversation import PoolConversation
from flows.safety import SafetyScreen
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
    )


def build_channels(settings: Settings) -> dict[str, Channel]:
    channels: dict[str, Channel] = {}
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
    timers = TimerLoop(engine, store, clock)
    return Pool(store, engine, dispatcher, timers, clock, channels, policy, settings.pool_poll_seconds)


def build_app(pool: Pool, token: str, run_background: bool = False) -> FastAPI:
    """The HTTP app with the webhooks of every channel that is on."""
    auth = bearer_auth(token)
    routers = []
    sandbox = pool.channels.get("sandbox")
    if isinstance(sandbox, SandboxChannel):
        routers.append(sandbox_router(pool, auth, sandbox))
    return create_app(pool, token, routers, run_background=run_background)


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
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
    _logging()
    token = admin_token(settings)

    async def run() -> None:
        pool = await open_pool(settings)
        app = build_app(pool, token.value, run_background=True)
        typer.echo(f"Pool bot on http://{host}:{port}  (database {settings.pool_database})")
        typer.echo(f"Channels on: {', '.join(pool.channels) or 'none'}. API docs: http://{host}:{port}/docs")
        if token.generated:
            typer.echo(f"Admin token (saved in {token.path}): {token.value}")
        elif token.path is not None:
            typer.echo(f"Admin token: in {token.path}")
        server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, access_log=False, log_level="info"))
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
        policy = PoolPolicy(pool_name=data["name"], wave_size=3, wave_wait=timedelta(minutes=30))
        pool = await open_pool(settings, clock=clock, rng=random.Random(2026), policy=policy)
        try:
            await play(pool, clock, data, emit)
        finally:
            await pool.store.close()


@cli.command()
def seed() -> None:
    """Load the fictional demo pool (practices, GPs, a coordinator) into POOL_DATABASE."""
    settings = _settings()

    async def run() -> None:
        pool = await open_pool(settings)
        try:
            added = await seed_pool(pool, load_demo_pool(), london_date(pool.clock.now()))
        finally:
            await pool.store.close()
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
    urgent: Annotated[bool, typer.Option(help="Offer to every eligible GP at once")] = False,
    notes: Annotated[str, typer.Option(help="A short note shown with the offer")] = "",
    as_: Annotated[str | None, typer.Option("--as", help="The poster's phone (a member)")] = None,
) -> None:
    """Post a session and send its first offers (the server's dispatcher sends them)."""
    settings = _settings()

    async def run() -> None:
        pool = await open_pool(settings)
        try:
            poster = None
            if as_:
                poster = await pool.store.reader().member_by_phone(to_e164(as_))
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
                ),
                actor=f"member:{poster.id}" if poster else "cli",
            )
            # The running server's dispatcher sends the offers, within the providers' limits.
            typer.echo(f"Posted session {session.code} (id {session.id}), status {session.status}.")
        finally:
            await pool.store.close()

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
        member = await reader.member_by_phone(phone)
        typer.echo(
            f"Sandbox chat as {member.name if member else phone + ' (not a member)'}. "
            "Type a reply and press Enter; Ctrl-D to leave."
        )
        last = 0
        count = 0

        async def show() -> None:
            nonlocal last
            for message in await reader.messages_to("sandbox", phone, last, pool.clock.now()):
                last = message.id
                stamp = message.created_at.astimezone(LONDON).strftime("%H:%M")
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
            await pool.store.close()

    asyncio.run(run())


if __name__ == "__main__":
    cli()
