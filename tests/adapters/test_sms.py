"""SMS over Twilio, against a fake of Twilio's API that records exactly what Twilio receives,
with webhooks built and signed as Twilio builds and signs them."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import respx

from adapters.gsm import segments
from bot.clock import FakeClock
from bot.commands import BuildReport
from bot.domain import OfferState
from bot.outbox import RetryPolicy
from bot.policy import PoolPolicy
from config import load_settings
from flows.desk.report import financial_year
from main import build_app, build_channels
from tests.fakes import PUBLIC_URL, TWILIO_ENV, TWILIO_FROM, FakeTwilio, RecordingChannel, twilio_signature
from tests.harness import START, Harness


class Sms:
    def __init__(self, pool: Harness, twilio: FakeTwilio, http: httpx.AsyncClient) -> None:
        self.pool, self.twilio, self.http = pool, twilio, http
        self._sids = 0

    async def inbound(self, phone: str, body: str, sid: str | None = None, **extra: str) -> httpx.Response:
        self._sids += 1
        params = {
            "ToCountry": "GB", "SmsMessageSid": sid or f"SMin{self._sids:030d}", "NumMedia": "0",
            "SmsSid": sid or f"SMin{self._sids:030d}", "SmsStatus": "received", "Body": body, "To": TWILIO_FROM,
            "NumSegments": "1", "MessageSid": sid or f"SMin{self._sids:030d}", "AccountSid": TWILIO_ENV["TWILIO_ACCOUNT_SID"],
            "From": phone, "ApiVersion": "2010-04-01", **extra,
        }  # fmt: skip
        return await self.post("/twilio/sms", params)

    async def status(self, sid: str, status: str, error: str | None = None) -> httpx.Response:
        params = {"MessageSid": sid, "MessageStatus": status, "SmsSid": sid, "SmsStatus": status,
                  "AccountSid": TWILIO_ENV["TWILIO_ACCOUNT_SID"], "From": TWILIO_FROM, "To": "+447700900001",
                  "ApiVersion": "2010-04-01"}  # fmt: skip
        if error:
            params["ErrorCode"] = error
        return await self.post("/twilio/status", params)

    async def post(self, path: str, params: dict[str, str], signature: str | None = None) -> httpx.Response:
        signature = twilio_signature(PUBLIC_URL + path, params) if signature is None else signature
        response = await self.http.post(path, data=params, headers={"X-Twilio-Signature": signature})
        await self.pool.pool.settle()
        return response

    def bodies(self, phone: str) -> list[str]:
        return [message["Body"] for message in self.twilio.to(phone)]


@contextlib.asynccontextmanager
async def open_sms(folder: Path, policy: PoolPolicy | None = None) -> AsyncIterator[Sms]:
    with respx.mock(assert_all_called=False) as router:
        twilio = FakeTwilio(router)
        pool = await Harness.open(folder, policy=policy, **TWILIO_ENV)
        await pool.practice(
            name="St Mary’s Medical Centre – Northside", address="1 Church Lane, Northside NS2 4CD"
        )
        # Behind a proxy or tunnel, requests reach us on another host than POOL_PUBLIC_URL's.
        app = build_app(pool.pool, "token")
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://10.0.0.5:8000") as http:
                yield Sms(pool, twilio, http)
        finally:
            await pool.close()


@pytest.fixture
async def sms(tmp_path: Path) -> AsyncIterator[Sms]:
    async with open_sms(tmp_path) as opened:
        yield opened


async def gp(sms: Sms, name: str = "Dr Zoë O’Neill", **fields) -> object:
    return await sms.pool.gp(name, preferred_channel="sms", **fields)


async def test_a_gp_is_offered_accepts_and_is_booked_by_sms(sms: Sms) -> None:
    zoe = await gp(sms)
    session = await sms.pool.post(urgent=True)
    [offer] = sms.twilio.to(zoe.phone)
    code = await sms.pool.offer_code(zoe, session)
    assert offer["From"] == TWILIO_FROM and offer["StatusCallback"] == f"{PUBLIC_URL}/twilio/status"
    assert offer["Body"] == (
        "URGENT: GP session at St Mary's Medical Centre - Northside, Northside\n"
        f"Wed 2 Dec, 08:30-12:30, £320. EMIS Web.\nReply YES {code} or NO {code}."
    ), "GSM-7 only: a curly quote or an en dash in the data cannot switch the text to UCS-2"

    answered = await sms.inbound(zoe.phone, "Yes please")

    assert answered.status_code == 200
    assert answered.headers["content-type"].startswith("application/xml")
    assert answered.text == '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
    assert (await sms.pool.view(session)).booked.id == zoe.id
    assert sms.bodies(zoe.phone)[1].startswith("Booked: St Mary's Medical Centre - Northside")


async def test_decline_drop_and_stop_by_sms(sms: Sms) -> None:
    zoe = await gp(sms)
    first = await sms.pool.post(urgent=True)
    await sms.inbound(zoe.phone, "No thanks")
    assert "declined" in sms.bodies(zoe.phone)[-1]
    second = await sms.pool.post(start=first.starts_at + timedelta(hours=5), urgent=True)
    code = await sms.pool.offer_code(zoe, second)
    await sms.inbound(zoe.phone, f"YES {code}")
    await sms.inbound(zoe.phone, f"DROP {code}")
    assert "given up" in sms.bodies(zoe.phone)[-1]
    assert (await sms.pool.view(second)).booked is None
    sent = len(sms.twilio.sent)

    await sms.inbound(zoe.phone, "STOP")

    assert len(sms.twilio.sent) == sent, "Twilio confirms STOP itself; a text from us would be blocked"
    assert "sms" in (await sms.pool.pool.store.reader().members.member(zoe.id)).opted_out
    third = await sms.pool.post(start=first.starts_at + timedelta(days=1), urgent=True)
    assert zoe.id not in {m.id for _, m in (await sms.pool.view(third)).offers}
    assert sms.twilio.to(zoe.phone)[-1]["Body"].startswith("You've given up"), (
        "nothing reached her after STOP"
    )


@pytest.mark.parametrize(
    "word", ["STOP", "stopall", "Unsubscribe", "CANCEL", "end", "QUIT", "revoke", "optout"]
)
async def test_each_carrier_opt_out_word_opts_out_silently(sms: Sms, word: str) -> None:
    zoe = await gp(sms)
    await sms.inbound(zoe.phone, word)
    assert "sms" in (await sms.pool.pool.store.reader().members.member(zoe.id)).opted_out
    assert sms.twilio.to(zoe.phone) == []


@pytest.mark.parametrize("word", ["START", "unstop"])
async def test_start_and_unstop_opt_back_in_and_open_sessions_follow(sms: Sms, word: str) -> None:
    zoe = await gp(sms)
    await sms.inbound(zoe.phone, "STOP")
    session = await sms.pool.post(urgent=True)
    await sms.inbound(zoe.phone, word)
    assert "sms" not in (await sms.pool.pool.store.reader().members.member(zoe.id)).opted_out
    assert [m["Body"].split("\n")[0] for m in sms.twilio.to(zoe.phone)] == [
        "URGENT: GP session at St Mary's Medical Centre - Northside, Northside"
    ], "no welcome text from us (Twilio sends one); the open session reaches her"
    assert zoe.id in {m.id for _, m in (await sms.pool.view(session)).offers}


async def test_a_bare_yes_with_one_open_offer_books_it(sms: Sms) -> None:
    zoe = await gp(sms)
    session = await sms.pool.post(urgent=True)
    await sms.inbound(zoe.phone, "YES")
    assert (await sms.pool.view(session)).booked.id == zoe.id


async def test_yes_from_someone_who_said_stop_opts_them_in_and_answers(sms: Sms) -> None:
    zoe = await gp(sms, telegram_chat_id="1234")
    await sms.inbound(zoe.phone, "STOP")
    session = await sms.pool.post(urgent=True)
    await sms.inbound(zoe.phone, "yes")
    assert "sms" not in (await sms.pool.pool.store.reader().members.member(zoe.id)).opted_out
    assert (await sms.pool.view(session)).booked.id == zoe.id
    bodies = sms.bodies(zoe.phone)
    assert bodies[0].startswith("URGENT: GP session") and bodies[1].startswith("Booked:")


@pytest.mark.parametrize("word", ["HELP", "info"])
async def test_help_and_info_get_our_help_too(sms: Sms, word: str) -> None:
    zoe = await gp(sms)
    await sms.inbound(zoe.phone, word)
    [help_text] = sms.bodies(zoe.phone)
    assert help_text.startswith("Reply YES or NO to an offer")


async def test_a_picture_gets_a_polite_text_only(sms: Sms) -> None:
    zoe = await gp(sms)
    await sms.inbound(
        zoe.phone,
        "",
        NumMedia="1",
        MediaUrl0="https://api.twilio.com/media/1",
        MediaContentType0="image/jpeg",
    )
    assert sms.bodies(zoe.phone) == [
        "Sorry, pictures and files don't reach the pool: please send your reply as text."
    ]


async def test_the_signature_is_checked_against_the_public_url(sms: Sms) -> None:
    zoe = await gp(sms)
    params = {"MessageSid": "SM1", "From": zoe.phone, "To": TWILIO_FROM, "Body": "HELP", "NumMedia": "0"}
    forged = await sms.post(
        "/twilio/sms", params, signature=twilio_signature(PUBLIC_URL + "/twilio/sms", params, "wrong")
    )
    missing = await sms.post("/twilio/sms", params, signature="")
    stale = await sms.post(
        "/twilio/sms", params, signature=twilio_signature("http://10.0.0.5:8000/twilio/sms", params)
    )
    tampered = await sms.post(
        "/twilio/sms",
        {**params, "Body": "YES"},
        signature=twilio_signature(PUBLIC_URL + "/twilio/sms", params),
    )
    assert [r.status_code for r in (forged, missing, stale, tampered)] == [403, 403, 403, 403]
    assert sms.twilio.sent == []
    assert await sms.pool.pool.store.reader().inbox.items() == []
    good = await sms.post("/twilio/sms", params)
    assert good.status_code == 200 and len(sms.twilio.sent) == 1


async def test_the_twilio_package_and_the_documented_algorithm_agree() -> None:
    from twilio.request_validator import RequestValidator

    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675310",
        "Digits": "1234",
        "From": "+14158675310",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature(url, params, "12345") == "GvWf1cFY/Q7PnoempGyD5oXAezc="  # Twilio's own example
    assert RequestValidator("12345").compute_signature(url, params) == "GvWf1cFY/Q7PnoempGyD5oXAezc="


async def test_a_replayed_message_sid_has_one_effect(sms: Sms) -> None:
    zoe = await gp(sms)
    session = await sms.pool.post(urgent=True)
    first = await sms.inbound(zoe.phone, "yes", sid="SMrepeat")
    again = await sms.inbound(zoe.phone, "yes", sid="SMrepeat")
    assert first.status_code == again.status_code == 200
    assert (await sms.pool.view(session)).booked.id == zoe.id
    bodies = sms.bodies(zoe.phone)
    assert len(bodies) == 3 and bodies[1].startswith("Booked:") and bodies[2].startswith("First time at")
    assert not any("already booked" in body for body in bodies), "the replay had no effect"


async def test_a_429_with_retry_after_is_waited_for_then_sent(sms: Sms) -> None:
    zoe = await gp(sms)
    sms.twilio.script = [(429, {"code": 20429, "message": "Too Many Requests"}, {"Retry-After": "20"})]
    await sms.pool.post(urgent=True)
    assert sms.twilio.to(zoe.phone) == []
    await sms.pool.advance(seconds=19)
    assert sms.twilio.to(zoe.phone) == []
    await sms.pool.advance(seconds=1)
    assert len(sms.twilio.to(zoe.phone)) == 1


async def test_a_timeout_is_retried_with_backoff_then_sent_once(sms: Sms) -> None:
    zoe = await gp(sms)
    sms.twilio.script = [httpx.ReadTimeout("Twilio took too long")]
    await sms.pool.post(urgent=True)
    assert sms.twilio.to(zoe.phone) == [] and sms.twilio.route.call_count == 1
    await sms.pool.advance(seconds=RetryPolicy().first_delay)
    assert len(sms.twilio.to(zoe.phone)) == 1 and sms.twilio.route.call_count == 2


async def test_five_hundreds_then_failure_visible_to_the_coordinator(sms: Sms) -> None:
    zoe = await gp(sms)
    sms.pool.pool.dispatcher.retry = RetryPolicy(max_attempts=3)
    sms.twilio.script = [(500, {"message": "Internal"}, {})] * 3
    await sms.pool.post(urgent=True)
    for _ in range(3):
        await sms.pool.advance(minutes=5)
    assert sms.twilio.to(zoe.phone) == []
    [(change, member, _)] = await sms.pool.pool.store.undelivered(sms.pool.clock.now() - timedelta(days=1))
    assert member.id == zoe.id and change.status == "failed" and change.kind == "offer"
    reply = await sms.http.get("/api/unreachable", headers={"Authorization": "Bearer token"})
    assert reply.json()[0]["name"] == zoe.name


async def test_a_21610_refusal_opts_the_member_out(sms: Sms) -> None:
    zoe = await gp(sms)
    sms.twilio.script = [(400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient"}, {})]
    await sms.pool.post(urgent=True)
    assert "sms" in (await sms.pool.pool.store.reader().members.member(zoe.id)).opted_out
    await sms.pool.post(start=sms.pool.clock.now() + timedelta(days=2), urgent=True)
    assert sms.twilio.to(zoe.phone) == [], "no SMS ever reaches her again"


async def test_status_callbacks_in_and_out_of_order(sms: Sms) -> None:
    zoe = await gp(sms)
    await sms.pool.post(urgent=True)
    sid = sms.twilio.to(zoe.phone)[0]["sid"]
    for state in ("queued", "delivered", "sent", "delivered"):
        assert (await sms.status(sid, state)).status_code == 204
    rows = await sms.pool.pool.store.reader()._all(
        "SELECT status, segments FROM messages WHERE provider_id = ?", (sid,)
    )
    assert [tuple(r) for r in rows] == [("delivered", 1)], (
        "delivered stays delivered; the segments Twilio billed"
    )
    bad = await sms.post(
        "/twilio/status", {"MessageSid": sid, "MessageStatus": "delivered"}, signature="nope"
    )
    assert bad.status_code == 403


async def test_an_undelivered_offer_falls_back_to_the_members_other_channel(tmp_path: Path) -> None:
    with respx.mock(assert_all_called=False) as router:
        twilio = FakeTwilio(router)
        settings = load_settings({**TWILIO_ENV, "POOL_DATABASE": str(tmp_path / "pool.db")})
        clock = FakeClock(START)
        telegram = RecordingChannel(clock, name="telegram")  # the member's other linked channel
        pool = await Harness.open(
            tmp_path, clock=clock, channels={**build_channels(settings), "telegram": telegram}, **TWILIO_ENV
        )
        try:
            await pool.practice()
            both = await pool.gp("Dr Both", preferred_channel="sms", telegram_chat_id="555")
            only_sms = await pool.gp("Dr Only", preferred_channel="sms")
            session = await pool.post(urgent=True)
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=build_app(pool.pool, "t")), base_url=PUBLIC_URL
            ) as http:
                sms = Sms(pool, twilio, http)
                for member in (both, only_sms):
                    sid = twilio.to(member.phone)[0]["sid"]
                    await sms.status(sid, "undelivered", error="30003")
            [(_, fallback)] = telegram.sent
            assert fallback.address == "555" and fallback.kind == "offer" and fallback.choices
            assert fallback.text.startswith("URGENT: GP session")
            undelivered = {
                m.id for _, m, _ in await pool.pool.store.undelivered(pool.clock.now() - timedelta(hours=1))
            }
            assert undelivered == {both.id, only_sms.id}
            offers = {m.id: o.state for o, m in (await pool.view(session)).offers}
            assert offers[only_sms.id] == OfferState.OPEN
        finally:
            await pool.close()


@pytest.mark.parametrize("filled_sms", [False, True])
async def test_filled_notice_by_sms_only_when_the_pool_pays_for_it(tmp_path: Path, filled_sms: bool) -> None:
    async with open_sms(tmp_path, PoolPolicy(pool_name="Test Pool", filled_sms=filled_sms)) as sms:
        taker, holder, late = [await gp(sms, f"Dr {n}") for n in "ABC"]
        session = await sms.pool.post(urgent=True)
        await sms.inbound(taker.phone, f"YES {await sms.pool.offer_code(taker, session)}")
        notices = [body for body in sms.bodies(holder.phone) if "filled" in body]
        assert len(notices) == (1 if filled_sms else 0)
        await sms.inbound(late.phone, f"YES {await sms.pool.offer_code(late, session)}")
        assert "filled" in sms.bodies(late.phone)[-1], "told at once either way"


async def test_the_report_counts_sms_segments_per_filled_session(sms: Sms) -> None:
    # Dr B holds both offers too: the texts to her count towards the filled sessions' cost.
    a, _ = await gp(sms, "Dr A"), await gp(sms, "Dr B")
    first = await sms.pool.post(urgent=True)
    second = await sms.pool.post(start=first.starts_at + timedelta(hours=5), urgent=True, notes="x" * 90)
    for session in (first, second):
        await sms.inbound(a.phone, f"YES {await sms.pool.offer_code(a, session)}")
    billed = sum(segments(m["Body"]).count for m in sms.twilio.sent)
    assert billed > len(sms.twilio.sent), "the long offers went as two segments each"
    report = await sms.pool.pool.engine.execute(BuildReport(financial_year(sms.pool.today)), actor="test")
    assert report.sms_segments == billed
    assert report.sms_segments_per_filled_session == round(billed / 2, 1)
