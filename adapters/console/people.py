"""People and their checks: the list with every gap shown, a member's page with its history,
recording a check with its evidence (an upload), the evidence downloaded by coordinators, and
the four CSV imports by upload. The rules (who may see, what a document may be) are the
commands'; this module reads forms and shows answers."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.console.auth import Console, actor_of, by_of, path_number, redirect
from adapters.console.pay import month_of
from adapters.console.views import attachment, page
from bot.api import evidence_response
from bot.clock import london_date
from bot.commands import (
    EraseMember,
    FormBFile,
    GetDocument,
    ImportCsv,
    ListPeople,
    RecordCheck,
    RecordLeaving,
    SetBilling,
    SetEngagement,
    SetPensionDetails,
    SetWhatsApp,
    ShowBilling,
    ShowPerson,
    WhatsAppStatus,
)
from bot.domain import CHECK_KINDS, ERASED, GP_TYPES, INVOICE_BY, Billing, Member
from bot.errors import Refused
from bot.pensions import PensionRules, pensions_the_work, scheme_year
from bot.ports.signin import SignedIn
from bot.ports.whatsapp import WhatsAppView

FILTERS = ("profession", "gp_type", "channel", "checks")
PER_PAGE = 100  # a page a phone can hold; the filters find anyone sooner than paging does
IMPORT_KINDS = ("practices", "members", "checks", "sessions")
MAX_UPLOAD = 5 * 1024 * 1024 + 1  # one more than a document may be: the command says why it is too big
MAX_CSV = 5 * 1024 * 1024
BILLING = ("address", "company_name", "company_number", "account_name", "sort_code", "account_number")
BANK = ("account_name", "sort_code", "account_number")
# Read as people type them, ASCII digits only: 12-34-56, 12 34 56, 123456; 1234 5678.
SORT_CODE = re.compile(r"[0-9]{2}[- ]?[0-9]{2}[- ]?[0-9]{2}", re.ASCII)
ACCOUNT_NUMBER = re.compile(r"[0-9]{4} ?[0-9]{4}", re.ASCII)
PENSION = ("sd_number", "tier", "invoice_by")
WHATSAPP_ACTIONS = ("opt_in", "opt_out", "number")  # the form's choices: in, out, the number only


def _day(text: str, field: str, errors: dict[str, str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[field] = "Enter a date, like 2027-03-31."
        return None


def tier_words(rules: PensionRules, today: date) -> list[tuple[int, str]]:
    """The six contribution tiers as this scheme year's table has them: 'Tier 4: £33,869 to
    £50,845 a year, 9.8%' (just 'Tier 4' without a table)."""
    try:
        table = rules.tiers_for(scheme_year(today))
    except LookupError:
        return [(n, f"Tier {n}") for n in range(1, 7)]
    words, floor = [], 0
    for tier in sorted(table.tiers, key=lambda t: t.number):
        if tier.up_to_pounds is None:
            band = f"over £{floor - 1:,}" if floor else "any pay"
        elif floor:
            band = f"£{floor:,} to £{tier.up_to_pounds:,}"
        else:
            band = f"up to £{tier.up_to_pounds:,}"
        words.append((tier.number, f"Tier {tier.number}: {band} a year, {tier.rate}%"))
        floor = (tier.up_to_pounds or 0) + 1
    return words


def invoices_for(member: Member) -> bool:
    """A clinician not erased: who may invoice (billing and pension details are kept for them)."""
    return member.is_clinician and not member.phone.startswith(ERASED)


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
            "billing": "Saved the billing details: their next invoices print them.",
            "pension": "Saved the pension details.",
            "whatsapp": "Saved their WhatsApp.",
        }.get(request.query_params.get("done", ""))
        needed = [c.check for c in shown.person.checks] or list(CHECK_KINDS)
        kinds = [k for check in needed for k in check.split("|")]
        member = shown.person.member
        billing: Billing | None = None
        if invoices_for(member):
            try:
                billing = await engine.query(ShowBilling(member.phone, by_of(signed)), actor_of(signed))
            except Refused:
                billing = None
        whatsapp: WhatsAppView | None = None
        if not member.phone.startswith(ERASED):
            whatsapp = await engine.query(WhatsAppStatus(member.phone, by_of(signed)), actor_of(signed))
        today = london_date(console.pool.clock.now())
        return page(
            request, "person.html", status=status, signed=signed, nav="people", shown=shown, done=done,
            kinds=kinds, errors=context.get("errors", {}), values=context.get("values", {}),
            evidence_months=engine.policy.evidence_months, billing=billing,
            pensions=pensions_the_work(member.engagement, member.profession, member.pension_sd_number),
            tiers=tier_words(engine.policy.pensions, today), invoice_by=INVOICE_BY,
            last_month=f"{(today.replace(day=1) - timedelta(days=1)):%Y-%m}", whatsapp=whatsapp,
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

    async def member_of(request: Request, signed: SignedIn) -> Member:
        """The member the path names, as the coordinator's page has them (Refused otherwise)."""
        member_id = path_number(request, "member_id")
        shown = await engine.query(ShowPerson(member_id, by_of(signed)), actor_of(signed))
        return shown.person.member

    async def billing(request: Request) -> Response:
        """SetBilling replaces every detail, and the console never has the bank details in full:
        so they are entered again with every change. Left empty, they stay empty only for
        someone who had none; otherwise the form asks for them again, changing nothing."""
        signed = await console.require(request)
        form = await console.form(request, signed)
        typed = {k: str(form.get(k) or "")[: 600 if k == "address" else 200] for k in BILLING}
        # Never shown back: the bank numbers (what was typed included) are re-entered each time.
        values = {k: v.strip() for k, v in typed.items() if k not in ("sort_code", "account_number")}
        address = tuple(line.strip() for line in typed["address"].splitlines() if line.strip())
        values["address"] = "\n".join(address)
        errors: dict[str, str] = {}
        sort_code, account = typed["sort_code"].strip(), typed["account_number"].strip()
        if sort_code and not SORT_CODE.fullmatch(sort_code):
            errors["sort_code"] = "Enter the sort code as six digits, like 12-34-56."
        if account and not ACCOUNT_NUMBER.fullmatch(account):
            errors["account_number"] = "Enter the account number: eight digits, no more, no fewer."
        try:
            member = await member_of(request, signed)
            if not any(typed[k].strip() for k in BANK) and not errors:
                had = await engine.query(ShowBilling(member.phone, by_of(signed)), actor_of(signed))
                if had.has_bank:
                    errors["account_name"] = (
                        "Enter the bank details again to keep them (the account name, sort code and "
                        "account number): they are never shown in full, so every change needs them."
                    )
            if errors:
                return await person(request, status=422, errors=errors, values=values)
            await engine.execute(
                SetBilling(member.phone, address, typed["company_name"], typed["company_number"],
                           typed["account_name"], sort_code, account, by_of(signed)),
                actor_of(signed),
            )  # fmt: skip
        except Refused as refusal:
            if refusal.field in ("role", "member", "phone"):
                return refused(request, signed, refusal)
            field = refusal.field if refusal.field in BILLING else "address"
            return await person(request, status=422, errors={field: refusal.message}, values=values)
        return redirect(f"/people/{member.id}?done=billing#billing")

    async def pension(request: Request) -> Response:
        signed = await console.require(request)
        form = await console.form(request, signed)
        values = {k: str(form.get(k) or "").strip()[:40] for k in PENSION}
        tier: int | None = None
        if values["tier"]:
            if values["tier"] not in ("1", "2", "3", "4", "5", "6"):
                return await person(request, status=422, errors={"tier": "Choose a tier from 1 to 6."},
                                    values=values)  # fmt: skip
            tier = int(values["tier"])
        try:
            member = await member_of(request, signed)
            await engine.execute(
                SetPensionDetails(member.phone, values["sd_number"], tier, values["invoice_by"] or None,
                                  by_of(signed)),
                actor_of(signed),
            )  # fmt: skip
        except Refused as refusal:
            if refusal.field in ("role", "member", "phone"):
                return refused(request, signed, refusal)
            field = refusal.field if refusal.field in PENSION else "sd_number"
            return await person(request, status=422, errors={field: refusal.message}, values=values)
        return redirect(f"/people/{member.id}?done=pension#pension")

    async def whatsapp(request: Request) -> Response:
        """Opting in here records the member's yes given to the coordinator: the form asks the
        coordinator to say they have it, and it is kept with the source 'console'."""
        signed = await console.require(request)
        form = await console.form(request, signed)
        values = {k: str(form.get(k) or "").strip()[:40] for k in ("wa_action", "wa_number", "wa_said_yes")}
        action = values["wa_action"]
        errors: dict[str, str] = {}
        if action not in WHATSAPP_ACTIONS:
            errors["wa_action"] = "Choose what to do: opt them in, opt them out, or change their number."
        elif action == "opt_in" and values["wa_said_yes"] != "yes":
            errors["wa_said_yes"] = "Opt them in only once they have said yes to you: tick the box to say so."
        elif action == "number" and not values["wa_number"]:
            errors["wa_number"] = "Enter their WhatsApp number, like 07700 900123."
        if errors:
            return await person(request, status=422, errors=errors, values=values)
        try:
            member = await member_of(request, signed)
            command = SetWhatsApp(
                member.phone,
                values["wa_number"] or None,
                {"opt_in": True, "opt_out": False}.get(action),
                by_of(signed),
                "console",
            )
            await engine.execute(command, actor_of(signed))
        except Refused as refusal:
            if refusal.field in ("role", "member", "phone"):
                return refused(request, signed, refusal)
            field = "wa_number" if refusal.field == "number" else "wa_action"
            return await person(request, status=422, errors={field: refusal.message}, values=values)
        return redirect(f"/people/{member.id}?done=whatsapp#whatsapp")

    async def form_b(request: Request) -> Response:
        signed = await console.require(request)
        text = request.query_params.get("month", "")[:20]
        today = london_date(console.pool.clock.now())
        month = month_of(text, today) if text.strip() else None
        values = {"month": text.strip()}
        if month is None:
            errors = {"month": "Enter the month the pay was received, like 2027-02."}
            return await person(request, status=400, errors=errors, values=values)
        try:
            member = await member_of(request, signed)
            name, media_type, content = await engine.query(
                FormBFile(member.phone, month, by_of(signed)), actor_of(signed)
            )
        except Refused as refusal:
            if refusal.field in ("role", "member"):
                return refused(request, signed, refusal)
            return await person(request, status=422, errors={"month": refusal.message}, values=values)
        return attachment(name, media_type, content)

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
        Route("/people/{member_id}/billing", billing, methods=["POST"]),
        Route("/people/{member_id}/pension", pension, methods=["POST"]),
        Route("/people/{member_id}/form-b.pdf", form_b, methods=["GET"]),
        Route("/people/{member_id}/whatsapp", whatsapp, methods=["POST"]),
        Route("/documents/{document_id}", document, methods=["GET"]),
        Route("/imports", imports_page, methods=["GET"]),
        Route("/imports", upload, methods=["POST"]),
    ]
