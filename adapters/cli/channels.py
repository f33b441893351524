"""Setting up the chat channels: the Slack app, the Telegram bot and WhatsApp's templates."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from importlib import resources
from typing import Annotated

import typer

from adapters.cli.common import (
    AsOption,
    acting_member,
    open_pool,
    settings_or_exit,
    setup_logging,
)
from adapters.slack import SlackChannel, SlackDesk
from adapters.telegram import TelegramChannel, set_webhook
from bot.commands import (
    IssueLinkCode,
)
from bot.errors import Refused
from bot.pool import Pool

app = typer.Typer()


slack_cli = typer.Typer(help="Setting up the Slack app.", no_args_is_help=True)

app.add_typer(slack_cli, name="slack")

whatsapp_cli = typer.Typer(help="Setting up WhatsApp.", no_args_is_help=True)

app.add_typer(whatsapp_cli, name="whatsapp")


@whatsapp_cli.command("templates")
def whatsapp_templates() -> None:
    """Print each WhatsApp template (config/whatsapp_templates.toml) as it is submitted to Meta
    for approval: name, category, body, what each variable holds, buttons; and whether it is
    approved (has its HX sid). Refuses a template that breaks WhatsApp's rules."""
    from config.whatsapp_templates import for_approval, load_whatsapp_templates, problems

    broken = False
    for template in load_whatsapp_templates().values():
        typer.echo(for_approval(template))
        for problem in problems(template):
            typer.echo(f"  error: {problem}", err=True)
            broken = True
        typer.echo("")
    if broken:
        raise typer.Exit(1)


@slack_cli.command("manifest")
def slack_manifest() -> None:
    """Print the Slack app manifest with POOL_PUBLIC_URL filled in, to create the app from."""
    settings = settings_or_exit()
    text = (resources.files("config") / "slack_manifest.yaml").read_text(encoding="utf-8")
    typer.echo(text.replace("{public_url}", settings.public_url))


@slack_cli.command("link")
def slack_link() -> None:
    """Link members to Slack users by email now (users.lookupByEmail), rather than as each
    one first writes. About 40 a run: Slack allows some 50 lookups a minute."""
    settings = settings_or_exit()
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

app.add_typer(telegram_cli, name="telegram")


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
    settings = settings_or_exit()
    setup_logging(settings)

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
    settings = settings_or_exit()

    async def run() -> str:
        pool = await open_pool(settings)
        try:
            bot = await _telegram_channel(pool).ready()
            by = await acting_member(pool, as_)
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
