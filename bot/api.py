"""The JSON API under /api/ (bearer token), as DESIGN.md's contract describes it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, Field, field_validator

from bot.clock import LONDON
from bot.commands import PostSession
from bot.domain import OfferState, Session
from bot.errors import Refused
from bot.pool import Pool


class SessionIn(BaseModel):
    practice: str = Field(description="The practice's ODS code", examples=["F84001"])
    start: datetime = Field(description="ISO 8601; without an offset, London time")
    end: datetime = Field(description="ISO 8601; without an offset, London time")
    rate_pence: int = Field(ge=0, le=10_000_000, description="Pay for the whole session, in pence")
    urgent: bool = False
    notes: str = Field(default="", max_length=500)

    @field_validator("start", "end")
    @classmethod
    def _london_by_default(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=LONDON)


class SessionCreated(BaseModel):
    id: int
    code: str
    status: str


class BookedGp(BaseModel):
    name: str
    phone: str


class OfferOut(BaseModel):
    name: str
    channel: str | None
    answer: Literal["accepted", "declined", "too_late"] | None = Field(
        description="accepted (booked), declined, too_late (said yes after it filled), or null"
    )
    status: str = Field(description="open, accepted, declined, withdrawn or expired")
    wave: int


class SessionOut(BaseModel):
    id: int
    code: str
    status: str
    practice: str
    start: datetime
    end: datetime
    rate_pence: int
    urgent: bool
    notes: str
    booked: BookedGp | None
    offers: list[OfferOut]


def _answer(state: OfferState, answer: str | None) -> str | None:
    if state == OfferState.ACCEPTED:
        return "accepted"
    if state == OfferState.DECLINED:
        return "declined"
    if answer == "yes":
        return "too_late"
    return None


def api_router(pool: Pool, auth: Callable[..., None]) -> APIRouter:
    router = APIRouter(prefix="/api", dependencies=[Depends(auth)], tags=["sessions"])

    @router.post("/sessions", status_code=status.HTTP_201_CREATED, response_model=SessionCreated)
    async def post_session(body: SessionIn) -> SessionCreated:
        command = PostSession(
            practice=body.practice.strip().upper(),
            starts_at=body.start,
            ends_at=body.end,
            rate_pence=body.rate_pence,
            urgent=body.urgent,
            notes=body.notes.strip(),
            posted_by=None,
            via="api",
        )
        try:
            session: Session = await pool.engine.execute(command, actor="api")
        except Refused as refusal:
            raise HTTPException(
                status_code=422, detail=[{"field": refusal.field or "", "problem": refusal.message}]
            ) from None
        return SessionCreated(id=session.id, code=session.code, status=session.status)

    @router.get("/sessions/{session_id}", response_model=SessionOut)
    async def get_session(session_id: int) -> SessionOut:
        view = await pool.store.reader().session_view(session_id)
        if view is None:
            raise HTTPException(status_code=404, detail="no such session")
        s = view.session
        return SessionOut(
            id=s.id,
            code=s.code,
            status=s.status,
            practice=s.practice,
            start=s.starts_at,
            end=s.ends_at,
            rate_pence=s.rate_pence,
            urgent=s.urgent,
            notes=s.notes,
            booked=BookedGp(name=view.booked.name, phone=view.booked.phone) if view.booked else None,
            offers=[
                OfferOut(
                    name=member.name,
                    channel=offer.channel,
                    answer=_answer(offer.state, offer.answer),
                    status=offer.state,
                    wave=offer.wave,
                )
                for offer, member in view.offers
            ],
        )

    return router
