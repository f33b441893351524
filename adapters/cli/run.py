"""Running the pool: serve, the demo, the demo pool, and chatting as a member on the sandbox."""

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

from adapters.cli.common import (
    build_app,
    open_pool,
    settings_or_exit,
    setup_logging,
)
from bot.clock import LONDON, FakeClock, london_date
from bot.demo import DEMO_START, play, seed_pool
from bot.domain import Inbound
from bot.log_limit import LimitFilter
from bot.phones import to_e164
from bot.policy import PoolPolicy
from bot.render import text_with_choices
from config import ConfigError, load_settings
from config.demo import load_demo_pool
from config.pensions import load_pension_rules
from config.professions import load_professions
from config.settings import admin_token
from flows.desk import report as reports
from flows.wellbeing import safety

app = typer.Typer()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
) -> None:
    """Start webhooks, the JSON API, the sandbox and the timer loop. SIGTERM stops it cleanly."""
    import uvicorn

    settings = settings_or_exit()
    setup_logging(settings)
    try:
        token = admin_token(settings)
    except ConfigError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None

    async def run() -> None:
        pool = await open_pool(settings)
        app = build_app(pool, token.value, run_background=True, settings=settings)
        typer.echo(f"Pool bot on http://{host}:{port}  (database {settings.database})")
        typer.echo(f"Channels on: {', '.join(pool.channels) or 'none'}. API docs: http://{host}:{port}/docs")
        # Sign-in links are sent out, so they name the public address, not the one listened on.
        links = f"{settings.public_url}/console/"
        typer.echo(f"Console: http://{host}:{port}/console/ (its sign-in links name {links})")
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


@app.command()
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
            pensions=load_pension_rules(),
        )
        pool = await open_pool(settings, clock=clock, rng=random.Random(2026), policy=policy)
        try:
            await play(pool, clock, data, emit, reports.as_text)
        finally:
            await pool.close()


@app.command()
def seed() -> None:
    """Load the fictional demo pool (practices, GPs, a coordinator) into POOL_DATABASE."""
    settings = settings_or_exit()

    async def run() -> None:
        pool = await open_pool(settings)
        try:
            added = await seed_pool(pool, load_demo_pool(), london_date(pool.clock.now()))
        finally:
            await pool.close()
        typer.echo(f"Added {added} members to {settings.database}. Try: python main.py chat --as 07700900101")

    asyncio.run(run())


@app.command()
def chat(
    as_: Annotated[str, typer.Option("--as", help="The member's phone number")],
) -> None:
    """Play a member on the sandbox channel: type replies, read what the bot sends."""
    settings = settings_or_exit()
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
