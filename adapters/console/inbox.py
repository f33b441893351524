"""The coordinators' inbox (messages the bot could not act on: answer, or mark done) and the
people the pool could not reach lately."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.console.auth import Console, actor_of, by_of, path_number, redirect
from adapters.console.views import page
from bot.commands import AnswerInbox, CloseInbox, ListInbox, ListUnreachable
from bot.errors import Refused
from bot.ports.signin import SignedIn

UNREACHABLE_DAYS = 7


def routes(console: Console) -> list[Route]:
    engine = console.pool.engine

    def refused(request: Request, signed: SignedIn, refusal: Refused) -> Response:
        return page(request, "problem.html", status=403, signed=signed, title="For coordinators",
                    message=refusal.message)  # fmt: skip

    async def inbox(request: Request, status: int = 200, **context: object) -> Response:
        signed = await console.require(request)
        by = by_of(signed)
        try:
            items = await engine.query(ListInbox(by), actor=actor_of(signed))
        except Refused as refusal:
            return refused(request, signed, refusal)
        done = {"answered": "Answer sent; marked done.", "done": "Marked done."}.get(
            request.query_params.get("done", "")
        )
        return page(request, "inbox.html", status=status, signed=signed, items=items, done=done, nav="inbox",
                    errors=context.get("errors", {}))  # fmt: skip

    async def answer(request: Request) -> Response:
        signed = await console.require(request)
        form = await console.form(request, signed)
        text = str(form.get("text") or "").strip()
        number = path_number(request, "item_id")
        by = by_of(signed)
        try:
            if not text or len(text) > 200:
                raise Refused("Write an answer of up to 200 characters: it goes by text.", field="text")
            await engine.execute(AnswerInbox(number, text, by), actor=actor_of(signed))
        except Refused as refusal:
            status = 403 if refusal.field == "role" else 422
            return await inbox(request, status=status, errors={number: refusal.message})
        return redirect("/inbox?done=answered")

    async def done(request: Request) -> Response:
        signed = await console.require(request)
        await console.form(request, signed)
        number = path_number(request, "item_id")
        by = by_of(signed)
        try:
            await engine.execute(CloseInbox(number, by), actor=actor_of(signed))
        except Refused as refusal:
            status = 403 if refusal.field == "role" else 422
            return await inbox(request, status=status, errors={number: refusal.message})
        return redirect("/inbox?done=done")

    async def unreachable(request: Request) -> Response:
        signed = await console.require(request)
        by = by_of(signed)
        try:
            found = await engine.query(ListUnreachable(by, UNREACHABLE_DAYS), actor=actor_of(signed))
        except Refused as refusal:
            return refused(request, signed, refusal)
        return page(request, "unreachable.html", signed=signed, found=found, days=UNREACHABLE_DAYS,
                    nav="unreachable")  # fmt: skip

    return [
        Route("/inbox", inbox, methods=["GET"]),
        Route("/inbox/{item_id}/answer", answer, methods=["POST"]),
        Route("/inbox/{item_id}/done", done, methods=["POST"]),
        Route("/unreachable", unreachable, methods=["GET"]),
    ]
