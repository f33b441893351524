"""WhatsApp over Twilio, against the same fake of Twilio's Messages API as SMS, with webhooks
shaped as Twilio sends them for WhatsApp (docs/notes of issue 27) and signed as Twilio signs."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import respx

from adapters.whatsapp import TwilioWhatsApp
from bot.domain import Choice, Member
from bot.ports import OutboxMessage, OutsideWindow, RetryLater, Sent, Unreachable
from config import load_settings
from config.settings import ConfigError
from main import build_app
from tests.fakes import (
    PUBLIC_URL,
    TWILIO_BASE,
    TWILIO_ENV,
    TWILIO_FROM,
    TWILIO_SID,
    TWILIO_TOKEN,
    FakeTwilio,
    twilio_signature,
)
from tests.harness import Harness

WA_FROM = "+447700900888"  # the pool's WhatsApp sender
WA_ENV = {**TWILIO_ENV, "TWILIO_WHATSAPP_FROM": f"whatsapp:{WA_FROM}"}


class Wa:
    def __init__(self, pool: Harness, twilio: FakeTwilio, http: httpx.AsyncClient) -> None:
        self.pool, self.twilio, self.http = pool, twilio, http
        self._sids = 0

    def _sid(self) -> str:
        self._sids += 1
        return f"SMwa{self._sids:030d}"

    async def inbound(self, sender: str, body: str, **extra: str) -> httpx.Response:
        """A WhatsApp message as Twilio posts it (WaId without the +, ProfileName, MessageType)."""
        sid = self._sid()
        params = {
            "SmsMessageSid": sid, "NumMedia": "0", "ProfileName": "Ana Silva", "MessageType": "text",
            "SmsSid": sid, "WaId": sender.removeprefix("whatsapp:").lstrip("+"), "SmsStatus": "received",
            "Body": body, "To": f"whatsapp:{WA_FROM}", "NumSegments": "1", "ReferralNumMedia": "0",
            "MessageSid": sid, "AccountSid": TWILIO_SID, "From": sender, "ApiVersion": "2010-04-01", **extra,
        }  # fmt: skip
        return await self.post("/twilio/sms", params)

    async def sms(self, phone: str, body: str) -> httpx.Response:
        sid = self._sid()
        params = {"SmsMessageSid": sid, "NumMedia": "0", "SmsSid": sid, "SmsStatus": "received", "Body": body,
                  "To": TWILIO_FROM, "NumSegments": "1", "MessageSid": sid, "AccountSid": TWILIO_SID,
                  "From": phone, "ApiVersion": "2010-04-01"}  # fmt: skip
        return await self.post("/twilio/sms", params)

    async def status(self, sid: str, status: str, to: str, error: str | None = None) -> httpx.Response:
        """A WhatsApp status callback: ChannelPrefix, ChannelInstallSid, EventType on read."""
        params = {
            "ChannelPrefix": "whatsapp", "ApiVersion": "2010-04-01", "MessageStatus": status, "SmsSid": sid,
            "SmsStatus": status, "ChannelInstallSid": "XE00000000000000000000000000000001",
            "To": f"whatsapp:{to}", "ChannelToAddress": to[:-5] + "XXXXX", "From": f"whatsapp:{WA_FROM}",
            "MessageSid": sid, "AccountSid": TWILIO_SID, "StructuredMessage": "false",
        }  # fmt: skip
        if status in ("read", "delivered"):
            params["EventType"] = status.upper()
        if error:
            params["ErrorCode"] = error
            params["ChannelStatusMessage"] = "Message failed to send"
        return await self.post("/twilio/status", params)

    async def post(self, path: str, params: dict[str, str], signature: str | None = None) -> httpx.Response:
        signature = twilio_signature(PUBLIC_URL + path, params) if signature is None else signature
        response = await self.http.post(path, data=params, headers={"X-Twilio-Signature": signature})
        await self.pool.pool.settle()
        return response

    def to(self, phone: str) -> list[dict[str, str]]:
        return self.twilio.to(f"whatsapp:{phone}")

    async def status_of(self, sid: str) -> str:
        [row] = await self.pool.pool.store.reader()._all(
            "SELECT status FROM messages WHERE provider_id = ?", (sid,)
        )
        return row[0]

    async def on_whatsapp(self, name: str, window: bool = True, **fields: object) -> Member:
        """A GP who opted in to WhatsApp (as at the console) and prefers it; ``window``: who
        wrote there just now (free-form messages may go for 24 hours)."""
        member = await self.pool.gp(name, preferred_channel="whatsapp", **fields)
        async with self.pool.pool.store.unit_of_work() as uow:
            await uow.whatsapp.opt_in(member.id, member.phone, "console", self.pool.clock.now())
            if window:
                await uow.whatsapp.note_inbound(member.id, member.phone, self.pool.clock.now())
        return member

    async def opted_out(self, member: object) -> frozenset[str]:
        return frozenset((await self.pool.pool.store.reader().members.member(member.id)).opted_out)


@contextlib.asynccontextmanager
async def open_wa(folder: Path, env: dict[str, str] = WA_ENV) -> AsyncIterator[Wa]:
    with respx.mock(assert_all_called=False) as router:
        twilio = FakeTwilio(router)
        pool = await Harness.open(folder, **env)
        await pool.practice()
        transport = httpx.ASGITransport(app=build_app(pool.pool, "token"))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://10.0.0.5:8000") as http:
                yield Wa(pool, twilio, http)
        finally:
            await pool.close()


@pytest.fixture
async def wa(tmp_path: Path) -> AsyncIterator[Wa]:
    async with open_wa(tmp_path) as opened:
        yield opened


# -- sending, against the fake API ----------------------------------------------------------------


def message(
    text: str = "Hi Zoë – your session’s confirmed", choices: tuple[Choice, ...] = ()
) -> OutboxMessage:
    return OutboxMessage(
        id=1, channel="whatsapp", address="+447700900123", text=text, choices=choices, member_id=1,
        topic=None, kind="reply", attempts=0,
    )  # fmt: skip


def channel(**options: str) -> TwilioWhatsApp:
    return TwilioWhatsApp(TWILIO_SID, TWILIO_TOKEN, TWILIO_BASE, PUBLIC_URL, f"whatsapp:{WA_FROM}", **options)


@respx.mock
async def test_free_form_goes_as_body_between_whatsapp_addresses() -> None:
    twilio = FakeTwilio(respx.mock)
    result = await channel().send(message(choices=(Choice("Yes", "YES 4821"), Choice("No", "NO 4821"))))
    [sent] = twilio.sent
    assert result == Sent(provider_id=sent["sid"])
    assert sent["From"] == f"whatsapp:{WA_FROM}" and sent["To"] == "whatsapp:+447700900123"
    assert sent["StatusCallback"] == f"{PUBLIC_URL}/twilio/status"
    assert sent["Body"] == "Hi Zoë – your session’s confirmed\nReply YES 4821 or NO 4821.", (
        "no GSM-7 squashing on WhatsApp: the text as given"
    )
    assert "MessagingServiceSid" not in sent and "ContentSid" not in sent


@respx.mock
async def test_with_a_messaging_service_from_still_picks_the_whatsapp_sender() -> None:
    twilio = FakeTwilio(respx.mock)
    await channel(messaging_service_sid="MG00000000000000000000000000000001").send(message())
    [sent] = twilio.sent
    assert sent["MessagingServiceSid"] == "MG00000000000000000000000000000001"
    assert sent["From"] == f"whatsapp:{WA_FROM}"


@respx.mock
async def test_a_template_goes_as_content_sid_and_variables_and_no_body() -> None:
    twilio = FakeTwilio(respx.mock)
    result = await channel().send_template(
        message(), "HX00000000000000000000000000000001", {"1": "Dr Zoë O’Neill", "2": "Tue 5 Jan\n08:30"}
    )
    [sent] = twilio.sent
    assert isinstance(result, Sent)
    assert "Body" not in sent, "Twilio refuses Body with ContentVariables (35127)"
    assert sent["ContentSid"] == "HX00000000000000000000000000000001"
    assert json.loads(sent["ContentVariables"]) == {"1": "Dr Zoë O’Neill", "2": "Tue 5 Jan 08:30"}, (
        "a JSON string; a variable cannot hold a newline"
    )
    assert sent["From"] == f"whatsapp:{WA_FROM}" and sent["To"] == "whatsapp:+447700900123"
    assert sent["StatusCallback"] == f"{PUBLIC_URL}/twilio/status"


@respx.mock
async def test_a_template_with_an_empty_variable_is_not_sent() -> None:
    twilio = FakeTwilio(respx.mock)
    result = await channel().send_template(message(), "HX1", {"1": "Dr A", "2": "  "})
    assert result == Unreachable("template variable 2 is empty", code="63013")
    assert twilio.route.call_count == 0


@pytest.mark.parametrize(
    ("status", "code", "expected", "words"),
    [
        (400, 63016, OutsideWindow, "24 hours"),
        (429, 63018, RetryLater, "rate limit"),
        (400, 63018, RetryLater, "rate limit"),
        (400, 63003, Unreachable, "not on WhatsApp"),
        (400, 63024, Unreachable, "not a WhatsApp user"),
        (400, 63007, Unreachable, "TWILIO_WHATSAPP_FROM"),
        (400, 63027, Unreachable, "template"),
        (400, 21211, Unreachable, "Twilio refused it: Invalid 'To' Phone Number"),
        (503, None, RetryLater, "Twilio 503"),
    ],
)
@respx.mock
async def test_twilios_error_codes_by_meaning(
    status: int, code: int | None, expected: type, words: str
) -> None:
    twilio = FakeTwilio(respx.mock)
    body = {"code": code, "message": "Invalid 'To' Phone Number", "status": status} if code else {}
    twilio.script = [(status, body, {})]
    result = await channel().send(message())
    assert type(result) is expected
    assert words in result.reason
    if expected is not RetryLater:
        assert result.code == str(code)


async def test_outside_window_is_an_unreachable_for_a_dispatcher_that_knows_no_windows() -> None:
    result = OutsideWindow("outside the window", code="63016")
    match result:
        case Unreachable(reason, code):
            assert (reason, code) == ("outside the window", "63016")
        case _:
            raise AssertionError("not matched as Unreachable")


@respx.mock
async def test_a_timeout_is_retried_later() -> None:
    twilio = FakeTwilio(respx.mock)
    twilio.script = [httpx.ReadTimeout("slow")]
    assert await channel().send(message()) == RetryLater("timeout")


def test_its_own_pace_and_name() -> None:
    whatsapp = channel()
    assert (whatsapp.name, whatsapp.edits_are_free, whatsapp.limits.per_second) == ("whatsapp", False, 80.0)


# -- receiving on the shared webhook ------------------------------------------------------------


async def test_a_whatsapp_message_is_answered_on_whatsapp(wa: Wa) -> None:
    zoe = await wa.pool.gp("Dr Zoë O’Neill")
    answered = await wa.inbound(f"whatsapp:{zoe.phone}", "HELP")
    assert answered.status_code == 200
    assert answered.text == '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
    [reply] = wa.to(zoe.phone)
    assert reply["From"] == f"whatsapp:{WA_FROM}" and reply["Body"].startswith("Reply YES or NO to an offer")
    assert wa.twilio.to(zoe.phone) == [], "nothing went by SMS"
    rows = await wa.pool.pool.store.reader()._all(
        "SELECT channel, address FROM messages WHERE direction = 'in'", ()
    )
    assert [tuple(r) for r in rows] == [("whatsapp", zoe.phone)], "the address is E.164, without whatsapp:"


async def test_a_button_press_books_by_its_payload(wa: Wa) -> None:
    zoe = await wa.on_whatsapp("Dr Zoë O’Neill")
    session = await wa.pool.post(urgent=True)
    code = await wa.pool.offer_code(zoe, session)
    [offer] = wa.to(zoe.phone)
    assert offer["Body"].startswith("URGENT: GP session") and f"YES {code}" in offer["Body"]
    await wa.inbound(
        f"whatsapp:{zoe.phone}", "Yes, I'll take it", ButtonText="Yes, I'll take it",
        ButtonPayload=f"YES {code}", ButtonType="REPLY", MessageType="button",
    )  # fmt: skip
    assert (await wa.pool.view(session)).booked.id == zoe.id, "the payload, not the words, was read"
    assert wa.to(zoe.phone)[1]["Body"].startswith("Booked:")


async def test_stop_on_whatsapp_opts_out_of_whatsapp_only(wa: Wa) -> None:
    zoe = await wa.pool.gp("Dr Zoë O’Neill")
    await wa.inbound(f"whatsapp:{zoe.phone}", "STOP")
    assert await wa.opted_out(zoe) == {"whatsapp"}, "never an SMS opt-out"
    assert len(wa.to(zoe.phone)) == 1, "Twilio does not confirm STOP on WhatsApp: we do"
    await wa.sms(zoe.phone, "HELP")
    assert len(wa.twilio.to(zoe.phone)) == 1, "SMS still reaches her"


def test_a_whatsapp_stop_carries_no_carrier_action() -> None:
    for word in ("STOP", "start", "HELP", "unsubscribe"):
        inbound = channel().inbound(
            {"MessageSid": "SM1", "From": "whatsapp:+447700900123", "Body": word, "NumMedia": "0"},
            received_at=None,  # type: ignore[arg-type]
        )
        assert inbound is not None and inbound.carrier_action is None and inbound.channel == "whatsapp"


@pytest.mark.parametrize("sender", ["whatsapp:US.1234", "whatsapp:", "whatsapp:VERIFY"])
async def test_a_sender_without_a_phone_number_is_ignored_politely(wa: Wa, sender: str) -> None:
    answered = await wa.inbound(sender, "hello", ExternalUserId="whatsapp:US.1234")
    assert answered.status_code == 200 and wa.twilio.sent == []
    assert await wa.pool.pool.store.reader()._all("SELECT id FROM messages", ()) == []


async def test_forwarded_words_are_not_taken_as_hers(wa: Wa) -> None:
    zoe = await wa.on_whatsapp("Dr Zoë O’Neill")
    session = await wa.pool.post(urgent=True)
    await wa.inbound(f"whatsapp:{zoe.phone}", "YES", Forwarded="true")
    assert (await wa.pool.view(session)).booked is None


async def test_the_shared_webhook_checks_the_signature(wa: Wa) -> None:
    params = {
        "MessageSid": "SM1",
        "From": "whatsapp:+447700900123",
        "Body": "HELP",
        "To": f"whatsapp:{WA_FROM}",
    }
    forged = await wa.post(
        "/twilio/sms", params, signature=twilio_signature(PUBLIC_URL + "/twilio/sms", params, "x")
    )
    assert forged.status_code == 403


# -- statuses ----------------------------------------------------------------------------------


async def test_read_is_recorded_and_never_moves_back(wa: Wa) -> None:
    zoe = await wa.on_whatsapp("Dr Zoë O’Neill")
    await wa.pool.post(urgent=True)
    sid = wa.to(zoe.phone)[0]["sid"]
    seen = []
    for state in ("sent", "read", "delivered", "sent"):
        assert (await wa.status(sid, state, zoe.phone)).status_code == 204
        seen.append(await wa.status_of(sid))
    assert seen == ["sent", "read", "read", "read"], "WhatsApp may report read before delivered"


async def test_a_failed_status_keeps_the_code_and_its_meaning(wa: Wa) -> None:
    zoe = await wa.on_whatsapp("Dr Zoë O’Neill")
    await wa.pool.post(urgent=True)
    sid = wa.to(zoe.phone)[0]["sid"]
    await wa.status(sid, "failed", zoe.phone, error="63016")
    [row] = await wa.pool.pool.store.reader()._all(
        "SELECT status, error_code, error FROM messages WHERE provider_id = ?", (sid,)
    )
    assert row[0] == "failed" and row[1] == "63016" and "24 hours" in row[2]
    assert await wa.opted_out(zoe) == frozenset(), "a WhatsApp failure is never an opt-out"


async def test_sms_statuses_are_unchanged(wa: Wa) -> None:
    zoe = await wa.pool.gp("Dr Zoë O’Neill", preferred_channel="sms")
    await wa.pool.post(urgent=True)
    sid = wa.twilio.to(zoe.phone)[0]["sid"]
    params = {"MessageSid": sid, "MessageStatus": "read", "AccountSid": TWILIO_SID, "From": TWILIO_FROM,
              "To": zoe.phone, "ApiVersion": "2010-04-01"}  # fmt: skip
    assert (await wa.post("/twilio/status", params)).status_code == 204
    assert await wa.status_of(sid) == "delivered", "an SMS 'read' is delivered, as before"
    stop = {**params, "MessageStatus": "failed", "ErrorCode": "21610"}
    await wa.post("/twilio/status", stop)
    assert await wa.status_of(sid) == "delivered"


async def test_sms_stop_is_still_the_carriers_and_sms_only(wa: Wa) -> None:
    zoe = await wa.pool.gp("Dr Zoë O’Neill")
    await wa.sms(zoe.phone, "STOP")
    assert await wa.opted_out(zoe) == {"sms"}
    assert wa.twilio.sent == [], "Twilio confirms an SMS STOP itself"


# -- settings and wiring ------------------------------------------------------------------------


async def test_whatsapp_messages_are_ignored_when_whatsapp_is_off(tmp_path: Path) -> None:
    async with open_wa(tmp_path, TWILIO_ENV) as sms_only:
        zoe = await sms_only.pool.gp("Dr Zoë O’Neill")
        answered = await sms_only.inbound(f"whatsapp:{zoe.phone}", "HELP")
        assert answered.status_code == 200 and sms_only.twilio.sent == [], "not taken for an SMS"


async def test_whatsapp_alone_on_the_account(tmp_path: Path) -> None:
    env = {key: value for key, value in WA_ENV.items() if key != "TWILIO_FROM_NUMBER"}
    async with open_wa(tmp_path, env) as alone:
        assert "sms" not in alone.pool.pool.channels and "whatsapp" in alone.pool.pool.channels
        zoe = await alone.pool.gp("Dr Zoë O’Neill")
        await alone.inbound(f"whatsapp:{zoe.phone}", "HELP")
        assert len(alone.to(zoe.phone)) == 1


@pytest.mark.parametrize(
    ("env", "on", "error"),
    [
        ({"TWILIO_WHATSAPP_FROM": "whatsapp:+447700900888"}, ("sms", "whatsapp"), None),
        ({"TWILIO_WHATSAPP_FROM": "07700 900888"}, ("sms", "whatsapp"), None),
        ({"TWILIO_WHATSAPP_FROM": ""}, ("sms",), None),
        ({"TWILIO_WHATSAPP_FROM": "+447700900888", "TWILIO_FROM_NUMBER": ""}, ("whatsapp",), None),
        ({"TWILIO_WHATSAPP_FROM": "+447700900888", "TWILIO_AUTH_TOKEN": ""}, (), "TWILIO_AUTH_TOKEN"),
        ({"TWILIO_WHATSAPP_FROM": "whatsapp:US.1234"}, (), "TWILIO_WHATSAPP_FROM"),
    ],
)
def test_settings(env: dict[str, str], on: tuple[str, ...], error: str | None) -> None:
    environ = {**TWILIO_ENV, "POOL_SANDBOX": "off", **env}
    if error:
        with pytest.raises(ConfigError, match=error):
            load_settings(environ)
        return
    settings = load_settings(environ)
    assert settings.channels_on == on
    if "whatsapp" in on:
        assert settings.twilio_whatsapp_from == "+447700900888"
