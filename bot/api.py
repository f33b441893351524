"""The JSON API under /api/ (bearer token), as DESIGN.md's contract describes it.

The bearer token is the pool's admin. A front end acting for a person (a practice portal,
say) adds ``X-Acting-As: <their phone>``, and that member's role then decides what the call
may do: a refusal is 403 and changes nothing.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from annotated_types import Interval
from fastapi import APIRouter, Depends, Header, HTTPException, Query, Response, status
from pydantic import AfterValidator, BaseModel, Field, model_validator

from bot.clock import LONDON
from bot.commands import (
    AddCost,
    AnswerInbox,
    BookByHand,
    BroadcastUrgent,
    BuildReport,
    CancelSession,
    CheckHistory,
    CloseInbox,
    EraseMember,
    GetDocument,
    ListUnreachable,
    OpenSessionsFor,
    PostSession,
    RecordCheck,
    RecordDelivery,
    RecordLeaving,
    SavePractice,
    SetAlerts,
    SetEngagement,
    SetPracticePreference,
    SetWhatsApp,
    WhatsAppStatus,
)
from bot.domain import CheckRecord, Document, Member, OfferState, Session
from bot.errors import Refused
from bot.phones import to_e164
from bot.pool import Pool
from bot.ports.whatsapp import WhatsAppView


def _london_by_default(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=LONDON)


# The store's integers are 64-bit (SQLite's): a larger number in a request is refused with a
# 422, never an overflow deep in a query.
MAX_INTEGER = 2**63 - 1
RowId = Annotated[int, Interval(ge=1, le=MAX_INTEGER)]

# A time in a request body: ISO 8601, read as London wall-clock time when it has no offset.
LondonTime = Annotated[
    datetime,
    AfterValidator(_london_by_default),
    Field(description="ISO 8601; without an offset, London time"),
]


class SessionIn(BaseModel):
    practice: str = Field(description="The practice's ODS code", examples=["F84001"])
    start: LondonTime
    end: LondonTime
    rate_pence: int = Field(ge=0, le=10_000_000, description="Pay for the whole session, in pence")
    urgent: bool = False
    notes: str = Field(default="", max_length=100, description="Shown with the offer; it goes by text")
    professions: list[str] = Field(
        default=["gp"],
        min_length=1,
        max_length=20,
        description="Who it is for: profession keys (config/professions.toml), e.g. gp, practice_nurse",
        examples=[["gp"], ["practice_nurse", "healthcare_assistant"]],
    )
    repeat_weeks: int = Field(
        default=1,
        ge=1,
        le=52,
        description="Post the same session this many weeks running (as the CSV's repeat_weeks); "
        "the answer is the first, GET /api/sessions lists them all",
    )


class SessionCreated(BaseModel):
    id: int
    code: str
    status: str


class SessionPosted(SessionCreated):
    offers_from: datetime | None = Field(
        description="When the first offers go, when quiet hours hold every one of them (posted at "
        "night); null when they go now or nobody was offered it"
    )


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
    professions: list[str]
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


class BookIn(BaseModel):
    phone: str | None = Field(default=None, description="The GP's phone number", examples=["07700 900123"])
    who: str | None = Field(
        default=None,
        max_length=200,
        description="Instead of phone: their phone number or their name, when exactly one clinician "
        "has it (any case, with or without 'Dr'); several are listed in the 422, with their phones",
        examples=["Deepa Menon"],
    )

    @model_validator(mode="after")
    def _one_of(self) -> BookIn:
        if (self.phone is None) == (self.who is None):
            raise ValueError("give phone or who (a phone number or a name), not both")
        return self


class CancelIn(BaseModel):
    reason: str = Field(default="", max_length=120, description="Told to the booked GP")


class DeliveredIn(BaseModel):
    hours: float = Field(gt=0, le=24, description="Hours the GP worked")


class AnswerIn(BaseModel):
    text: str = Field(min_length=1, max_length=200)


class PreferenceIn(BaseModel):
    kind: Literal["prefer", "block"] | None = Field(
        description="prefer (offered first), block (never offered), or null"
    )


class CostIn(BaseModel):
    date: date
    amount_pence: int = Field(gt=0, le=10_000_000_000, description="In pence, up to £100m")
    what: str = Field(min_length=1, max_length=200)


class Done(BaseModel):
    status: str


class Urgent(BaseModel):
    code: str
    offered: int = Field(
        description="GPs newly offered the session in its first chunk (a broadcast to more than 150 "
        "goes on a chunk at a time; GET /api/sessions/{id} shows every offer as it is made)"
    )


class SessionSummary(BaseModel):
    id: int
    code: str
    status: str
    practice: str
    start: datetime
    end: datetime
    urgent: bool
    professions: list[str]
    booked: BookedGp | None


class InboxMessage(BaseModel):
    id: int
    name: str | None = Field(description="The member, or null for someone not in the pool")
    channel: str
    address: str
    text: str | None = Field(description="The newest message; null once past the retention period")
    received_at: datetime
    count: int = Field(description="Messages from this number folded into the item (the newest is shown)")


class Unreached(BaseModel):
    name: str | None
    channel: str
    address: str
    kind: str = Field(description="What the message was: offer, booked, ...")
    status: str = Field(description="failed or undelivered")
    error_code: str | None = Field(description="The provider's code: 21610, 403, user_not_found")
    reason: str | None = Field(description="Why, in words: opted out by STOP, blocked the bot")
    at: datetime


class AlertsIn(BaseModel):
    alerts: str = Field(
        max_length=40, description="now, or daily with a London time: 'daily 17:00'", examples=["daily 17:00"]
    )


class AlertsOut(BaseModel):
    phone: str
    alerts: str


class PracticeIn(BaseModel):
    """Only the fields given change (a new practice needs its name)."""

    name: str | None = Field(default=None, max_length=200)
    pcn: str | None = Field(default=None, max_length=200)
    locality: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=400)
    clinical_system: str | None = Field(default=None, max_length=200)
    info_pack: str | None = Field(default=None, max_length=2000)
    phone: str | None = Field(
        default=None, max_length=40, description="The practice's own number; '' for none"
    )


class PracticeOut(BaseModel):
    ods_code: str
    name: str
    pcn: str
    locality: str
    address: str
    clinical_system: str
    info_pack: str
    phone: str = Field(description="E.164, or '' when the pool has none")


class OpenSession(BaseModel):
    code: str = Field(description="The answer code issued for this member: YES <code> books it")
    session_id: int
    session_code: str
    practice: str
    practice_name: str
    start: datetime
    end: datetime
    rate_pence: int
    urgent: bool
    professions: list[str]


class Person(BaseModel):
    name: str
    phone: str
    profession: str


class CheckIn(BaseModel):
    phone: str = Field(max_length=40)
    check: str = Field(max_length=40, description="identity, cct, indemnity, occupational_health, dbs, ...")
    expires: date | None = Field(description="The expiry; null: never lapses")
    verified_on: date | None = Field(default=None, description="When the evidence was seen (default today)")
    document: str | None = Field(
        default=None,
        description="The evidence, base64: a PDF, JPEG or PNG of 5 MB at most (type read from its content)",
    )


class CheckOut(BaseModel):
    id: int
    check: str
    expires: date | None
    verified_on: date | None
    verified_by: str | None = Field(description="Who recorded it; null: the pool's admin, or before history")
    source: str = Field(description="console, api, cli, import, or before (on record when history began)")
    document_id: int | None = Field(description="GET /api/documents/{id} (coordinators)")
    document_type: str | None
    recorded_at: datetime


class EngagementIn(BaseModel):
    engagement: Literal["employed", "self_employed", "limited_company"]


class EngagementOut(BaseModel):
    phone: str
    engagement: str | None


class WhatsAppIn(BaseModel):
    opt_in: bool | None = Field(
        default=None,
        description="true: opt them in (source 'console'; only once they said yes to you); false: opt "
        "them out of WhatsApp only; null: leave it",
    )
    number: str | None = Field(
        default=None, max_length=40, description="Their WhatsApp number when it is not their phone"
    )


class WhatsAppOut(BaseModel):
    phone: str
    number: str = Field(description="Their WhatsApp number (E.164): their phone unless set otherwise")
    status: Literal["not opted in", "asked", "unreachable", "open", "closed", "opted out"]
    opted_in_at: datetime | None
    opt_in_source: Literal["keyword", "inbound", "console"] | None
    requested_at: datetime | None = Field(description="When they sent WHATSAPP elsewhere, not yet confirmed")
    last_inbound_at: datetime | None
    window_closes_at: datetime | None = Field(description="24 hours after their last WhatsApp message")
    unreachable_at: datetime | None
    opted_out_at: datetime | None = Field(description="Their WhatsApp STOP, or a coordinator's opt-out")
    preferred: bool = Field(description="WhatsApp is their preferred channel")
    enabled: bool = Field(description="The pool has a WhatsApp sender")


def whatsapp_out(found: WhatsAppView) -> WhatsAppOut:
    s = found.state
    return WhatsAppOut(
        phone=found.phone, number=s.number, status=found.status, opted_in_at=s.opted_in_at,  # type: ignore[arg-type]
        opt_in_source=s.opt_in_source, requested_at=s.requested_at,  # type: ignore[arg-type]
        last_inbound_at=s.last_inbound_at, window_closes_at=found.window_closes_at,
        unreachable_at=s.unreachable_at, opted_out_at=found.opted_out_at, preferred=found.preferred,
        enabled=found.enabled,
    )  # fmt: skip


class LeaveIn(BaseModel):
    on: date | None = Field(default=None, description="The day they leave (default today)")
    undo: bool = Field(default=False, description="They are back: clear the day they left")


class LeftOut(BaseModel):
    phone: str
    left_on: date | None


def _check_out(record: CheckRecord) -> CheckOut:
    return CheckOut(
        id=record.id, check=record.kind, expires=record.expires, verified_on=record.verified_on,
        verified_by=record.verified_by, source=record.source, document_id=record.document_id,
        document_type=record.document_type, recorded_at=record.recorded_at,
    )  # fmt: skip


def acting_as_dependency(pool: Pool) -> Callable[..., Any]:
    """The member named by X-Acting-As (None: the admin), or 403."""

    async def acting_as(
        x_acting_as: Annotated[
            str | None, Header(description="Phone of the member the call acts for")
        ] = None,
    ) -> Member | None:
        if x_acting_as is None:
            return None
        try:
            member = await pool.store.reader().members.member_by_phone(to_e164(x_acting_as))
        except ValueError:
            member = None
        if member is None:
            raise HTTPException(status_code=403, detail="X-Acting-As is not a member of the pool")
        return member

    return acting_as


async def run_command(pool: Pool, command: object, by: Member | None) -> Any:
    """A command as the member (or the admin); a refusal is 403 (role) or 422, changing nothing."""
    try:
        return await pool.engine.execute(command, actor=f"member:{by.id}" if by else "api")
    except Refused as refusal:
        code = 403 if refusal.field == "role" else 422
        raise HTTPException(
            status_code=code, detail=[{"field": refusal.field or "", "problem": refusal.message}]
        ) from None


def api_router(pool: Pool, auth: Callable[..., None]) -> APIRouter:
    router = APIRouter(prefix="/api", dependencies=[Depends(auth)], tags=["pool"])
    reader = pool.store.reader

    acting_member = Depends(acting_as_dependency(pool))

    async def run(command: object, by: Member | None) -> Any:
        return await run_command(pool, command, by)

    async def code_of(session_id: RowId) -> str:
        session = await reader().sessions.session(session_id)
        if session is None:
            raise HTTPException(status_code=404, detail="no such session")
        return session.code

    def coordinators_only(by: Member | None) -> None:
        if by is not None and not by.is_coordinator:
            raise HTTPException(status_code=403, detail="only the pool's coordinators can see this")

    @router.post("/sessions", status_code=status.HTTP_201_CREATED, response_model=SessionPosted)
    async def post_session(body: SessionIn, by: Member | None = acting_member) -> SessionPosted:
        command = PostSession(
            practice=body.practice.strip().upper(),
            starts_at=body.start,
            ends_at=body.end,
            rate_pence=body.rate_pence,
            urgent=body.urgent,
            notes=body.notes.strip(),
            posted_by=by.id if by else None,
            via="api",
            professions=tuple(p.strip().lower() for p in body.professions),
            repeat_weeks=body.repeat_weeks,
        )
        session: Session = await run(command, by)
        return SessionPosted(
            id=session.id, code=session.code, status=session.status, offers_from=session.offers_from
        )

    @router.get("/sessions", response_model=list[SessionSummary])
    async def list_sessions(
        by: Member | None = acting_member,
        start: Annotated[date | None, Query(alias="from", description="First day (default today)")] = None,
        days: Annotated[int, Query(ge=1, le=366)] = 14,
    ) -> list[SessionSummary]:
        """The sessions starting in these days: the whole pool's for coordinators, their own
        practices' for a practice manager."""
        own = {r.split(":", 1)[1] for r in by.roles if r.startswith("practice:")} if by else set()
        if by is not None and not by.is_coordinator and not own:
            raise HTTPException(
                status_code=403, detail="only the pool's coordinators and practice managers can see this"
            )
        first = start or pool.clock.now().astimezone(LONDON).date()
        begin = datetime(first.year, first.month, first.day, tzinfo=LONDON)
        last = first + timedelta(days=days)
        stop = datetime(last.year, last.month, last.day, tzinfo=LONDON)
        found = await reader().sessions.sessions_between(begin, stop)
        if by is not None and not by.is_coordinator:
            found = [s for s in found if s.practice in own]
        booked = {s.id: m for _, s, m in await reader().bookings.bookings_between(begin, stop)}
        return [
            SessionSummary(
                id=s.id,
                code=s.code,
                status=s.status,
                practice=s.practice,
                start=s.starts_at,
                end=s.ends_at,
                urgent=s.urgent,
                professions=list(s.professions),
                booked=BookedGp(name=booked[s.id].name, phone=booked[s.id].phone) if s.id in booked else None,
            )
            for s in found
        ]

    @router.get("/members/{phone}/open", response_model=list[OpenSession], tags=["pool"])
    async def open_sessions(phone: str, by: Member | None = acting_member) -> list[OpenSession]:
        """What OPEN lists for this member: the open sessions they can take now, soonest first,
        each with the code issued for them (the member themselves or a coordinator)."""
        found = await run(OpenSessionsFor(phone, by.id if by else None), by)
        return [
            OpenSession(
                code=offer.code, session_id=s.id, session_code=s.code, practice=s.practice,
                practice_name=p.name, start=s.starts_at, end=s.ends_at, rate_pence=s.rate_pence,
                urgent=s.urgent, professions=list(s.professions),
            )
            for offer, s, p in found
        ]  # fmt: skip

    @router.put("/members/{phone}/alerts", response_model=AlertsOut)
    async def set_alerts(phone: str, body: AlertsIn, by: Member | None = acting_member) -> AlertsOut:
        """How a coordinator or practice manager hears about sessions: each event now, or one
        digest a day at their time (urgent events still at once). The member or a coordinator."""
        member = await run(SetAlerts(phone, body.alerts, by.id if by else None), by)
        return AlertsOut(phone=member.phone, alerts=member.alerts)

    @router.get("/practices", response_model=list[PracticeOut])
    async def list_practices() -> list[PracticeOut]:
        return [PracticeOut(**asdict(p)) for p in await reader().practices.all()]

    @router.put("/practices/{ods_code}", response_model=PracticeOut)
    async def save_practice(
        ods_code: str, body: PracticeIn, by: Member | None = acting_member
    ) -> PracticeOut:
        """Add a practice or change the fields given, with the CSV import's checks (coordinators)."""
        fields = tuple((k, v) for k, v in body.model_dump().items() if v is not None)
        saved = await run(SavePractice(ods_code, fields, by.id if by else None), by)
        return PracticeOut(**asdict(saved))

    @router.post("/sessions/{session_id}/book", response_model=SessionOut)
    async def book(session_id: RowId, body: BookIn, by: Member | None = acting_member) -> SessionOut:
        code, by_id = await code_of(session_id), by.id if by else None
        if body.phone is not None:
            command = BookByHand(code, body.phone, by_id, phone_only=True)
        else:
            command = BookByHand(code, body.who or "", by_id)
        await run(command, by)
        return await get_session(session_id, by)

    @router.post("/sessions/{session_id}/cancel", response_model=SessionCreated)
    async def cancel(session_id: RowId, body: CancelIn, by: Member | None = acting_member) -> SessionCreated:
        session: Session = await run(
            CancelSession(await code_of(session_id), by.id if by else None, body.reason.strip()), by
        )
        return SessionCreated(id=session.id, code=session.code, status=session.status)

    @router.post("/sessions/{session_id}/urgent", response_model=Urgent)
    async def urgent(session_id: RowId, by: Member | None = acting_member) -> Urgent:
        code = await code_of(session_id)
        offered: int = await run(BroadcastUrgent(code, by.id if by else None), by)
        return Urgent(code=code, offered=offered)

    @router.post("/sessions/{session_id}/delivered", response_model=SessionCreated)
    async def delivered(
        session_id: RowId, body: DeliveredIn, by: Member | None = acting_member
    ) -> SessionCreated:
        session: Session = await run(
            RecordDelivery(await code_of(session_id), body.hours, by.id if by else None), by
        )
        return SessionCreated(id=session.id, code=session.code, status=session.status)

    @router.get("/inbox", response_model=list[InboxMessage], tags=["inbox"])
    async def inbox(
        by: Member | None = acting_member, state: Literal["open", "done"] = "open"
    ) -> list[InboxMessage]:
        coordinators_only(by)
        return [
            InboxMessage(
                id=item.id,
                name=item.member.name if item.member else None,
                channel=item.channel,
                address=item.address,
                text=item.body,
                received_at=item.received_at,
                count=item.count,
            )
            for item in await reader().inbox.items(state)
        ]

    @router.post("/inbox/{item_id}/answer", response_model=Done, tags=["inbox"])
    async def answer(item_id: RowId, body: AnswerIn, by: Member | None = acting_member) -> Done:
        await run(AnswerInbox(item_id, body.text, by.id if by else None), by)
        return Done(status="done")

    @router.post("/inbox/{item_id}/done", response_model=Done, tags=["inbox"])
    async def done(item_id: RowId, by: Member | None = acting_member) -> Done:
        await run(CloseInbox(item_id, by.id if by else None), by)
        return Done(status="done")

    @router.get("/unreachable", response_model=list[Unreached], tags=["inbox"])
    async def unreachable(
        by: Member | None = acting_member, days: Annotated[int, Query(ge=1, le=90)] = 7
    ) -> list[Unreached]:
        """Messages that could not be delivered lately: GPs the pool could not reach."""
        return [
            Unreached(
                name=member.name if member else None,
                channel=change.channel,
                address=change.address,
                kind=change.kind,
                status=change.status,
                error_code=change.error_code,
                reason=change.error,
                at=at,
            )
            for change, member, at in await run(ListUnreachable(by.id if by else None, days), by)
        ]

    @router.get("/availability", response_model=list[Person])
    async def availability(
        day: Annotated[date, Query(alias="date")],
        half: Literal["am", "pm"],
        by: Member | None = acting_member,
    ) -> list[Person]:
        coordinators_only(by)
        return [
            Person(name=m.name, phone=m.phone, profession=m.profession)
            for m in await reader().members.available_members(day, half)
        ]

    @router.put("/practices/{ods_code}/preferences/{phone}", response_model=Done)
    async def preference(
        ods_code: str, phone: str, body: PreferenceIn, by: Member | None = acting_member
    ) -> Done:
        await run(SetPracticePreference(ods_code, phone, body.kind, by.id if by else None), by)
        return Done(status=body.kind or "none")

    @router.post("/costs", status_code=status.HTTP_201_CREATED, response_model=Done, tags=["report"])
    async def add_cost(body: CostIn, by: Member | None = acting_member) -> Done:
        await run(AddCost(body.date, body.amount_pence, body.what, by.id if by else None), by)
        return Done(status="added")

    @router.post("/checks", status_code=status.HTTP_201_CREATED, response_model=CheckOut, tags=["checks"])
    async def record_check(body: CheckIn, by: Member | None = acting_member) -> CheckOut:
        """Record or renew a member's check, with who verified it (the caller) and its evidence."""
        try:
            document = base64.b64decode(body.document, validate=True) if body.document else None
        except (binascii.Error, ValueError):
            raise HTTPException(
                status_code=422, detail=[{"field": "document", "problem": "the document is not base64"}]
            ) from None
        command = RecordCheck(
            body.phone, body.check, body.expires, body.verified_on, document, by.id if by else None, "api"
        )
        return _check_out(await run(command, by))

    @router.get("/members/{phone}/checks", response_model=list[CheckOut], tags=["checks"])
    async def check_history(phone: str, by: Member | None = acting_member) -> list[CheckOut]:
        """Every recording of the member's checks, newest first (coordinators)."""
        return [_check_out(r) for r in await run(CheckHistory(phone, by.id if by else None), by)]

    @router.get("/documents/{document_id}", tags=["checks"], response_class=Response)
    async def document(document_id: RowId, by: Member | None = acting_member) -> Response:
        """A check's evidence, as an attachment (coordinators; never in exports)."""
        found: Document = await run(GetDocument(document_id, by.id if by else None), by)
        return evidence_response(found)

    @router.post("/members/{phone}/leave", response_model=LeftOut, tags=["checks"])
    async def leave(phone: str, body: LeaveIn, by: Member | None = acting_member) -> LeftOut:
        """A member leaves the pool on a day (default today), or, with "undo", is back (coordinators)."""
        member = await run(RecordLeaving(phone, body.on, body.undo, by.id if by else None), by)
        return LeftOut(phone=member.phone, left_on=member.left_on)

    @router.put("/members/{phone}/engagement", response_model=EngagementOut, tags=["checks"])
    async def set_engagement(
        phone: str, body: EngagementIn, by: Member | None = acting_member
    ) -> EngagementOut:
        """How a clinician is engaged: employed, self_employed or limited_company (coordinators)."""
        member = await run(SetEngagement(phone, body.engagement, by.id if by else None), by)
        return EngagementOut(phone=member.phone, engagement=member.engagement)

    @router.get("/members/{phone}/whatsapp", response_model=WhatsAppOut, tags=["whatsapp"])
    async def whatsapp_status(phone: str, by: Member | None = acting_member) -> WhatsAppOut:
        """The member's WhatsApp: opted in (when, how), the window, unreachable, the number
        (coordinators, or the member)."""
        try:
            found = await pool.engine.query(
                WhatsAppStatus(phone, by.id if by else None), actor=f"member:{by.id}" if by else "api"
            )
        except Refused as refusal:
            raise HTTPException(
                status_code=403 if refusal.field == "role" else 422,
                detail=[{"field": refusal.field or "", "problem": refusal.message}],
            ) from None
        return whatsapp_out(found)

    @router.put("/members/{phone}/whatsapp", response_model=WhatsAppOut, tags=["whatsapp"])
    async def set_whatsapp(phone: str, body: WhatsAppIn, by: Member | None = acting_member) -> WhatsAppOut:
        """Opt a member in (only once they said yes to you), out of WhatsApp only, or set their
        WhatsApp number (coordinators)."""
        command = SetWhatsApp(phone, body.number, body.opt_in, by.id if by else None, "api")
        return whatsapp_out(await run(command, by))

    @router.post("/members/{phone}/erase", response_model=Done, tags=["checks"])
    async def erase(phone: str, by: Member | None = acting_member) -> Done:
        """Erase a member: what identifies them, their checks and documents go for good (coordinators)."""
        await run(EraseMember(phone, by.id if by else None), by)
        return Done(status="erased")

    @router.get("/report", tags=["report"])
    async def report(
        by: Member | None = acting_member, year: Annotated[int | None, Query(ge=2000, le=2100)] = None
    ) -> dict[str, Any]:
        built = await run(BuildReport(year, by.id if by else None), by)
        return built.as_dict()

    @router.get("/sessions/{session_id}", response_model=SessionOut)
    async def get_session(session_id: RowId, by: Member | None = acting_member) -> SessionOut:
        view = await pool.store.reader().sessions.session_view(session_id)
        if view is None:
            raise HTTPException(status_code=404, detail="no such session")
        if by is not None and not by.is_coordinator and f"practice:{view.session.practice}" not in by.roles:
            raise HTTPException(
                status_code=403, detail="only the pool's coordinators and the practice can see this"
            )
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
            professions=list(s.professions),
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


def evidence_response(found: Document) -> Response:
    """A document as a download, never shown in the browser: whatever it holds cannot run as
    a page of this site."""
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[found.content_type]
    return Response(
        found.content,
        media_type=found.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="check-evidence-{found.id}.{extension}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
