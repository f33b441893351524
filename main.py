"""The pool bot's entry point: python main.py COMMAND. Here the parts are wired together (the
policy from the settings, the channels that are on, the store, the engine and its flows, the HTTP
app); the commands themselves are the CLI adapter in adapters/cli/, one module per area.

python main.py serve [--host H] [--port P]   webhooks, JSON API, sandbox, timer loop
python main.py demo                          a scripted pool day on the sandbox
python main.py seed                          load the fictional demo pool into POOL_DATABASE
python main.py chat --as PHONE               play a member on the sandbox from the terminal
python main.py post-session ...              post a session and offer it
python main.py --help                        every command
"""

from __future__ import annotations

import random
from datetime import timedelta

from fastapi import FastAPI

import flows
from adapters.cli import cli
from adapters.console import console_app
from adapters.sandbox import SandboxChannel, sandbox_router
from adapters.slack import SlackChannel, SlackDesk, slack_router
from adapters.sms import TwilioSms, twilio_router
from adapters.telegram import TelegramChannel, TelegramWebhook, telegram_router
from adapters.whatsapp import TwilioWhatsApp
from bot.clock import Clock, SystemClock
from bot.engine import Engine
from bot.http import bearer_auth, create_app
from bot.outbox import Dispatcher
from bot.phones import to_e164
from bot.policy import PoolPolicy
from bot.pool import Pool
from bot.ports import Channel
from bot.timers import TimerLoop
from config import Settings, load_settings
from config.pensions import load_pension_rules
from config.professions import load_professions
from config.safety import load_safety
from config.whatsapp_templates import load_whatsapp_templates
from flows.conversation.inbound import PoolConversation
from flows.wellbeing.safety import SafetyScreen
from storage import open_store


def policy_from(settings: Settings) -> PoolPolicy:
    return PoolPolicy(
        pool_name=settings.pool_name,
        wave_size=settings.pool_wave_size,
        wave_wait=timedelta(minutes=settings.pool_wave_minutes),
        filled_sms=settings.pool_filled_sms,
        wellbeing_lead_phone=to_e164(settings.pool_wellbeing_lead) if settings.pool_wellbeing_lead else None,
        message_retention=timedelta(days=settings.pool_message_retention_days),
        evidence_months=settings.pool_evidence_months,
        pay_rule=settings.pool_pay,
        mileage_pence=settings.pool_mileage_pence,
        signoff_days=settings.pool_signoff_days,
        invoice_days=settings.pool_invoice_days,
        pensions=load_pension_rules(),
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
    if settings.whatsapp_on:
        channels["whatsapp"] = TwilioWhatsApp(
            account_sid=settings.twilio_account_sid or "",
            auth_token=settings.twilio_auth_token or "",
            api_base=str(settings.twilio_api_base),
            public_url=settings.public_url,
            from_number=settings.twilio_whatsapp_from or "",
            per_second=settings.pool_whatsapp_per_second,
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
    store = await open_store(settings.pool_database)
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
        whatsapp_templates=load_whatsapp_templates(),
    )
    flows.register(engine)
    lease = timedelta(seconds=settings.pool_claim_lease_seconds)
    dispatcher = Dispatcher(store, channels, clock, poll_seconds=settings.pool_poll_seconds, lease=lease)
    engine.on_commit = dispatcher.wake
    dispatcher.on_failed = engine.messages_failed  # an offer that failed for good goes another way
    timers = TimerLoop(engine, store, clock, lease=lease)
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
    sms, whatsapp = pool.channels.get("sms"), pool.channels.get("whatsapp")
    sms = sms if isinstance(sms, TwilioSms) else None
    whatsapp = whatsapp if isinstance(whatsapp, TwilioWhatsApp) else None
    if sms or whatsapp:
        routers.append(twilio_router(pool, sms, whatsapp))  # one pair of webhooks for both
    slack = pool.channels.get("slack")
    desk = None
    if isinstance(slack, SlackChannel):
        secret = (settings or load_settings()).slack_signing_secret or ""
        desk = SlackDesk(pool, slack, secret)
        routers.append(slack_router(desk))
        pool.every(
            60, desk.link_by_email, name="slack-link"
        )  # members who have not written yet become reachable
    telegram = pool.channels.get("telegram")
    if isinstance(telegram, TelegramChannel):
        secret = (settings or load_settings()).telegram_webhook_secret or ""
        routers.append(telegram_router(TelegramWebhook(pool, telegram, secret)))
    app = create_app(pool, token, routers, run_background=run_background)
    app.mount("/console", console_app(pool, token))
    app.state.slack_desk = desk
    return app


if __name__ == "__main__":
    cli()
