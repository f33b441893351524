"""Posting a session, a session's page, and acting on it: make urgent, cancel, book by hand,
record delivery. Each action is the same command the API runs, as the signed-in member; a
refusal is shown beside its field and changes nothing."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.console.auth import Console, actor_of, by_of, path_number, redirect
from adapters.console.views import page
from bot.clock import LONDON, london_date
from bot.commands import (
    BookByHand,
    BroadcastUrgent,
    CancelSession,
    ConfirmHours,
    FindPeopleToBook,
    ListSignOffs,
    PostSession,
    PracticesToPost,
    QueryHours,
    RecordDelivery,
    ShowSession,
)
from bot.domain import Session
from bot.errors import Refused
from bot.ports import SessionPage, SignOffRow
from bot.ports.signin import SignedIn

DONE = {
    "posted": "Session posted: its offers are on their way.",
    "urgent": "Offered to everyone eligible now.",
    "cancelled": "Session cancelled: whoever was booked or offered it has been told.",
    "booked": "Booked: they have been told.",
    "delivered": "Delivery recorded.",
    "hours_confirmed": "Hours confirmed: the pay is worked out and kept, and the clinician told.",
    "hours_queried": "Hours queried: the coordinators have been told and will settle them.",
}
MAX_QUERY = 100  # the practice's words go to the coordinators by text
# Where a refusal of each field is shown on the post form (the command's field -> the form's).
POST_FIELDS = {"practice": "practice", "role": "practice", "start": "start", "end": "end", "rate": "rate",
               "professions": "professions", "notes": "notes", "repeat_weeks": "repeat_weeks"}  # fmt: skip


def routes(console: Console) -> list[Route]:
    pool = console.pool
    engine = pool.engine

    # -- posting ------------------------------------------------------------------------------

    async def post_form(
        request: Request, signed: SignedIn, values: dict[str, Any], errors: dict[str, str], status: int = 200
    ) -> Response:
        try:
            practices = await engine.query(PracticesToPost(by_of(signed)), actor=actor_of(signed))
        except Refused:
            return page(
                request, "problem.html", status=403, signed=signed, title="You cannot post sessions",
                message="Only the pool's coordinators and practice managers can post sessions.",
            )  # fmt: skip
        professions = [(p.key, p.word) for p in pool.engine.policy.professions]
        return page(
            request, "post.html", status=status, signed=signed, nav="post", practices=practices,
            professions_offered=professions, values=values, errors=errors,
        )  # fmt: skip

    async def new(request: Request) -> Response:
        signed = await console.require(request)
        values = {"professions": ["gp"], "repeat_weeks": "1", "start": "08:30", "end": "12:30"}
        return await post_form(request, signed, values, {})

    async def create(request: Request) -> Response:
        signed = await console.require(request)
        form = await console.form(request, signed)
        values = _post_values(form)
        errors, command = _post_command(values, by_of(signed))
        if command is None:
            return await post_form(request, signed, values, errors, status=422)
        try:
            session = await engine.execute(command, actor=actor_of(signed))
        except Refused as refusal:
            field = POST_FIELDS.get(refusal.field or "", "practice")
            status = 403 if refusal.field == "role" else 422
            return await post_form(request, signed, values, {field: refusal.message}, status=status)
        return redirect(f"/sessions/{session.id}?done=posted")

    # -- one session --------------------------------------------------------------------------

    async def page_for(request: Request, signed: SignedIn) -> SessionPage | None:
        try:
            found: SessionPage = await engine.query(
                ShowSession(path_number(request, "session_id"), by_of(signed)), actor_of(signed)
            )
        except Refused:
            return None  # another practice's session is as good as absent
        return found

    async def signoff_of(signed: SignedIn, session: Session) -> SignOffRow | None:
        """The session's hours and pay as ListSignOffs gives them to this person (None: no
        hours reported yet, or not theirs to see)."""
        month = london_date(session.starts_at).replace(day=1)
        try:
            rows = await engine.query(
                ListSignOffs(month, by_of(signed), practice=session.practice), actor_of(signed)
            )
        except Refused:
            return None
        return next((r for r in rows if r.session.id == session.id), None)

    async def show(request: Request, signed: SignedIn | None = None, **context: Any) -> Response:
        signed = signed or await console.require(request)
        shown = await page_for(request, signed)
        if shown is None:
            return page(request, "problem.html", status=404, signed=signed, title="Session not found",
                        message="There is no such session, or it is not one of your practice's.")  # fmt: skip
        status = int(context.pop("status", 200))
        done = DONE.get(request.query_params.get("done", ""))
        signoff = await signoff_of(signed, shown.view.session)
        own = bool(signoff and signed.member and signed.member.id == signoff.signoff.member_id)
        return page(
            request, "session.html", status=status, signed=signed, view=shown.view, done=done,
            can={"manage": shown.may_manage, "book": shown.may_book,
                 "sign": shown.may_manage and not own and signoff is not None
                 and signoff.signoff.state == "awaiting"},
            now=pool.clock.now(), signoff=signoff, max_query=MAX_QUERY,
            pay_month=f"{london_date(shown.view.session.starts_at):%Y-%m}",
            errors=context.pop("errors", {}), values=context.pop("values", {}), nav="board", **context,
        )  # fmt: skip

    async def act(request: Request, make: Any, done: str, field: str) -> Response:
        signed = await console.require(request)
        form = await console.form(request, signed)
        shown = await page_for(request, signed)
        if shown is None:
            return await show(request, signed)
        view = shown.view
        values = {k: str(v)[:500] for k, v in form.items() if k != "csrf"}
        try:
            command = make(view.session.code, form, by_of(signed))
            await engine.execute(command, actor=actor_of(signed))
        except Refused as refusal:
            status = 403 if refusal.field == "role" else 422
            return await show(request, signed, status=status, errors={field: refusal.message}, values=values)
        except ValueError as error:
            return await show(request, signed, status=422, errors={field: str(error)}, values=values)
        return redirect(f"/sessions/{view.session.id}?done={done}")

    async def urgent(request: Request) -> Response:
        return await act(request, lambda code, form, by: BroadcastUrgent(code, by), "urgent", "urgent")

    async def cancel(request: Request) -> Response:
        def make(code: str, form: FormData, by: int | None) -> CancelSession:
            reason = str(form.get("reason") or "").strip()
            if len(reason) > 120:
                raise ValueError("Keep the reason to 120 characters: it goes by text.")
            return CancelSession(code, by, reason)

        return await act(request, make, "cancelled", "reason")

    async def book(request: Request) -> Response:
        def make(code: str, form: FormData, by: int | None) -> BookByHand:
            who = str(form.get("who") or "").strip()
            if not who or len(who) > 200:
                raise ValueError("Enter the name or phone number of the person to book.")
            return BookByHand(code, who, by)

        return await act(request, make, "booked", "who")

    async def delivered(request: Request) -> Response:
        def make(code: str, form: FormData, by: int | None) -> RecordDelivery:
            try:
                hours = float(str(form.get("hours") or "").strip())
            except ValueError:
                raise ValueError("Enter the hours worked as a number, like 4 or 3.5.") from None
            if not 0 < hours <= 24:
                raise ValueError("Enter the hours worked, more than 0 and at most 24.")
            return RecordDelivery(code, hours, by)

        return await act(request, make, "delivered", "hours")

    async def confirm_hours(request: Request) -> Response:
        def make(code: str, form: FormData, by: int | None) -> ConfirmHours:
            return ConfirmHours(code, by, "console")

        return await act(request, make, "hours_confirmed", "hours-and-pay")

    async def query_hours(request: Request) -> Response:
        def make(code: str, form: FormData, by: int | None) -> QueryHours:
            text = " ".join(str(form.get("query") or "").split())
            if not text:
                raise ValueError("Say what is wrong with the hours, for a coordinator to settle.")
            if len(text) > MAX_QUERY:
                raise ValueError(f"Keep the query to {MAX_QUERY} characters: it goes by text.")
            return QueryHours(code, text, by, "console")

        return await act(request, make, "hours_queried", "query")

    async def people(request: Request) -> Response:
        """Clinicians whose name has the words typed, for booking by hand (a fragment)."""
        signed = await console.require(request)
        typed = request.query_params.get("who", "")[:100]
        try:
            found = await engine.query(
                FindPeopleToBook(path_number(request, "session_id"), typed, by_of(signed)), actor_of(signed)
            )
        except Refused:
            found = []
        return page(request, "_people.html", signed=signed, found=found, typed=typed.strip())

    return [
        Route("/sessions/new", new, methods=["GET"]),
        Route("/sessions", create, methods=["POST"]),
        Route("/sessions/{session_id}", show, methods=["GET"]),
        Route("/sessions/{session_id}/people", people, methods=["GET"]),
        Route("/sessions/{session_id}/urgent", urgent, methods=["POST"]),
        Route("/sessions/{session_id}/cancel", cancel, methods=["POST"]),
        Route("/sessions/{session_id}/book", book, methods=["POST"]),
        Route("/sessions/{session_id}/delivered", delivered, methods=["POST"]),
        Route("/sessions/{session_id}/confirm-hours", confirm_hours, methods=["POST"]),
        Route("/sessions/{session_id}/query-hours", query_hours, methods=["POST"]),
    ]


def _post_values(form: FormData) -> dict[str, Any]:
    text = {k: str(form.get(k) or "").strip()[:200] for k in
            ("practice", "date", "start", "end", "rate", "notes", "repeat_weeks")}  # fmt: skip
    return {
        **text,
        "urgent": form.get("urgent") == "yes",
        "professions": [str(p)[:40] for p in form.getlist("professions")][:20],
    }


def _post_command(values: dict[str, Any], by: int | None) -> tuple[dict[str, str], PostSession | None]:
    """The form's text read as a command; what cannot be read is an error by its field (the
    command's own checks follow, with the API's rules)."""
    errors: dict[str, str] = {}
    if not values["practice"]:
        errors["practice"] = "Choose the practice."
    day: date | None = None
    try:
        day = date.fromisoformat(values["date"])
    except ValueError:
        errors["date"] = "Enter the date, like 2026-12-07."
    times: dict[str, time] = {}
    for name, words in (("start", "starts"), ("end", "ends")):
        try:
            times[name] = time.fromisoformat(values[name])
        except ValueError:
            errors[name] = f"Enter the time it {words}, like 08:30."
    pence = None
    try:
        pounds = Decimal(values["rate"].replace("£", "").replace(",", ""))
        if pounds < 0 or pounds > 100_000 or pounds != pounds.quantize(Decimal("0.01")):
            raise InvalidOperation
        pence = int(pounds * 100)
    except InvalidOperation:
        errors["rate"] = "Enter the pay for the whole session in pounds, like 320 or 320.50."
    if not values["professions"]:
        errors["professions"] = "Choose who the session is for."
    try:
        weeks = int(values["repeat_weeks"] or "1")
    except ValueError:
        errors["repeat_weeks"] = "Enter how many weeks running, from 1 to 52."
        weeks = 1
    if errors or day is None or pence is None:
        return errors, None
    start = datetime.combine(day, times["start"], tzinfo=LONDON)
    end = datetime.combine(day, times["end"], tzinfo=LONDON)
    command = PostSession(
        practice=values["practice"].upper(), starts_at=start, ends_at=end, rate_pence=pence,
        urgent=values["urgent"], notes=values["notes"], posted_by=by, via="console",
        professions=tuple(p.lower() for p in values["professions"]), repeat_weeks=weeks,
    )  # fmt: skip
    return errors, command
