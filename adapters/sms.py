"""SMS over Twilio: signed webhooks in, the Messages REST API out, delivery status callbacks.

Receive: ``POST /twilio/sms`` checks ``X-Twilio-Signature`` with the twilio package's own
RequestValidator against POOL_PUBLIC_URL + path (the URL Twilio was given, whatever Host the
request arrives with behind a proxy or tunnel), parses the form into the core's Inbound, and
answers empty TwiML: replies go through the outbox like every other message.

Send: the Messages API through httpx (so tests fake it with respx), GSM-7 normalised text,
with StatusCallback = POOL_PUBLIC_URL/twilio/status. 429 and 5xx and timeouts are transient;
21610 means the person texted STOP to this number.

Status: ``POST /twilio/status`` (signed) reports queued/sent/delivered/undelivered/failed with
an ErrorCode; the core records it and decides what an undelivered offer needs.

WhatsApp (adapters/whatsapp.py) shares both webhooks: a ``whatsapp:`` From (inbound) or To
(status) routes the request to it; everything else is SMS, handled exactly as before.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from urllib.parse import parse_qsl

import httpx
from fastapi import APIRouter, Request, Response
from twilio.request_validator import RequestValidator

from adapters import whatsapp as wa
from adapters.gsm import segments, to_gsm
from adapters.twilio_api import refusal, transient
from adapters.whatsapp import TwilioWhatsApp, is_whatsapp
from bot.domain import Choice, Inbound
from bot.log_limit import LogLimit
from bot.phones import masked, to_e164
from bot.pool import Pool
from bot.ports import ChannelLimits, OptedOut, OutboxMessage, RetryLater, SendResult, Sent, Unreachable
from bot.render import text_with_choices

log = logging.getLogger(__name__)
LIMIT = LogLimit()

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
# Twilio's own handling on a long code (single-word messages only, any case): it replies
# itself and blocks or unblocks the number, then forwards the message to us.
OPT_OUT_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"})
OPT_IN_WORDS = frozenset({"start", "unstop", "yes"})  # YES: with Advanced Opt-Out, or when blocked
HELP_WORDS = frozenset({"help", "info"})
OPTED_OUT_ERROR = "21610"
# Twilio's error codes a coordinator may see, in words (twilio.com/docs/api/errors).
ERRORS_IN_WORDS = {
    "21211": "not a valid phone number",
    "21408": "texts to that country are not enabled on the Twilio account",
    "21610": "opted out by STOP",
    "21612": "cannot be texted from the pool's number",
    "21614": "not a mobile number",
    "30003": "phone off or out of signal",
    "30004": "blocked texts from the pool",
    "30005": "number unknown or no longer in use",
    "30006": "a landline, or a network that cannot be reached",
    "30007": "filtered as spam by the network",
    "30008": "the network could not say why",
}
# Twilio's status names, in the order a message moves through them; the last four end it.
STATUS_RANK = {
    "accepted": 0, "scheduled": 0, "queued": 0, "sending": 1, "sent": 2,
    "delivered": 3, "read": 3, "undelivered": 3, "failed": 3, "canceled": 3,
}  # fmt: skip
STATUS_NAME = {"accepted": "queued", "scheduled": "queued", "read": "delivered", "canceled": "failed"}


def carrier_action(body: str) -> str | None:
    """What Twilio itself did with this message: 'opt_out', 'opt_in', 'help' or None."""
    word = body.strip().lower()
    if word in OPT_OUT_WORDS:
        return "opt_out"
    if word in OPT_IN_WORDS:
        return "opt_in"
    if word in HELP_WORDS:
        return "help"
    return None


class TwilioSms:
    name = "sms"
    edits_are_free = False  # every text costs money

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        api_base: str,
        public_url: str,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        per_second: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.public_url = public_url.rstrip("/")
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.limits = ChannelLimits(per_second=per_second, per_address_interval=0.0, max_in_flight=20)
        self.validator = RequestValidator(auth_token)
        self._messages_path = f"/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._client = client or httpx.AsyncClient(
            base_url=api_base.rstrip("/"), auth=(account_sid, auth_token), timeout=httpx.Timeout(10.0)
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    def render(self, text: str, choices: Sequence[Choice]) -> str:
        return to_gsm(text_with_choices(text, choices))

    async def send(self, message: OutboxMessage) -> SendResult:
        body = self.render(message.text, message.choices)
        form = {"To": message.address, "Body": body, "StatusCallback": f"{self.public_url}/twilio/status"}
        if self.messaging_service_sid:
            form["MessagingServiceSid"] = self.messaging_service_sid
        else:
            form["From"] = self.from_number or ""
        try:
            response = await self._client.post(
                f"/2010-04-01/Accounts/{self.account_sid}/Messages.json", data=form
            )
        except httpx.TimeoutException:
            return RetryLater("timeout")
        except httpx.TransportError as error:
            return RetryLater(type(error).__name__)
        if response.status_code in (200, 201):
            sent = response.json()
            parts = sent.get("num_segments")
            count = int(parts) if str(parts).isascii() and str(parts).isdigit() else segments(body).count
            return Sent(provider_id=sent["sid"], segments=count)
        return _failure(response)

    # -- receiving ----------------------------------------------------------------------------

    def signed(self, path: str, params: dict[str, str], signature: str) -> bool:
        """Twilio signs the URL it was configured with; behind a proxy that is POOL_PUBLIC_URL."""
        return bool(signature) and self.validator.validate(f"{self.public_url}{path}", params, signature)


def in_words(code: str | None) -> str | None:
    """A Twilio error code as a coordinator would say it."""
    return ERRORS_IN_WORDS.get(code or "")


def _failure(response: httpx.Response) -> SendResult:
    code, message = refusal(response)
    retry = transient(response, code)
    if retry is not None:
        return retry
    words = in_words(code) or f"Twilio refused it: {message}"
    if code == OPTED_OUT_ERROR:
        return OptedOut(words, code=code)
    return Unreachable(words[:200], code=code or str(response.status_code))


async def _form(request: Request) -> dict[str, str]:
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))


def twilio_router(pool: Pool, channel: TwilioSms | None, whatsapp: TwilioWhatsApp | None = None) -> APIRouter:
    """Twilio's webhooks for SMS and WhatsApp: one inbound URL and one status URL, signed the
    same way (one account, one auth token); a ``whatsapp:`` address tells the two apart."""
    router = APIRouter(prefix="/twilio", include_in_schema=False)
    signer = channel or whatsapp
    assert signer is not None, "SMS or WhatsApp must be on"

    # Plain Starlette routes (add_route below): each webhook takes the raw request and answers
    # TwiML, so FastAPI's dependency solving and scope bookkeeping would add only cost (about a
    # fifth of a reply's time under load; bench/replies_floor.py).
    async def inbound(request: Request) -> Response:
        params = await _form(request)
        if not signer.signed("/twilio/sms", params, request.headers.get("X-Twilio-Signature", "")):
            return Response("forbidden", status_code=403)
        sid, sender = params.get("MessageSid", ""), params.get("From", "")
        if not sid or not sender:
            return Response("MessageSid and From are required", status_code=400)
        if is_whatsapp(sender):
            message = whatsapp.inbound(params, pool.clock.now()) if whatsapp else None
            if message is None:
                # WhatsApp off, or a business-scoped user id (whatsapp:US.1234) with no phone
                # number: no member to match, nobody to answer.
                LIMIT.log(
                    log, logging.INFO, "wa-not-a-phone",
                    "WhatsApp message ignored (WhatsApp off, or a sender without a phone number)",
                )  # fmt: skip
                return Response(EMPTY_TWIML, media_type="application/xml")
            await pool.engine.receive(message)
            return Response(EMPTY_TWIML, media_type="application/xml")
        if channel is None:
            LIMIT.log(log, logging.INFO, "sms-off", "SMS ignored: the SMS channel is off")
            return Response(EMPTY_TWIML, media_type="application/xml")
        try:
            address = to_e164(sender)
        except ValueError:
            # A sender ID ("VERIFY"), a short code or garbage: not a person to answer, and a
            # reply would be a paid text to who knows where.
            LIMIT.log(
                log, logging.INFO, "not-a-phone", "SMS from a sender that is not a phone number ignored"
            )
            return Response(EMPTY_TWIML, media_type="application/xml")
        body = params.get("Body", "")
        media = params.get("NumMedia", "0")
        await pool.engine.receive(
            Inbound(
                channel="sms",
                address=address,
                text=body,
                external_id=sid,
                received_at=pool.clock.now(),
                media_count=int(media) if media.isascii() and media.isdigit() else 0,
                carrier_action=carrier_action(body),
            )
        )
        return Response(EMPTY_TWIML, media_type="application/xml")

    async def status(request: Request) -> Response:
        params = await _form(request)
        if not signer.signed("/twilio/status", params, request.headers.get("X-Twilio-Signature", "")):
            return Response("forbidden", status_code=403)
        on_whatsapp = (
            is_whatsapp(params.get("To", ""))
            or is_whatsapp(params.get("From", ""))
            or params.get("ChannelPrefix", "").lower() == "whatsapp"
        )
        ranks = wa.STATUS_RANK if on_whatsapp else STATUS_RANK
        sid, state = params.get("MessageSid", ""), params.get("MessageStatus", "").lower()
        if not sid or state not in ranks:
            return Response("MessageSid and a known MessageStatus are required", status_code=400)
        error = params.get("ErrorCode") or None
        if on_whatsapp:
            # No 21610 here: WhatsApp has no carrier STOP. Its refusals are kept in words.
            await pool.engine.report_delivery(
                "whatsapp",
                sid,
                wa.STATUS_NAME.get(state, state),
                ranks[state],
                error,
                reason=wa.in_words(error) or (f"Twilio error {error}" if error else None),
            )
        else:
            await pool.engine.report_delivery(
                "sms",
                sid,
                STATUS_NAME.get(state, state),
                ranks[state],
                error,
                opted_out=error == OPTED_OUT_ERROR,
                reason=in_words(error) or (f"Twilio error {error}" if error else None),
            )
        if error:
            kind = "whatsapp" if on_whatsapp else "sms"
            log.info(
                "%s %s to %s: %s (error %s)", kind, sid, masked(wa.bare(params.get("To", ""))), state, error
            )
        return Response(status_code=204)

    # add_route takes the whole path: the router's prefix applies to its FastAPI routes only.
    router.add_route("/twilio/sms", inbound, methods=["POST"], include_in_schema=False)
    router.add_route("/twilio/status", status, methods=["POST"], include_in_schema=False)
    return router
