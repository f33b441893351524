"""Slack: one endpoint for events, interactivity and slash commands, and the Web API out.

Receive: ``POST /slack/events`` checks the signature over the raw body and its 5-minute
window (slack_sdk's SignatureVerifier) before anything is parsed; only then does slack-bolt's
AsyncApp read the body, and a body it cannot read is a 400. Every listener acknowledges at
once and does its work after (a tracked task), so Slack always has its answer well inside 3
seconds; a modal's submission is the exception, because Slack wants its validation errors in
the answer. Typed DMs, button presses and desk commands become the core's Inbound or
commands; the same event_id or action twice has one effect.

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
import os
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from fastapi import APIRouter, Request, Response
from slack_bolt import BoltResponse
from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
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
from bot.log_limit import LimitFilter, LogLimit
from bot.pool import Pool
from bot.ports import ChannelLimits, OutboxMessage, RetryLater, SendResult, Sent, Unreachable

log = logging.getLogger(__name__)
Ack = Callable[..., Awaitable[None]]
Json = dict[str, Any]

# Slack's answers that mean "try again later" rather than "this will never work".
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "fatal_error", "internal_error", "service_unavailable", "request_timeout"}
)
# Slack's refusals a coordinator may see, in words.
ERRORS_IN_WORDS = {
    "user_not_found": "not in the pool's Slack workspace",
    "channel_not_found": "not in the pool's Slack workspace",
    "account_inactive": "deactivated in Slack",
    "user_disabled": "deactivated in Slack",
    "not_allowed_token_type": "the Slack app is set up wrongly",
    "invalid_auth": "the Slack app is set up wrongly",
}
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
        self.log_limit = LogLimit()

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
                    await _call(
                        self.client.chat_update(channel=channel, ts=ts, text=message.text, blocks=content)
                    )
                    return Sent(provider_id=message.replaces)
                except SlackApiError as error:
                    if error_code(error) not in CANNOT_EDIT:
                        raise
            posted = await _call(
                self.client.chat_postMessage(
                    channel=message.address, text=message.text, blocks=content, unfurl_links=False
                )
            )
        except SlackApiError as error:
            return _failure(error)
        except (aiohttp.ClientError, TimeoutError) as error:
            return RetryLater(f"Slack {type(error).__name__}")
        return Sent(provider_id=f"{posted['channel']}:{posted['ts']}")

    def warn(self, method: str, error: SlackApiError) -> None:
        """A failed Web API call in one line, at most once a minute per method."""
        code = error_code(error) or "not Slack's answer"
        self.log_limit.log(log, logging.WARNING, method, "%s: %s", method, code)

    def later(self, work: Awaitable[None]) -> None:
        """Run ``work`` after Slack has its answer; kept so a stop can wait for it."""
        task = asyncio.ensure_future(work)
        self.background.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.background.discard(task)
        error = None if task.cancelled() else task.exception()
        if error is not None:
            self.log_limit.log(
                log, logging.ERROR, type(error).__name__, "Slack work failed: %s", type(error).__name__,
                exc_info=error,
            )  # fmt: skip

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
        # 'Unhandled request' for every event we do not listen to: a line a minute is enough.
        bolt.addFilter(LimitFilter())
    return bolt


def error_code(error: SlackApiError) -> str:
    """Slack's error name ('ratelimited', 'users_not_found'), or '' when the answer was not
    Slack's JSON at all (a proxy's HTML 502 reaches slack_sdk as a string, or as aiohttp's
    own response object)."""
    data = getattr(error.response, "data", None)
    return str(data.get("error") or "") if isinstance(data, dict) else ""


def _status(error: SlackApiError) -> int:
    response = error.response
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    return status if isinstance(status, int) else 0


def _failure(error: SlackApiError) -> SendResult:
    status, code = _status(error), error_code(error)
    reason = f"Slack {status} {code or 'not JSON'}" if status else "Slack: not its JSON"
    # No error name means the answer was not Slack's (a proxy's page): worth another try.
    if status == 429 or status >= 500 or not code or code in TRANSIENT_ERRORS:
        headers = getattr(error.response, "headers", None) or {}
        after = headers.get("Retry-After") or headers.get("retry-after")
        try:
            return RetryLater(reason, after=float(after) if after is not None else None)
        except ValueError:
            return RetryLater(reason)
    return Unreachable(ERRORS_IN_WORDS.get(code, f"Slack refused it: {code or status}"), code=code or None)


async def _call(work: Awaitable[Any]) -> Any:
    """A Web API call whose answer may not be Slack's JSON: slack_sdk reads a text/plain
    body as a string and then fails on it with AttributeError; that is a failed call too."""
    try:
        return await work
    except AttributeError as error:
        raise SlackApiError(f"not Slack's answer: {error}", None) from None


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
            # The route checks the signature on the raw body before Bolt parses anything.
            request_verification_enabled=False,
        )
        self.verifier = SignatureVerifier(signing_secret)
        self.log_limit = LogLimit()
        self._listen()

    def authentic(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """Slack's signature over the raw body, within its 5-minute window."""
        try:
            return self.verifier.is_valid(
                body=body,
                timestamp=headers.get("X-Slack-Request-Timestamp"),
                signature=headers.get("X-Slack-Signature"),
            )
        except (ValueError, TypeError):  # a timestamp that is not a number, a signature not ASCII
            return False

    def unreadable(self, error: Exception) -> None:
        """A signed request that Bolt failed to read, assuming a shape it did not have: the
        sender's problem, in one line."""
        kind = type(error).__name__
        self.log_limit.log(log, logging.INFO, f"bolt:{kind}", "Slack request Bolt could not read: %s", kind)

    # -- who is writing -------------------------------------------------------------------

    async def member_for(self, user_id: str) -> Member | None:
        """The member linked to this Slack user; a user new to us is looked up once by the
        email on their Slack profile (users.info) and linked when a member has it."""
        reader = self.pool.store.reader()
        member = await reader.members.member_by_address("slack", user_id)
        if member is not None:
            return member
        now = self.pool.clock.now()
        # Kept in the store, so that of several workers only one asks Slack, once a day at most.
        if not await self.pool.store.transact(
            lambda uow: uow.members.claim_slack_user_lookup(user_id, now, now - LOOK_AGAIN_AFTER)
        ):
            return None  # looked up lately: someone not in the pool writing again
        await self.channel._session()
        try:
            profile = (await _call(self.channel.client.users_info(user=user_id)))["user"].get("profile", {})
        except SlackApiError as error:
            self.channel.warn("users.info", error)
            return None
        email = profile.get("email")
        found = await reader.members.member_by_email(email) if email else None
        if found is None or found.slack_user_id is not None:
            return None
        linked = await self.pool.engine.execute(
            RecordSlackLookups(((found.id, user_id),)), actor="slack:linking"
        )
        return await reader.members.member(found.id) if linked else None

    async def link_by_email(self, limit: int = LOOKUPS_AT_ONCE) -> int:
        """Look members' emails up in Slack (once; again a day after a miss), so those who
        have not written yet can be reached there too. Run every minute by ``serve``, and by
        ``slack link``. How many were linked."""
        await self.channel._session()
        now = self.pool.clock.now()
        pending = await self.pool.store.reader().members.members_to_look_up_in_slack(
            now - LOOK_AGAIN_AFTER, limit
        )
        found: list[tuple[int, str | None]] = []
        for member in pending:
            try:
                answer = await _call(self.channel.client.users_lookupByEmail(email=member.email or ""))
                found.append((member.id, answer["user"]["id"]))
            except SlackApiError as error:
                if error_code(error) == "users_not_found":
                    found.append((member.id, None))
                else:  # rate limited or down: try again with the next unknown user
                    self.channel.warn("users.lookupByEmail", error)
                    break
        if not found:
            return 0
        return await self.pool.engine.execute(RecordSlackLookups(tuple(found)), actor="slack:linking")

    # -- the listeners --------------------------------------------------------------------

    def _listen(self) -> None:
        app = self.app

        @app.error
        async def on_error(error: Exception) -> BoltResponse:
            # A signed request we cannot use is the sender's problem: 400, one line, no
            # traceback. Anything else is ours, and its traceback is worth a line a minute.
            if isinstance(error, MalformedSlackRequest):
                self.log_limit.log(log, logging.INFO, "malformed", "Slack request without %s", error)
            elif _raised_in_bolt(error):
                self.unreadable(error)
            else:
                self.log_limit.log(
                    log, logging.ERROR, f"error:{type(error).__name__}", "Slack listener failed: %s",
                    type(error).__name__, exc_info=error,
                )  # fmt: skip
            return BoltResponse(status=400, body="a Slack request we could not read")

        @app.event("message")
        async def on_message(event: Json, body: Json) -> None:
            if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
                return  # only people's own words in a DM with the bot
            user, event_id = _field(event, "user"), _field(body, "event_id")
            text = event.get("text")
            self.channel.later(
                self._receive(user, blocks.unescape(text if isinstance(text, str) else ""), event_id)
            )

        @app.event("app_home_opened")
        async def on_home(event: Json) -> None:
            if event.get("tab") == "home":
                self.channel.later(self.publish_home(_field(event, "user")))

        @app.action(re.compile(r"^choice-\d+$"))
        async def on_choice(ack: Ack, body: Json, action: Json) -> None:
            user, value, ts = _field(body, "user", "id"), _field(action, "value"), _field(action, "action_ts")
            view = body.get("view")
            from_home = isinstance(view, dict) and view.get("type") == "home"
            await ack()
            self.channel.later(
                self._receive(user, value, f"action:{user}:{ts}", choice=True, then_home=from_home)
            )

        @app.command("/pool")
        async def on_pool(ack: Ack, command: Json, respond: Any) -> None:
            _field(command, "user_id"), _field(command, "response_url")  # who, and where to answer
            await ack()
            self.channel.later(self._pool_command(command, respond))

        @app.view(blocks.POST_CALLBACK)
        async def on_post(ack: Ack, body: Json, view: Json) -> None:
            # Validation errors belong in the answer itself, so the work comes first here.
            errors = await self._post_session(_field(body, "user", "id"), view)
            if errors:
                await ack(response_action="errors", errors=errors)
            else:
                await ack()

        @app.action(blocks.INBOX_ANSWER)
        async def on_inbox_answer(ack: Ack, body: Json, action: Json) -> None:
            user, item, trigger = (
                _field(body, "user", "id"),
                _number(action, "value"),
                _field(body, "trigger_id"),
            )
            await ack()
            self.channel.later(self._open_inbox_answer(user, item, trigger))

        @app.action(blocks.INBOX_DONE)
        async def on_inbox_done(ack: Ack, body: Json, action: Json, respond: Any) -> None:
            user, item = _field(body, "user", "id"), _number(action, "value")
            _field(body, "response_url")  # the inbox message, shown again without the item
            await ack()
            self.channel.later(self._inbox_done(user, item, respond))

        @app.view(blocks.INBOX_ANSWER)
        async def on_inbox_answered(ack: Ack, body: Json, view: Json) -> None:
            user, item = _field(body, "user", "id"), _number(view, "private_metadata")
            text = (blocks.submitted_values(view).get("answer") or "").strip()
            member = await self.member_for(user)
            try:
                if member is None or not text:
                    raise Refused("Write an answer to send.", field="answer")
                await self.pool.engine.execute(
                    AnswerInbox(item, text, by=member.id), actor=f"member:{member.id}"
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
            await _call(self.channel.client.views_publish(user_id=user, view=view))
        except SlackApiError as error:
            self.channel.warn("views.publish", error)

    async def _pool_command(self, command: Json, respond: Any) -> None:
        await self.channel._session()
        user = command["user_id"]
        typed = command.get("text")
        typed = typed if isinstance(typed, str) else ""
        word = typed.strip().split(" ", 1)[0].lower()
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
                await self._open_post_form(member, str(command.get("trigger_id") or ""))
                return
            if word == "inbox":
                items = await self.pool.engine.execute(ListInbox(by=member.id), actor=f"member:{member.id}")
                await respond(text="The inbox", blocks=blocks.inbox_blocks(items), response_type="ephemeral")
                return
            text = blocks.unescape(await self._mentions_as_phones(typed))
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
        professions = [(p.key, p.name) for p in self.pool.policy.professions]
        view = blocks.post_session_modal(practices, rate, london_date(self.pool.clock.now()), professions)
        await self._open_view(trigger_id, view)

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
                    professions=tuple(values.get("professions") or ("gp",)),
                ),
                actor=f"member:{member.id}",
            )
        except Refused as refusal:
            field = refusal.field or "practice"
            block = next((b for b, f in blocks.POST_FIELDS.items() if f == field and b != "date"), "practice")
            return {block: refusal.message}
        return {}

    async def _open_inbox_answer(self, user: str, item_id: int, trigger_id: str) -> None:
        member = await self.member_for(user)
        item = await self.pool.store.reader().inbox.inbox_item(item_id)
        if member is None or not member.is_coordinator or item is None or item.state != "open":
            return
        await self._open_view(trigger_id, blocks.inbox_answer_modal(item))

    async def _open_view(self, trigger_id: str, view: Json) -> None:
        try:
            await _call(self.channel.client.views_open(trigger_id=trigger_id, view=view))
        except SlackApiError as error:  # the trigger expired (3 s), or Slack is down
            self.channel.warn("views.open", error)

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


def _raised_in_bolt(error: BaseException) -> bool:
    """Whether the error came from Bolt's own code rather than a listener of ours."""
    trace = error.__traceback__
    while trace is not None and trace.tb_next is not None:
        trace = trace.tb_next
    return trace is not None and f"{os.sep}slack_bolt{os.sep}" in trace.tb_frame.f_code.co_filename


class MalformedSlackRequest(ValueError):
    """A signed request without a field the listener needs; its message names the field."""


def _field(payload: Any, *path: str) -> str:
    """The non-empty string at ``path`` in a Slack payload, or MalformedSlackRequest."""
    value = payload
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if not isinstance(value, str) or not value:
        raise MalformedSlackRequest("/".join(path))
    return value


def _number(payload: Any, key: str) -> int:
    value = _field(payload, key)
    if not (value.isascii() and value.isdigit()):
        raise MalformedSlackRequest(key)
    return int(value)


def _at(day: Any, hhmm: str) -> datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def slack_router(desk: SlackDesk) -> APIRouter:
    router = APIRouter(prefix="/slack", include_in_schema=False)

    @router.post("/events")
    async def events(request: Request) -> Response:
        body = await request.body()  # bounded by the request guard
        if not desk.authentic(body, request.headers):
            return Response("invalid request", status_code=401)
        try:
            bolt_request = AsyncBoltRequest(
                body=body.decode("utf-8"),
                query=request.query_params,  # type: ignore[arg-type]
                headers=request.headers,  # type: ignore[arg-type]
            )
        except Exception:  # Bolt reading it: not UTF-8, not JSON, or not the shape it assumes
            return Response("not a Slack request", status_code=400)
        payload = bolt_request.body
        if not isinstance(payload, dict) or not isinstance(payload.get("event", {}), dict):
            return Response("not a Slack request", status_code=400)
        try:
            answer = await desk.app.async_dispatch(bolt_request)
        except Exception as error:  # Bolt reading a payload of a shape it assumes (view without type)
            desk.unreadable(error)
            return Response("not a Slack request", status_code=400)
        return to_starlette_response(answer)

    return router
