"""Slack: one endpoint for events, interactivity and slash commands, and the Web API out.

Receive: ``POST /slack/events`` goes to slack-bolt's AsyncApp, which checks the signing
secret and its 5-minute window. Every listener acknowledges at once and does its work after
(a tracked task), so Slack always has its answer well inside 3 seconds; a modal's submission
is the exception, because Slack wants its validation errors in the answer. Typed DMs, button
presses and desk commands become the core's Inbound or commands; the same event_id or
action twice has one effect.

Send: chat.postMessage to the member's user id (Slack opens the DM; no conversations.open,
whose tier would cap a broadcast at 50 a minute), with the facts as fields and the choices as
buttons; a message that supersedes its topic's first message edits it in place (chat.update).
429 with Retry-After, 5xx and network errors are transient; the dispatcher waits them out.

Linking: a member is matched by the Slack user id given at import, else by their email
(users.lookupByEmail), once, and the link is stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from fastapi import APIRouter, Request, Response
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters import slack_blocks as blocks
from bot import money
from bot.clock import LONDON, london_date
from bot.commands import (
    AnswerInbox,
    CloseInbox,
    DeskChat,
    ListInbox,
    MemberOverview,
    PostSession,
    PracticesToPost,
    RecordSlackLookups,
)
from bot.domain import Choice, Inbound, Member
from bot.errors import Refused
from bot.pool import Pool
from bot.ports import ChannelLimits, OutboxMessage, RetryLater, SendResult, Sent, Unreachable

log = logging.getLogger(__name__)
Ack = Callable[..., Awaitable[None]]
Json = dict[str, Any]

# Slack's answers that mean "try again later" rather than "this will never work".
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "fatal_error", "internal_error", "service_unavailable", "request_timeout"}
)
# chat.update answers for a message that can no longer be edited: post a new one instead.
CANNOT_EDIT = frozenset(
    {"message_not_found", "cant_update_message", "edit_window_closed", "channel_not_found"}
)
LOOKUPS_AT_ONCE = 40  # users.lookupByEmail is Tier 3: about 50 a minute
LOOK_AGAIN_AFTER = timedelta(days=1)
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


class SlackChannel:
    name = "slack"
    edits_are_free = True

    def __init__(self, token: str, api_base: str, per_second: float = 10.0) -> None:
        # Retries are the dispatcher's (it honours Retry-After through the store, surviving
        # restarts), so the SDK's own retry handlers are off.
        self.client = AsyncWebClient(token=token, base_url=api_base, timeout=10, retry_handlers=[])
        self.limits = ChannelLimits(per_second=per_second, per_address_interval=1.0, max_in_flight=10)
        self.background: set[asyncio.Task[None]] = set()

    def render(self, text: str, choices: Sequence[Choice]) -> str:
        buttons = " ".join(f"[{choice.label}]" for choice in choices)
        return f"{text}\n{buttons}" if buttons else text

    async def _session(self) -> None:
        # One connection pool for every call, made on the running loop.
        if self.client.session is None or self.client.session.closed:
            self.client.session = aiohttp.ClientSession()

    async def send(self, message: OutboxMessage) -> SendResult:
        await self._session()
        content = blocks.message_blocks(message.text, message.details, message.choices)
        try:
            if message.replaces:
                channel, _, ts = message.replaces.partition(":")
                try:
                    await self.client.chat_update(channel=channel, ts=ts, text=message.text, blocks=content)
                    return Sent(provider_id=message.replaces)
                except SlackApiError as error:
                    if error.response.get("error") not in CANNOT_EDIT:
                        raise
            posted = await self.client.chat_postMessage(
                channel=message.address, text=message.text, blocks=content, unfurl_links=False
            )
        except SlackApiError as error:
            return _failure(error)
        except (aiohttp.ClientError, TimeoutError) as error:
            return RetryLater(f"Slack {type(error).__name__}")
        return Sent(provider_id=f"{posted['channel']}:{posted['ts']}")

    def later(self, work: Awaitable[None]) -> None:
        """Run ``work`` after Slack has its answer; kept so a stop can wait for it."""
        task = asyncio.ensure_future(work)
        self.background.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("Slack work failed", exc_info=task.exception())

    async def idle(self) -> None:
        """Wait until the work started after acknowledgements is done (tests, stopping)."""
        while self.background:
            await asyncio.gather(*list(self.background), return_exceptions=True)

    async def aclose(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.idle(), 10)
        if self.client.session is not None:
            await self.client.session.close()


def _bolt_logger() -> logging.Logger:
    """Bolt's loggers take their settings from this one. Bolt logs a refused request's body
    at INFO (a GP's message is private), and warns that our client outranks the
    SLACK_BOT_TOKEN it reads itself (the client is how SLACK_API_BASE applies)."""
    bolt = logging.getLogger(f"{__name__}.bolt")
    if bolt.level == logging.NOTSET:
        bolt.setLevel(logging.WARNING)
    if not bolt.filters:
        bolt.addFilter(lambda record: "`token` will be unused" not in record.getMessage())
    return bolt


def _failure(error: SlackApiError) -> SendResult:
    status = error.response.status_code
    code = str(error.response.get("error") or "")
    reason = f"Slack {status} {code}".strip()
    if status == 429 or status >= 500 or code in TRANSIENT_ERRORS:
        after = error.response.headers.get("Retry-After") or error.response.headers.get("retry-after")
        try:
            return RetryLater(reason, after=float(after) if after is not None else None)
        except ValueError:
            return RetryLater(reason)
    return Unreachable(reason)


class SlackDesk:
    """The receiving half: Bolt's listeners, turned into the core's inbound and commands."""

    def __init__(self, pool: Pool, channel: SlackChannel, signing_secret: str) -> None:
        self.pool = pool
        self.channel = channel
        self.app = AsyncApp(
            client=channel.client,
            signing_secret=signing_secret,
            logger=_bolt_logger(),
            # The listeners acknowledge first and hand the rest to channel.later themselves.
            process_before_response=True,
        )
        self.handler = AsyncSlackRequestHandler(self.app)
        # Slack users who are not members, and when their profile was last looked at.
        self._not_members: dict[str, datetime] = {}
        self._listen()

    # -- who is writing -------------------------------------------------------------------

    async def member_for(self, user_id: str) -> Member | None:
        """The member linked to this Slack user; a user new to us is looked up once by the
        email on their Slack profile (users.info) and linked when a member has it."""
        reader = self.pool.store.reader()
        member = await reader.member_by_address("slack", user_id)
        if member is not None:
            return member
        checked = self._not_members.get(user_id)
        if checked is not None and self.pool.clock.now() - checked < LOOK_AGAIN_AFTER:
            return None  # looked up lately: someone not in the pool writing again
        self._not_members[user_id] = self.pool.clock.now()
        await self.channel._session()
        try:
            profile = (await self.channel.client.users_info(user=user_id))["user"].get("profile", {})
        except SlackApiError as error:
            log.warning("users.info: %s", error.response.get("error"))
            return None
        email = profile.get("email")
        found = await reader.member_by_email(email) if email else None
        if found is None or found.slack_user_id is not None:
            return None
        linked = await self.pool.engine.execute(
            RecordSlackLookups(((found.id, user_id),)), actor="slack:linking"
        )
        return await reader.member(found.id) if linked else None

    async def link_by_email(self, limit: int = LOOKUPS_AT_ONCE) -> int:
        """Look members' emails up in Slack (once; again a day after a miss), so those who
        have not written yet can be reached there too. Run every minute by ``serve``, and by
        ``slack link``. How many were linked."""
        await self.channel._session()
        now = self.pool.clock.now()
        pending = await self.pool.store.reader().members_to_look_up_in_slack(now - LOOK_AGAIN_AFTER, limit)
        found: list[tuple[int, str | None]] = []
        for member in pending:
            try:
                answer = await self.channel.client.users_lookupByEmail(email=member.email or "")
                found.append((member.id, answer["user"]["id"]))
            except SlackApiError as error:
                if error.response.get("error") == "users_not_found":
                    found.append((member.id, None))
                else:  # rate limited or down: try again with the next unknown user
                    log.warning("users.lookupByEmail: %s", error.response.get("error"))
                    break
        if not found:
            return 0
        return await self.pool.engine.execute(RecordSlackLookups(tuple(found)), actor="slack:linking")

    # -- the listeners --------------------------------------------------------------------

    def _listen(self) -> None:
        app = self.app

        @app.event("message")
        async def on_message(event: Json, body: Json) -> None:
            if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
                return  # only people's own words in a DM with the bot
            self.channel.later(
                self._receive(event["user"], blocks.unescape(event.get("text", "")), body["event_id"])
            )

        @app.event("app_home_opened")
        async def on_home(event: Json) -> None:
            if event.get("tab") == "home":
                self.channel.later(self.publish_home(event["user"]))

        @app.action(re.compile(r"^choice-\d+$"))
        async def on_choice(ack: Ack, body: Json, action: Json) -> None:
            await ack()
            user = body["user"]["id"]
            from_home = body.get("view", {}).get("type") == "home"
            self.channel.later(
                self._receive(
                    user,
                    action["value"],
                    f"action:{user}:{action['action_ts']}",
                    choice=True,
                    then_home=from_home,
                )
            )

        @app.command("/pool")
        async def on_pool(ack: Ack, command: Json, respond: Any) -> None:
            await ack()
            self.channel.later(self._pool_command(command, respond))

        @app.view(blocks.POST_CALLBACK)
        async def on_post(ack: Ack, body: Json, view: Json) -> None:
            # Validation errors belong in the answer itself, so the work comes first here.
            errors = await self._post_session(body["user"]["id"], view)
            if errors:
                await ack(response_action="errors", errors=errors)
            else:
                await ack()

        @app.action(blocks.INBOX_ANSWER)
        async def on_inbox_answer(ack: Ack, body: Json, action: Json) -> None:
            await ack()
            self.channel.later(self._open_inbox_answer(body, int(action["value"])))

        @app.action(blocks.INBOX_DONE)
        async def on_inbox_done(ack: Ack, body: Json, action: Json, respond: Any) -> None:
            await ack()
            self.channel.later(self._inbox_done(body["user"]["id"], int(action["value"]), respond))

        @app.view(blocks.INBOX_ANSWER)
        async def on_inbox_answered(ack: Ack, body: Json, view: Json) -> None:
            text = (blocks.submitted_values(view).get("answer") or "").strip()
            member = await self.member_for(body["user"]["id"])
            try:
                if member is None or not text:
                    raise Refused("Write an answer to send.", field="answer")
                await self.pool.engine.execute(
                    AnswerInbox(int(view["private_metadata"]), text, by=member.id),
                    actor=f"member:{member.id}",
                )
            except Refused as refusal:
                await ack(response_action="errors", errors={"answer": refusal.message})
                return
            await ack()

    # -- the work after the acknowledgement -----------------------------------------------

    async def _receive(
        self, user: str, text: str, external_id: str, choice: bool = False, then_home: bool = False
    ) -> None:
        await self.member_for(user)  # links by email first if this user is new to us
        await self.pool.engine.receive(
            Inbound(
                channel="slack",
                address=user,
                text=text,
                external_id=external_id,
                received_at=self.pool.clock.now(),
                choice=text if choice else None,
            )
        )
        if then_home:
            await self.publish_home(user)

    async def publish_home(self, user: str) -> None:
        await self.channel._session()
        member = await self.member_for(user)
        overview = None
        if member is not None:
            overview = await self.pool.engine.execute(MemberOverview(member.id), actor=f"member:{member.id}")
        view = blocks.home_view(member.name if member else "", overview, self.pool.policy.pool_name)
        try:
            await self.channel.client.views_publish(user_id=user, view=view)
        except SlackApiError as error:
            log.warning("views.publish: %s", error.response.get("error"))

    async def _pool_command(self, command: Json, respond: Any) -> None:
        await self.channel._session()
        user = command["user_id"]
        word = command.get("text", "").strip().split(" ", 1)[0].lower()
        member = await self.member_for(user)
        if member is None:
            await respond(
                f"Sorry, you're not registered with {self.pool.policy.pool_name}. "
                "Ask your pool coordinator to add you.",
                response_type="ephemeral",
            )
            return
        try:
            if word == "post":
                await self._open_post_form(member, command["trigger_id"])
                return
            if word == "inbox":
                items = await self.pool.engine.execute(ListInbox(by=member.id), actor=f"member:{member.id}")
                await respond(text="The inbox", blocks=blocks.inbox_blocks(items), response_type="ephemeral")
                return
            text = blocks.unescape(await self._mentions_as_phones(command.get("text", "")))
            answer = await self.pool.engine.execute(DeskChat(member.id, text), actor=f"member:{member.id}")
        except Refused as refusal:
            answer = refusal.message
        await respond(answer, response_type="ephemeral")

    async def _mentions_as_phones(self, text: str) -> str:
        """'book ABCD @Zoë' arrives as '<@U123|zoe>': the desk knows members by phone."""
        for user_id in MENTION.findall(text):
            member = await self.member_for(user_id)
            text = MENTION.sub(member.phone if member else "someone not in the pool", text, count=1)
        return text

    async def _open_post_form(self, member: Member, trigger_id: str) -> None:
        practices = await self.pool.engine.execute(PracticesToPost(member.id), actor=f"member:{member.id}")
        rate = money.pounds(self.pool.policy.default_rate_pence)
        view = blocks.post_session_modal(practices, rate, london_date(self.pool.clock.now()))
        await self.channel.client.views_open(trigger_id=trigger_id, view=view)

    async def _post_session(self, user: str, view: Json) -> dict[str, str]:
        """Post the modal's session; {block_id: problem} when it cannot be posted."""
        values = blocks.submitted_values(view)
        member = await self.member_for(user)
        if member is None:
            return {"practice": "You're not registered with the pool."}
        try:
            rate = money.pence(values.get("rate") or "")
        except ValueError:
            return {"rate": "Give the rate in pounds, like 320 or 320.50."}
        try:
            day = datetime.fromisoformat(values["date"]).date()
            start = _at(day, values["start"])
            end = _at(day, values["end"])
        except (KeyError, TypeError, ValueError):
            return {"date": "Choose a date, a start and an end."}
        if end <= start:  # 18:30 to 08:00: an overnight session ends the next morning
            end = _at(day + timedelta(days=1), values["end"])
        try:
            await self.pool.engine.execute(
                PostSession(
                    practice=values.get("practice") or "",
                    starts_at=start,
                    ends_at=end,
                    rate_pence=rate,
                    urgent="urgent" in (values.get("urgent") or []),
                    notes=(values.get("notes") or "").strip(),
                    posted_by=member.id,
                    via="slack",
                ),
                actor=f"member:{member.id}",
            )
        except Refused as refusal:
            field = refusal.field or "practice"
            block = next((b for b, f in blocks.POST_FIELDS.items() if f == field and b != "date"), "practice")
            return {block: refusal.message}
        return {}

    async def _open_inbox_answer(self, body: Json, item_id: int) -> None:
        member = await self.member_for(body["user"]["id"])
        item = await self.pool.store.reader().inbox_item(item_id)
        if member is None or not member.is_coordinator or item is None or item.state != "open":
            return
        await self.channel.client.views_open(
            trigger_id=body["trigger_id"], view=blocks.inbox_answer_modal(item)
        )

    async def _inbox_done(self, user: str, item_id: int, respond: Any) -> None:
        member = await self.member_for(user)
        if member is None:
            return
        try:
            await self.pool.engine.execute(CloseInbox(item_id, by=member.id), actor=f"member:{member.id}")
            items = await self.pool.engine.execute(ListInbox(by=member.id), actor=f"member:{member.id}")
        except Refused as refusal:
            await respond(refusal.message, response_type="ephemeral", replace_original=False)
            return
        await respond(text="The inbox", blocks=blocks.inbox_blocks(items), replace_original=True)


def _at(day: Any, hhmm: str) -> datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def slack_router(desk: SlackDesk) -> APIRouter:
    router = APIRouter(prefix="/slack", include_in_schema=False)

    @router.post("/events")
    async def events(request: Request) -> Response:
        return await desk.handler.handle(request)

    return router
