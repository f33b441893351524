"""What every command shares: settings, logging, acting as a member, running a desk command."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, NoReturn

import typer
from fastapi import FastAPI

from bot.errors import Refused
from bot.phones import to_e164
from bot.pool import Pool
from config import ConfigError, Settings, load_settings
from config.settings import database_passwords


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


class Redact(logging.Filter):
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


def setup_logging(settings: Settings | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if settings is not None:
        redact = Redact(
            [
                settings.telegram_bot_token or "",
                settings.slack_bot_token or "",
                settings.twilio_auth_token or "",
                *database_passwords(settings.pool_database),  # a postgresql:// URL's, each form
            ]
        )
        for handler in logging.getLogger().handlers:
            handler.addFilter(redact)
    # httpx logs request URLs at INFO, and a Telegram URL carries the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


AsOption = Annotated[str | None, typer.Option("--as", help="Act as this member (phone); their role applies")]


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


async def acting_member(pool: Pool, phone: str | None) -> int | None:
    if phone is None:
        return None
    try:
        member = await pool.store.reader().members.member_by_phone(to_e164(phone))
    except ValueError as error:
        fail(f"{phone} is {error}")
    if member is None:
        fail(f"no member has the phone number {phone}")
    return member.id


def run_desk_command(
    make: Callable[[int | None], object],
    show: Callable[[Any], str] | Callable[[Any, Pool], Awaitable[str]],
    as_: str | None,
) -> None:
    """Run one desk command against POOL_DATABASE as the given member (or the admin).
    ``show`` words the result; an async one also gets the pool, to look up what it names."""
    settings = settings_or_exit()

    async def run() -> None:
        pool = await open_pool(settings)
        try:
            by = await acting_member(pool, as_)
            result = await pool.engine.execute(make(by), actor=f"member:{by}" if by else "cli")
            if inspect.iscoroutinefunction(show):
                typer.echo(await show(result, pool))
            else:
                typer.echo(show(result))  # type: ignore[call-arg]
        finally:
            await pool.close()

    try:
        asyncio.run(run())
    except Refused as refusal:
        fail(refusal.message)


# The CLI is a driving adapter: main.py wires the pool and imports this package, so the wiring is
# reached when a command runs, not when this module is imported.
async def open_pool(settings: Settings, **parts: Any) -> Pool:
    """The pool as main.py wires it, on the settings' database; nothing started yet."""
    import main

    return await main.open_pool(settings, **parts)


def build_app(
    pool: Pool, token: str, run_background: bool = False, settings: Settings | None = None
) -> FastAPI:
    """The HTTP app as main.py builds it."""
    import main

    return main.build_app(pool, token, run_background=run_background, settings=settings)
