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
    fail,
    open_pool,
    run_desk_command,
    settings_or_exit,
    setup_logging,
)
from adapters.slack import SlackChannel, SlackDesk
from adapters.telegram import TelegramChannel, set_webhook
from bot.clock import LONDON
from bot.commands import (
    IssueLinkCode,
    SetWhatsApp,
    WhatsAppStatus,
)
from bot.errors import Refused
from bot.pool import Pool
from bot.ports.whatsapp import WhatsAppView

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


SOURCES = {
    "inbound": "by writing to the pool on WhatsApp",
    "keyword": "by WHATSAPP, confirmed on WhatsApp",
    "console": "by a coordinator, after they said yes",
}


def describe_whatsapp(found: WhatsAppView) -> str:
    """A member's WhatsApp in a few lines, times in London."""
    s = found.state

    def at(moment: object) -> str:
        return f"{moment.astimezone(LONDON):%Y-%m-%d %H:%M}"  # type: ignore[attr-defined]

    lines = [f"{found.name} ({found.phone}): {found.status}", f"  number: {s.number}"]
    if s.opted_in_at:
        how = SOURCES.get(s.opt_in_source or "", s.opt_in_source)
        lines.append(f"  opted in: {at(s.opted_in_at)}, {how}")
    elif s.requested_at:
        lines.append(f"  asked by WHATSAPP {at(s.requested_at)}, not confirmed on WhatsApp yet")
    if found.opted_out_at:
        lines.append(f"  opted out of WhatsApp: {at(found.opted_out_at)}")
    closes = found.window_closes_at
    if found.status == "open" and closes:
        lines.append(f"  window: open until {at(closes)}")
    elif closes:
        lines.append(f"  window: closed since {at(closes)} (only messages with a template go)")
    if s.unreachable_at:
        lines.append(f"  unreachable since {at(s.unreachable_at)}: WhatsApp says it is not on WhatsApp")
    lines.append(f"  their channel: {'WhatsApp' if found.preferred else 'not WhatsApp'}")
    if not found.enabled:
        lines.append("  (this pool has no WhatsApp sender: set TWILIO_WHATSAPP_FROM)")
    return "\n".join(lines)


@whatsapp_cli.command("status")
def whatsapp_status(
    phone: Annotated[str, typer.Argument(help="The member's phone")],
    as_: AsOption = None,
) -> None:
    """A member's WhatsApp: opted in (when, how), the 24-hour window, unreachable, the number."""
    settings = settings_or_exit()

    async def run() -> WhatsAppView:
        pool = await open_pool(settings)
        try:
            by = await acting_member(pool, as_)
            command = WhatsAppStatus(phone, by)
            found: WhatsAppView = await pool.engine.query(command, actor=f"member:{by}" if by else "cli")
            return found
        finally:
            await pool.close()

    try:
        typer.echo(describe_whatsapp(asyncio.run(run())))
    except Refused as refusal:
        fail(refusal.message)


@whatsapp_cli.command("opt-in")
def whatsapp_opt_in(
    phone: Annotated[str, typer.Argument(help="The member's phone")],
    number: Annotated[str | None, typer.Option(help="Their WhatsApp number, when not their phone")] = None,
    as_: AsOption = None,
) -> None:
    """Opt a member in to WhatsApp, only once they have said yes to you: kept with the time and
    the source 'console'; WhatsApp becomes their channel. Never done by an import."""
    run_desk_command(lambda by: SetWhatsApp(phone, number, True, by, "cli"), describe_whatsapp, as_)


@whatsapp_cli.command("opt-out")
def whatsapp_opt_out(
    phone: Annotated[str, typer.Argument(help="The member's phone")],
    as_: AsOption = None,
) -> None:
    """Opt a member out of WhatsApp only, as their STOP there would: other channels carry on."""
    run_desk_command(lambda by: SetWhatsApp(phone, None, False, by, "cli"), describe_whatsapp, as_)


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
