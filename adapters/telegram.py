"""Telegram: a secret-checked webhook in, the Bot API out, through python-telegram-bot.

Receive: ``POST /telegram/webhook`` compares X-Telegram-Bot-Api-Secret-Token with
TELEGRAM_WEBHOOK_SECRET in constant time (403 and no effect otherwise), reads the update with
PTB's ``Update.de_json`` and hands private-chat messages and button presses to the engine;
the update_id is the external id, so a redelivered update has one effect. Every button press
is answered (answerCallbackQuery) with a short toast. PTB's Application is not used: the core's
outbox and timers are the only queue and scheduler.

Send: sendMessage with an inline keyboard for the choices (callback data is the choice's
value, within Telegram's 64 bytes); a message that supersedes its topic's first message
edits it (editMessageText). RetryAfter (429) and network errors are transient; a 403 means
the user blocked the bot, which the core records as an opt-out of Telegram.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response

# PTB 22 warns that RetryAfter.retry_after becomes a timedelta in its next major version;
# take that behaviour now (send() reads either).
os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.domain import Choice, Inbound
from bot.log_limit import LogLimit
from bot.pool import Pool
from bot.ports import ChannelLimits, OptedOut, OutboxMessage, RetryLater, SendResult, Sent, Unreachable
from bot.render import text_with_choices

log = logging.getLogger(__name__)

MAX_CALLBACK_BYTES = 64
# Chat commands that are the pool's keywords: /pause 20/12 is read as "PAUSE 20/12".
KEYWORD_COMMANDS = (
    "offers", "bookings", "available", "pause", "resume", "settings", "help", "checkin", "checkins",
    "open", "more",
)  # fmt: skip
DESK_COMMANDS = ("urgent", "status", "cancel", "book", "inbox", "answer", "done", "groups", "group", "meet")
MENU = [
    BotCommand("open", "Open sessions you can take now"),
    BotCommand("offers", "Your open offers"),
    BotCommand("bookings", "Your upcoming bookings"),
    BotCommand("available", "Say when you're free: /available tue pm"),
    BotCommand("pause", "No offers until a date: /pause 20/12"),
    BotCommand("resume", "Offers again"),
    BotCommand("settings", "Your settings"),
    BotCommand("checkin", "Wellbeing check-ins: /checkin weekly mon 09:00"),
    BotCommand("checkins", "Your own check-in answers"),
    BotCommand("help", "What you can send"),
    BotCommand("stop", "Unlink this chat from the pool"),
]
# What the toast on a pressed button says, by what the press led to.
TOASTS = {
    "booked": "Booked",
    "declined": "Declined",
    "already_filled": "Sorry, already filled",
    "cannot_book": "Couldn't book: see the message",
    "already_booked": "Already yours",
    "already_declined": "Already declined",
    "offer_expired": "That offer has closed",
    "session_cancelled": "That session was cancelled",
    "urgent_sent": "Sent",
}


# What the Bot API's refusals mean, in a coordinator's words (its descriptions are stable text).
REFUSALS_IN_WORDS = (
    ("bot was blocked by the user", "blocked the bot"),
    ("user is deactivated", "deleted their Telegram account"),
    ("bot can't initiate conversation", "never opened a chat with the bot"),
    ("chat not found", "never opened a chat with the bot"),
    ("bot was kicked", "removed the bot"),
)


def in_words(description: str) -> str:
    found = next((words for text, words in REFUSALS_IN_WORDS if text in description.lower()), None)
    return found or f"Telegram refused it: {description}"[:200]


class TelegramChannel:
    name = "telegram"
    edits_are_free = True

    def __init__(self, token: str, api_base: str, per_second: float = 30.0) -> None:
        self.bot = Bot(token=token, base_url=f"{api_base.rstrip('/')}/bot")
        # Telegram: about 30 messages a second overall, one a second in a chat.
        self.limits = ChannelLimits(per_second=per_second, per_address_interval=1.0, max_in_flight=30)
        self._ready = False

    async def ready(self) -> Bot:
        """The bot, initialised once (PTB calls getMe)."""
        if not self._ready:
            await self.bot.initialize()
            self._ready = True
        return self.bot

    def render(self, text: str, choices: Sequence[Choice]) -> str:
        buttons = " ".join(f"[{choice.label}]" for choice in choices)
        return f"{text}\n{buttons}" if buttons else text

    @staticmethod
    def keyboard(choices: Sequence[Choice]) -> InlineKeyboardMarkup | None:
        """One row of buttons, or a row for each group (each session of a batched offer)."""
        if not choices:
            return None
        rows: list[list[InlineKeyboardButton]] = []
        for n, choice in enumerate(choices):
            button = InlineKeyboardButton(choice.label, callback_data=choice.value)
            if rows and (choice.group is None or choice.group == choices[n - 1].group):
                rows[-1].append(button)
            else:
                rows.append([button])
        return InlineKeyboardMarkup(rows)

    async def send(self, message: OutboxMessage) -> SendResult:
        # A choice too long for callback data goes as reply words instead of buttons.
        fits = all(len(c.value.encode()) <= MAX_CALLBACK_BYTES for c in message.choices)
        text = message.text if fits else text_with_choices(message.text, message.choices)
        markup = self.keyboard(message.choices) if fits else None
        try:
            bot = await self.ready()
            if message.replaces:
                chat, _, message_id = message.replaces.partition(":")
                try:
                    await bot.edit_message_text(
                        text, chat_id=chat, message_id=int(message_id), reply_markup=markup
                    )
                    return Sent(provider_id=message.replaces)
                except BadRequest as error:
                    if "not modified" in str(error).lower():
                        return Sent(provider_id=message.replaces)
                    # Too old or gone: say it in a new message instead.
            sent = await bot.send_message(chat_id=message.address, text=text, reply_markup=markup)
        except RetryAfter as error:
            wait = error.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            return RetryLater("Telegram 429", after=seconds)
        except Forbidden as error:
            return OptedOut(in_words(error.message), code="403")
        except (TimedOut, NetworkError) as error:
            if isinstance(error, BadRequest):
                return Unreachable(in_words(error.message), code="400")
            return RetryLater(f"Telegram {type(error).__name__}")
        except TelegramError as error:
            return Unreachable(in_words(error.message))
        return Sent(provider_id=f"{sent.chat_id}:{sent.message_id}")

    async def aclose(self) -> None:
        if self._ready:
            await self.bot.shutdown()


class TelegramWebhook:
    """The receiving half: updates from our route, turned into the core's inbound."""

    def __init__(self, pool: Pool, channel: TelegramChannel, secret: str) -> None:
        self.pool = pool
        self.channel = channel
        self.secret = secret.encode()
        self.log_limit = LogLimit()

    def authentic(self, given: str | None) -> bool:
        return given is not None and secrets.compare_digest(given.encode(), self.secret)

    async def handle(self, data: dict[str, Any]) -> None:
        bot = await self.channel.ready()
        try:
            update = Update.de_json(data, bot)
            if not _complete(update):
                raise ValueError("a message without its chat, or a press without who pressed")
        except Exception as error:  # PTB raises whatever its constructors raise on foreign data
            # Authentic but unreadable (a field this PTB does not know the shape of): Telegram
            # redelivers anything but a 2xx, again and again, so it is taken and noted once.
            self.log_limit.log(
                log, logging.WARNING, type(error).__name__, "Telegram update %s not readable: %s",
                data.get("update_id"), type(error).__name__,
            )  # fmt: skip
            return
        if update.callback_query is not None:
            await self._pressed(update)
        elif update.message is not None and update.message.chat.type == "private":
            await self._message(update)
        elif update.message is not None and (update.message.text or "").startswith("/start"):
            try:  # outside the outbox: nobody in a group is a member to queue it for
                await bot.send_message(
                    update.message.chat_id, "Please open your link in a private chat with me, not in a group."
                )
            except TelegramError as error:  # removed from the group, or not allowed to post
                log.info("group reply: %s", error.message)
        # Anything else (groups, channels, edits, members joining) is not for the pool.

    async def _message(self, update: Update) -> None:
        message = update.message
        assert message is not None
        sender = message.from_user
        if sender is None or sender.is_bot:
            # Only people get answers: another bot's message (or a channel's) changes nothing.
            self.log_limit.log(log, logging.INFO, "bot", "Telegram message from a bot ignored")
            return
        chat = str(message.chat_id)
        text = message.text or message.caption or ""
        media = 0 if message.text is not None else 1
        command, _, argument = text.partition(" ")
        name = command[1:].split("@", 1)[0].lower() if command.startswith("/") else ""
        external = f"update:{update.update_id}"
        if name == "start":
            if argument.strip():
                await self._receive(chat, argument.strip(), external, chat_action="link")
            else:
                await self._receive(chat, "HELP", external)
            return
        if name == "stop":
            await self._receive(chat, "", external, chat_action="unlink")
            return
        if name in DESK_COMMANDS:
            await self._receive(chat, f"{name} {argument}".strip(), external, chat_action="desk")
            return
        if name in KEYWORD_COMMANDS:
            text = f"{name.upper()} {argument}".strip()
        await self._receive(chat, text, external, media=media, forwarded=message.forward_origin is not None)

    async def _pressed(self, update: Update) -> None:
        query = update.callback_query
        assert query is not None
        if query.message is not None:
            chat = str(query.message.chat.id)
        elif query.from_user is not None:
            chat = str(query.from_user.id)
        else:  # Telegram always says who pressed; an update that does not is not Telegram's
            return
        reader = self.pool.store.reader()
        if await reader.members.member_by_address("telegram", chat) is None:
            await self._toast(query.id, "This chat isn't linked to the pool")
            return
        before = await reader.messages.messages_to("telegram", chat, 0, self.pool.clock.now())
        fresh = await self._receive(chat, query.data or "", f"update:{update.update_id}", choice=True)
        after = await reader.messages.messages_to(
            "telegram", chat, before[-1].id if before else 0, self.pool.clock.now()
        )
        toast = (
            "Already done"
            if not fresh
            else next((TOASTS[m.kind] for m in reversed(after) if m.kind in TOASTS), "Done")
        )
        await self._toast(query.id, toast)

    async def _toast(self, query_id: str, text: str) -> None:
        try:
            await self.channel.bot.answer_callback_query(query_id, text=text)
        except TelegramError as error:  # too late to answer: the button stops spinning anyway
            log.info("answerCallbackQuery: %s", error.message)

    async def _receive(
        self, chat: str, text: str, external_id: str, choice: bool = False, media: int = 0,
        chat_action: str | None = None, forwarded: bool = False,
    ) -> bool:  # fmt: skip
        return await self.pool.engine.receive(
            Inbound(
                channel="telegram",
                address=chat,
                text=text,
                external_id=external_id,
                received_at=self.pool.clock.now(),
                choice=text if choice else None,
                media_count=media,
                chat_action=chat_action,
                forwarded=forwarded,
            )
        )


def _complete(update: Update | None) -> bool:
    """PTB fills a required field it was given as null with None rather than refusing it;
    Telegram always sends these, so an update without them is not Telegram's."""
    if update is None:
        return False
    message = update.message
    if message is not None and (message.chat is None or message.chat.id is None or message.chat.type is None):
        return False
    query = update.callback_query
    return query is None or (query.from_user is not None and query.id is not None)


def telegram_router(webhook: TelegramWebhook) -> APIRouter:
    router = APIRouter(prefix="/telegram", include_in_schema=False)

    @router.post("/webhook")
    async def receive(request: Request) -> Response:
        if not webhook.authentic(request.headers.get("X-Telegram-Bot-Api-Secret-Token")):
            return Response("forbidden", status_code=403)
        try:
            data = await request.json()
        except ValueError:
            return Response("not JSON", status_code=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return Response("not a Telegram update", status_code=400)
        await webhook.handle(data)
        return Response(status_code=200)

    return router


async def set_webhook(channel: TelegramChannel, public_url: str, secret: str) -> str:
    """Register POOL_PUBLIC_URL/telegram/webhook with the secret, and the command menu."""
    bot = await channel.ready()
    url = f"{public_url.rstrip('/')}/telegram/webhook"
    await bot.set_webhook(url=url, secret_token=secret, allowed_updates=["message", "callback_query"])
    await bot.set_my_commands(MENU)
    return url
