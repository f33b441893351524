"""The sandbox: a real channel that needs no credentials.

People are addressed by phone number, as on SMS, and read choices as reply words. Anyone with
the admin token can play any member over HTTP (``POST /sandbox/inbound``, ``GET
/sandbox/outbox``) or from the terminal (``python main.py chat --as <phone>``). With Twilio
off, the sandbox stands in for SMS, so a new pool can be tried in a minute.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from bot.api import MAX_INTEGER
from bot.domain import Choice, Inbound
from bot.phones import to_e164
from bot.pool import Pool
from bot.ports import ChannelLimits, OutboxMessage, SendResult, Sent
from bot.render import text_with_choices


class SandboxChannel:
    name = "sandbox"
    limits = ChannelLimits(per_second=None, per_address_interval=0.0, max_in_flight=1000)
    edits_are_free = True  # nothing here costs money

    async def send(self, message: OutboxMessage) -> SendResult:
        return Sent(provider_id=f"sandbox-{message.id}")

    def render(self, text: str, choices: Sequence[Choice]) -> str:
        return text_with_choices(text, choices)


class SandboxInbound(BaseModel):
    from_: str = Field(alias="from", description="The member's phone number", examples=["07700 900001"])
    text: str = Field(max_length=1600)
    id: str | None = Field(
        default=None,
        max_length=100,
        description="Optional message id; the same id twice has one effect, as with a provider",
    )


class SandboxReceived(BaseModel):
    status: str = Field(description="received, or duplicate when this id was seen before")


class ChoiceOut(BaseModel):
    label: str
    value: str


class SandboxMessage(BaseModel):
    id: int
    text: str = Field(description="The message as the person reads it, reply words included")
    choices: list[ChoiceOut]
    kind: str
    at: str = Field(
        description="When it went: sent, or when it became due (one held by quiet hours went at their end)"
    )


class SandboxOutbox(BaseModel):
    to: str
    messages: list[SandboxMessage]


def _phone(text: str) -> str:
    try:
        return to_e164(text)
    except ValueError as error:
        raise HTTPException(status_code=400, detail=f"'{text}' is {error}") from None


def sandbox_router(pool: Pool, auth: Callable[..., None], channel: SandboxChannel) -> APIRouter:
    router = APIRouter(prefix="/sandbox", dependencies=[Depends(auth)], tags=["sandbox"])

    @router.post("/inbound", response_model=SandboxReceived)
    async def inbound(body: SandboxInbound) -> SandboxReceived:
        message = Inbound(
            channel="sandbox",
            address=_phone(body.from_),
            text=body.text,
            external_id=body.id or uuid.uuid4().hex,
            received_at=pool.clock.now(),
        )
        first = await pool.engine.receive(message)
        return SandboxReceived(status="received" if first else "duplicate")

    @router.get("/outbox", response_model=SandboxOutbox)
    async def outbox(
        to: str = Query(description="The member's phone number"),
        after: int = Query(default=0, ge=0, le=MAX_INTEGER, description="Only messages with a larger id"),
    ) -> SandboxOutbox:
        phone = _phone(to)
        found = await pool.store.reader().messages.messages_to("sandbox", phone, after, pool.clock.now())
        return SandboxOutbox(
            to=phone,
            messages=[
                SandboxMessage(
                    id=m.id,
                    text=channel.render(m.body or "(deleted after the retention period)", m.choices),
                    choices=[ChoiceOut(label=c.label, value=c.value) for c in m.choices],
                    kind=m.kind,
                    at=m.went_at.isoformat(),
                )
                for m in found
            ],
        )

    return router
