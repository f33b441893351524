"""People and their checks: the list with every gap shown, a member's page with its history,
recording a check with its evidence (an upload), the evidence downloaded by coordinators, and
the four CSV imports by upload. The rules (who may see, what a document may be) are the
commands'; this module reads forms and shows answers."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.console.auth import Console, actor_of, by_of, path_number, redirect
from adapters.console.views import page
from bot.api import evidence_response
from bot.commands import (
    EraseMember,
    GetDocument,
    ImportCsv,
    ListPeople,
    RecordCheck,
    RecordLeaving,
    SetEngagement,
    ShowPerson,
)
from bot.domain import CHECK_KINDS, GP_TYPES
from bot.errors import Refused
from bot.ports.signin import SignedIn

FILTERS = ("profession", "gp_type", "channel", "checks")
PER_PAGE = 100  # a page a phone can hold; the filters find anyone sooner than paging does
IMPORT_KINDS = ("practices", "members", "checks", "sessions")
MAX_UPLOAD = 5 * 1024 * 1024 + 1  # one more than a document may be: the command says why it is too big
MAX_CSV = 5 * 1024 * 1024


def _day(text: str, field: str, errors: dict[str, str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[field] = "Enter a date, like 2027-03-31."
        return None


async def _read(upload: Any, most: int) -> bytes | None:
    """An uploaded file's bytes (None: no file chosen), reading at most ``most``."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    return await upload.read(most)


def routes(console: Console) -> list[Route]:
    engine = console.pool.engine

    def refused(request: Request, signed: SignedIn, refusal: Refused) -> Response:
        status = 403 if refusal.field == "role" else 404
        return page(request, "problem.html", status=status, signed=signed, title="Not available",
                    message=refusal.message)  # fmt: skip

    async def people(request: Request) -> Response:
        signed = await console.require(request)
        chosen = {name: request.query_params.get(name, "")[:40] for name in FILTERS}
        try:
            found = await engine.query(ListPeople(by_of(signed), **chosen), actor_of(signed))
        except Refused as refusal:
            return refused(request, signed, refusal)
        options = [(p.key, p.name) for p in engine.policy.professions]
        try:
            number = max(1, int(request.query_params.get("page", "1")))
        except ValueError:
            number = 1
        last = max(1, -(-len(found) // PER_PAGE))
        number = min(number, last)
        query = urlencode({k: v for k, v in chosen.items() if v})
        return page(
            request, "people.html", signed=signed, nav="people", found=found, chosen=chosen,
            profession_options=options, gp_type_options=[(t, t.capitalize()) for t in GP_TYPES],
            shown=found[(number - 1) * PER_PAGE : number * PER_PAGE],
            number=number, last=last, query=query,
        )  # fmt: skip

    async def person(request: Request, status: int = 200, **context: Any) -> Response:
        signed = await console.require(request)
        try:
            shown = await engine.query(
                ShowPerson(path_number(request, "member_id"), by_of(signed)), actor_of(signed)
            )
        except Refused as refusal:
            return refused(request, signed, refusal)
        done = {
            "recorded": "Check recorded.",
            "engagement": "Saved how they are engaged.",
            "left": "Recorded that they leave: nothing is offered to them from that day.",
            "back": "They are back in the pool.",
            "erased": "Erased: what identified them, their checks and documents are gone.",
        }.get(request.query_params.get("done", ""))
        needed = [c.check for c in shown.person.checks] or list(CHECK_KINDS)
        kinds = [k for check in needed for k in check.split("|")]
        return page(
            request, "person.html", status=status, signed=signed, nav="people", shown=shown, done=done,
            kinds=kinds, errors=context.get("errors", {}), values=context.get("values", {}),
            evidence_months=engine.policy.evidence_months,
        )  # fmt: skip

    async def record(request: Request) -> Response:
        signed = await console.require(request)
        form = await console.form(request, signed)
        values = {k: str(form.get(k) or "").strip()[:40] for k in ("kind", "expires", "verified_on")}
        errors: dict[str, str] = {}
        expires = _day(values["expires"], "expires", errors)
        verified_on = _day(values["verified_on"], "verified_on", errors)
        document = await _read(form.get("document"), MAX_UPLOAD)
        if errors:
            return await person(request, status=422, errors=errors, values=values)
        member_id = path_number(request, "member_id")
        try:
            shown = await engine.query(ShowPerson(member_id, by_of(signed)), actor_of(signed))
            command = RecordCheck(
                shown.person.member.phone,
                values["kind"],
                expires,
                verified_on,
                document,
                by_of(signed),
                "console",
            )
            await engine.execute(command, actor_of(signed))
        except Refused as refusal:
            if refusal.field in ("role", "member"):
                return refused(request, signed, refusal)
            field = (
                refusal.field if refusal.field in ("kind", "expires", "verified_on", "document") else "kind"
            )
            return await person(request, status=422, errors={field: refusal.message}, values=values)
        return redirect(f"/people/{member_id}?done=recorded")

    async def leaving(request: Request) -> Response:
        signed = await console.require(request)
        form = await console.form(request, signed)
        values = {"left_on": str(form.get("left_on") or "").strip()[:40]}
        errors: dict[str, str] = {}
        day = _day(values["left_on"], "left_on", errors)
        if errors:
            return await person(request, status=422, errors=errors, values=values)
        member_id = path_number(request, "member_id")
        undo = form.get("undo") == "yes"
        try:
            shown = await engine.query(ShowPerson(member_id, by_of(signed)), actor_of(signed))
            phone = shown.person.member.phone
            await engine.execute(RecordLeaving(phone, day, undo, by_of(signed)), actor_of(signed))
        except Refused as refusal:
            if refusal.field in ("role", "member"):
                return refused(request, signed, refusal)
            return await person(request, status=422, errors={"left_on": refusal.message}, values=values)
        return redirect(f"/people/{member_id}?done={'back' if undo else 'left'}")

    async def engagement(request: Request) -> Response:
        signed = await console.require(request)
        form = await console.form(request, signed)
        member_id = path_number(request, "member_id")
        try:
            shown = await engine.query(ShowPerson(member_id, by_of(signed)), actor_of(signed))
            chosen = str(form.get("engagement") or "")
            await engine.execute(
                SetEngagement(shown.person.member.phone, chosen, by_of(signed)), actor_of(signed)
            )
        except Refused as refusal:
            if refusal.field in ("role", "member"):
                return refused(request, signed, refusal)
            return await person(request, status=422, errors={"engagement": refusal.message})
        return redirect(f"/people/{member_id}?done=engagement")

    async def erase(request: Request) -> Response:
        signed = await console.require(request)
        form = await console.form(request, signed)
        member_id = path_number(request, "member_id")
        if form.get("confirm") != "yes":
            errors = {"confirm": "Tick the box to confirm: erasing cannot be undone."}
            return await person(request, status=422, errors=errors)
        try:
            shown = await engine.query(ShowPerson(member_id, by_of(signed)), actor_of(signed))
            await engine.execute(EraseMember(shown.person.member.phone, by_of(signed)), actor_of(signed))
        except Refused as refusal:
            if refusal.field in ("role", "member"):
                return refused(request, signed, refusal)
            return await person(request, status=422, errors={"confirm": refusal.message})
        return redirect(f"/people/{member_id}?done=erased")

    async def document(request: Request) -> Response:
        signed = await console.require(request)
        try:
            # A write, not a query: who downloaded whose document goes in the audit.
            found = await engine.execute(
                GetDocument(path_number(request, "document_id"), by_of(signed)), actor_of(signed)
            )
        except Refused as refusal:
            return refused(request, signed, refusal)
        return evidence_response(found)

    async def imports_page(request: Request, status: int = 200, **context: Any) -> Response:
        signed = await console.require(request)
        return page(request, "imports.html", status=status, signed=signed, nav="people", kinds=IMPORT_KINDS,
                    **context)  # fmt: skip

    async def upload(request: Request) -> Response:
        signed = await console.require(request)
        form = await console.form(request, signed)
        kind = str(form.get("kind") or "")
        content = await _read(form.get("file"), MAX_CSV + 1)
        if content is None:
            return await imports_page(request, status=422, kind=kind, problem="Choose a CSV file to import.")
        if len(content) > MAX_CSV:
            return await imports_page(request, status=422, kind=kind, problem="The file is over 5 MB.")
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            return await imports_page(
                request, status=422, kind=kind, problem="The file is not UTF-8 text: save it as 'CSV UTF-8'."
            )
        try:
            result = await engine.execute(ImportCsv(kind, text, by_of(signed)), actor_of(signed))
        except Refused as refusal:
            if refusal.field == "role":
                return refused(request, signed, refusal)
            rows = [str(e) for e in getattr(refusal, "errors", [])]
            return await imports_page(request, status=422, kind=kind, problem=refusal.message, rows=rows)
        return await imports_page(request, kind=kind, result=result)

    return [
        Route("/people", people, methods=["GET"]),
        Route("/people/{member_id}", person, methods=["GET"]),
        Route("/evidence/{member_id}", record, methods=["POST"]),
        Route("/people/{member_id}/leave", leaving, methods=["POST"]),
        Route("/people/{member_id}/erase", erase, methods=["POST"]),
        Route("/people/{member_id}/engagement", engagement, methods=["POST"]),
        Route("/documents/{document_id}", document, methods=["GET"]),
        Route("/imports", imports_page, methods=["GET"]),
        Route("/imports", upload, methods=["POST"]),
    ]
