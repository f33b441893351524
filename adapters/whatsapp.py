"""WhatsApp over Twilio: the same Messages API and the same signed webhooks as SMS.

Addresses are ``whatsapp:+44…`` on the wire and plain E.164 in the core: the member's WhatsApp
number is their phone. The sender is TWILIO_WHATSAPP_FROM (a WhatsApp-enabled sender in the
account), optionally with a Messaging Service that holds it.

Send: a free-form message goes as ``Body``, which WhatsApp accepts only within 24 hours of the
person's last message to us. Outside that window Twilio refuses it with 63016 (``OutsideWindow``)
and only a Meta-approved template can go: ``send_template`` posts its ``ContentSid`` and
``ContentVariables`` (a JSON string) and no ``Body`` (Twilio refuses the two together, 35127).
Error codes mapped by meaning: 63016 outside the window; 63018 rate limit (retry later); 63003
and 63024 not on WhatsApp (unreachable here, SMS may still work); 63007 and 63027 the sender or
the template is misconfigured (unreachable, in words a coordinator can act on).

Receive: ``POST /twilio/sms`` and ``POST /twilio/status`` are shared with SMS (adapters/sms.py's
``twilio_router``, signed the same way); a ``whatsapp:`` From or To tells them apart. A pressed
quick-reply button comes back as ``ButtonPayload`` (the id we set, the Inbound's choice) and
``ButtonText`` (its label, also the Body). Twilio does nothing itself with STOP on WhatsApp, so
an inbound WhatsApp message never carries a carrier action: the core reads STOP as a keyword and
opts the person out of WhatsApp only.

Status: WhatsApp reports ``read`` after ``delivered``; it is recorded as a status of its own,
ranked above delivered, so a late ``delivered`` never moves a read message back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime

import httpx
from twilio.request_validator import RequestValidator

from adapters.twilio_api import refusal, retry_after, transient
from bot.domain import Choice, Inbound
from bot.phones import to_e164
from bot.ports import (
    ChannelLimits,
    OutboxMessage,
    OutsideWindow,
    RetryLater,
    SendResult,
    Sent,
    Unreachable,
)
from bot.ports.whatsapp import MISCONFIGURED as MISCONFIGURED  # codes by meaning, defined for the core
from bot.ports.whatsapp import NOT_ON_WHATSAPP as NOT_ON_WHATSAPP
from bot.ports.whatsapp import OUTSIDE_WINDOW
from bot.render import text_with_choices

PREFIX = "whatsapp:"
RATE_LIMITED = "63018"
# Twilio's WhatsApp error codes in words (twilio.com/docs/api/errors, /docs/whatsapp/tutorial/error-codes).
ERRORS_IN_WORDS = {
    "63003": "not on WhatsApp (WhatsApp cannot find that number)",
    "63013": "WhatsApp refused the message's content (a policy rule)",
    "63014": "blocked the pool on WhatsApp",
    "63016": "more than 24 hours since they last wrote on WhatsApp: only an approved template can go",
    "63018": "WhatsApp's rate limit was reached",
    "63024": "not a WhatsApp user WhatsApp can deliver to",
    "63007": "the pool's WhatsApp sender (TWILIO_WHATSAPP_FROM) is not set up on the Twilio account",
    "63027": "the WhatsApp template does not exist for that language or is not approved (its ContentSid)",
    "63032": "WhatsApp will not deliver to this person (a WhatsApp limitation)",
    "63033": "opted out of the pool's WhatsApp marketing messages",
    "63049": "Meta chose not to deliver this marketing message",
}
# Twilio's status names in the order a WhatsApp message moves through them. Unlike SMS, read
# is a status of its own, after delivered (and WhatsApp may report read without delivered).
STATUS_RANK = {
    "accepted": 0, "scheduled": 0, "queued": 0, "sending": 1, "sent": 2,
    "delivered": 3, "undelivered": 3, "failed": 3, "canceled": 3, "read": 4,
}  # fmt: skip
STATUS_NAME = {"accepted": "queued", "scheduled": "queued", "canceled": "failed"}


def is_whatsapp(address: str) -> bool:
    return address.strip().lower().startswith(PREFIX)


def bare(address: str) -> str:
    """'whatsapp:+447700900123' → '+447700900123' (anything after the prefix, unchecked)."""
    return address.strip()[len(PREFIX) :] if is_whatsapp(address) else address.strip()


def wa_address(address: str) -> str:
    """An E.164 number as a WhatsApp address: '+447700900123' → 'whatsapp:+447700900123'."""
    return f"{PREFIX}{bare(address)}"


def in_words(code: str | None) -> str | None:
    """A Twilio WhatsApp error code as a coordinator would say it."""
    return ERRORS_IN_WORDS.get(code or "")


class TwilioWhatsApp:
    name = "whatsapp"
    edits_are_free = False  # every message costs Twilio's fee and, since October 2026, Meta's

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        api_base: str,
        public_url: str,
        from_number: str,
        messaging_service_sid: str | None = None,
        per_second: float = 80.0,  # Twilio's default throughput for one WhatsApp sender
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.account_sid = account_sid
        self.public_url = public_url.rstrip("/")
        self.from_number = to_e164(bare(from_number))
        self.messaging_service_sid = messaging_service_sid
        self.limits = ChannelLimits(per_second=per_second, per_address_interval=0.0, max_in_flight=40)
        self.validator = RequestValidator(auth_token)
        self._messages_path = f"/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._client = client or httpx.AsyncClient(
            base_url=api_base.rstrip("/"), auth=(account_sid, auth_token), timeout=httpx.Timeout(10.0)
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    def render(self, text: str, choices: Sequence[Choice]) -> str:
        # No GSM-7 here: WhatsApp takes any Unicode, so curly quotes and names stay as written.
        return text_with_choices(text, choices)

    async def send(self, message: OutboxMessage) -> SendResult:
        """A free-form message: delivered only within 24 hours of the person's last message."""
        return await self._post(
            {**self._addresses(message), "Body": self.render(message.text, message.choices)}
        )

    async def send_template(
        self, message: OutboxMessage, content_sid: str, variables: Mapping[str, str]
    ) -> SendResult:
        """An approved template (Twilio's Content API, ``HX…``) with its ``{{1}}``-style variables,
        for anyone outside the 24-hour window. No Body: Twilio refuses Body with ContentVariables."""
        values = {str(key): " ".join(str(value).split()) for key, value in variables.items()}
        empty = sorted(key for key, value in values.items() if not value)
        if empty:
            # WhatsApp refuses a template with an empty variable (63013); say so without paying for it.
            return Unreachable(f"template variable {', '.join(empty)} is empty", code="63013")
        form = {**self._addresses(message), "ContentSid": content_sid}
        if values:
            form["ContentVariables"] = json.dumps(values, ensure_ascii=False)
        return await self._post(form)

    def _addresses(self, message: OutboxMessage) -> dict[str, str]:
        form = {
            "To": wa_address(message.address),
            "From": wa_address(self.from_number),
            "StatusCallback": f"{self.public_url}/twilio/status",
        }
        if self.messaging_service_sid:
            form["MessagingServiceSid"] = self.messaging_service_sid  # From picks the sender in it
        return form

    async def _post(self, form: dict[str, str]) -> SendResult:
        try:
            response = await self._client.post(self._messages_path, data=form)
        except httpx.TimeoutException:
            return RetryLater("timeout")
        except httpx.TransportError as error:
            return RetryLater(type(error).__name__)
        if response.status_code in (200, 201):
            return Sent(provider_id=response.json()["sid"])
        return failure(response)

    # -- receiving ----------------------------------------------------------------------------

    def signed(self, path: str, params: dict[str, str], signature: str) -> bool:
        """Signed as SMS webhooks are: the public URL plus every posted parameter."""
        return bool(signature) and self.validator.validate(f"{self.public_url}{path}", params, signature)

    def inbound(self, params: Mapping[str, str], received_at: datetime) -> Inbound | None:
        """A signed inbound WhatsApp webhook as the core's Inbound; None when From is not a phone
        (a business-scoped user id such as ``whatsapp:US.1234``, which names no member).

        ``carrier_action`` stays None: Twilio neither blocks nor replies to STOP on WhatsApp,
        so the core reads STOP, START and HELP as its own keywords, for WhatsApp only."""
        try:
            address = to_e164(bare(params.get("From", "")))
        except ValueError:
            return None
        media = params.get("NumMedia", "0")
        return Inbound(
            channel=self.name,
            address=address,
            text=params.get("Body", ""),
            external_id=params.get("MessageSid", ""),
            received_at=received_at,
            choice=params.get("ButtonPayload") or None,
            media_count=int(media) if media.isascii() and media.isdigit() else 0,
            forwarded=params.get("Forwarded", "").lower() == "true",
        )


def failure(response: httpx.Response) -> SendResult:
    """Twilio's refusal of a WhatsApp message, by the meaning of its error code."""
    code, message = refusal(response)
    if code == RATE_LIMITED:
        return RetryLater(in_words(code) or code, after=retry_after(response))
    retry = transient(response, code)
    if retry is not None:
        return retry
    words = in_words(code) or f"Twilio refused it: {message}"
    if code == OUTSIDE_WINDOW:
        return OutsideWindow(words, code=code)
    return Unreachable(words[:200], code=code or str(response.status_code))
