"""WhatsApp's 24-hour window when the pool sends (issue 27): free-form inside it, the approved
template outside it (or the member's other channel), and WhatsApp's refusals by meaning. Twilio
is faked at the HTTP boundary (tests/fakes.py), the webhooks signed as Twilio signs them."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from bot.domain import Member, Outbound
from flows.conversation import messages
from tests.adapters.test_whatsapp import Wa
from tests.adapters.test_whatsapp import wa as wa  # the fixture, shared
from tests.harness import at

SID = "HX" + "0123456789abcdef" * 2


def approve(wa: Wa, *kinds: str) -> None:
    """As if Meta approved these templates and their sids were pasted into the config."""
    templates = wa.pool.pool.engine.whatsapp_templates
    for kind in kinds:
        templates[kind] = replace(templates[kind], sid=SID)


async def fresh(wa: Wa, member: Member) -> Member:
    found = await wa.pool.pool.store.reader().members.member(member.id)
    assert found is not None
    return found


async def test_an_offer_inside_the_window_goes_free_form(wa: Wa) -> None:
    approve(wa, "offer")
    zoe = await wa.on_whatsapp("Dr Zoë O’Neill")
    await wa.pool.post(urgent=True)
    [offer] = wa.to(zoe.phone)
    assert offer["Body"].startswith("URGENT: GP session") and "ContentSid" not in offer
    assert wa.twilio.to(zoe.phone) == []


async def test_an_offer_outside_the_window_goes_as_its_template_and_its_button_books(wa: Wa) -> None:
    approve(wa, "offer")
    zoe = await wa.on_whatsapp("Dr Zoë O’Neill", window=False)
    session = await wa.pool.post(urgent=True)
    code = await wa.pool.offer_code(zoe, session)
    [offer] = wa.to(zoe.phone)
    assert "Body" not in offer and offer["ContentSid"] == SID
    assert json.loads(offer["ContentVariables"]) == {
        "1": "Zoë",
        "2": "Riverside Surgery",
        "3": messages.when(session),
        "4": messages.money(session.rate_pence),
        "5": code,
    }
    assert wa.twilio.to(zoe.phone) == [], "nothing by SMS"
    await wa.inbound(
        f"whatsapp:{zoe.phone}", "Accept", ButtonText="Accept", ButtonPayload=f"YES {code}",
        ButtonType="REPLY", MessageType="button",
    )  # fmt: skip
    assert (await wa.pool.view(session)).booked.id == zoe.id
    answers = [m.get("Body", "") for m in wa.to(zoe.phone)[1:]]
    assert answers[0].startswith("Booked:"), "her press opened the window: the answer goes free-form"


async def test_a_batch_outside_the_window_goes_as_one_template_an_offer(wa: Wa) -> None:
    approve(wa, "offer")
    engine = wa.pool.pool.engine
    engine.policy = replace(engine.policy, offer_batch=timedelta(minutes=2))
    zoe = await wa.on_whatsapp("Dr Zoë O’Neill", window=False)
    first = await wa.pool.post(start=at(wa.pool.tomorrow, 8, 30))
    second = await wa.pool.post(start=at(wa.pool.tomorrow, 13, 30))
    assert wa.to(zoe.phone) == [], "routine offers wait for their batch"
    await wa.pool.advance(minutes=3)
    sent = wa.to(zoe.phone)
    assert [m["ContentSid"] for m in sent] == [SID, SID] and all("Body" not in m for m in sent)
    codes = {json.loads(m["ContentVariables"])["5"] for m in sent}
    assert codes == {await wa.pool.offer_code(zoe, first), await wa.pool.offer_code(zoe, second)}


async def test_a_template_not_yet_approved_goes_by_sms(wa: Wa) -> None:
    zoe = await wa.on_whatsapp("Dr Zoë O’Neill", window=False)
    await wa.pool.post(urgent=True)
    assert wa.to(zoe.phone) == []
    [offer] = wa.twilio.to(zoe.phone)
    assert offer["Body"].startswith("URGENT: GP session")


async def test_a_free_form_message_outside_the_window_waits_for_them_then_goes_by_sms(wa: Wa) -> None:
    approve(wa, "offer")
    zoe = await wa.on_whatsapp("Dr Zoë O’Neill", window=False)
    ana = await wa.on_whatsapp("Dr Ana Silva", window=False)
    for who in (zoe, ana):
        await wa.pool.pool.engine.run(
            "test",
            lambda turn, who=who: _say(turn, Outbound(text="Your coordinator says hello", member_id=who.id)),
        )
    await wa.pool.pool.settle()
    assert wa.to(zoe.phone) == [] and wa.twilio.to(zoe.phone) == [], "held for her next WhatsApp message"
    # Zoë writes on WhatsApp within the day: it goes to her there, free-form.
    await wa.pool.advance(hours=3)
    await wa.inbound(f"whatsapp:{zoe.phone}", "morning")
    assert next(m.get("Body") for m in wa.to(zoe.phone)) == "Your coordinator says hello"
    # Ana does not: 24 hours on (at the hourly look), it goes by text.
    await wa.pool.advance(hours=20)
    assert wa.twilio.to(ana.phone) == []
    await wa.pool.advance(hours=2)
    [hello] = wa.twilio.to(ana.phone)
    assert hello["Body"] == "Your coordinator says hello" and wa.to(ana.phone) == []


async def _say(turn: object, out: Outbound) -> None:
    turn.say(out)  # type: ignore[attr-defined]


async def test_refused_outside_the_window_it_goes_again_as_the_template(wa: Wa) -> None:
    approve(wa, "offer")
    zoe = await wa.on_whatsapp("Dr Zoë O’Neill")  # the record says she wrote: free-form is tried
    session = await wa.pool.post(urgent=True)
    [tried] = wa.to(zoe.phone)
    assert "Body" in tried
    await wa.status(tried["sid"], "undelivered", zoe.phone, error="63016")
    [_, again] = wa.to(zoe.phone)
    assert again["ContentSid"] == SID and "Body" not in again
    assert json.loads(again["ContentVariables"])["5"] == await wa.pool.offer_code(zoe, session)
    assert wa.twilio.to(zoe.phone) == []


async def test_refused_at_once_outside_the_window_it_goes_again_as_the_template(wa: Wa) -> None:
    approve(wa, "offer")
    zoe = await wa.on_whatsapp("Dr Zoë O’Neill")
    wa.twilio.script = [(400, {"code": 63016, "message": "Outside window", "status": 400}, {})]
    await wa.pool.post(urgent=True)
    [again] = wa.to(zoe.phone)  # the refused first try was never recorded as sent
    assert again["ContentSid"] == SID


async def test_not_on_whatsapp_marks_it_unreachable_and_goes_by_sms(wa: Wa) -> None:
    zoe = await wa.on_whatsapp("Dr Zoë O’Neill")
    wa.twilio.script = [(400, {"code": 63003, "message": "Channel could not find To address"}, {})]
    await wa.pool.post(urgent=True)
    assert wa.to(zoe.phone) == []
    [offer] = wa.twilio.to(zoe.phone)
    assert offer["Body"].startswith("URGENT: GP session")
    state = await wa.pool.pool.store.reader().whatsapp.state(zoe.id)
    assert state is not None and state.unreachable_at is not None
    assert (await fresh(wa, zoe)).address_on("whatsapp") is None
    await wa.pool.post(urgent=True)
    assert wa.to(zoe.phone) == [] and len(wa.twilio.to(zoe.phone)) == 2, "no more tries on WhatsApp"


async def test_a_misconfigured_sender_alerts_the_coordinators_once(wa: Wa) -> None:
    priya = await wa.pool.coordinator()
    zoe = await wa.on_whatsapp("Dr Zoë O’Neill")
    ana = await wa.on_whatsapp("Dr Ana Silva")
    await wa.pool.post(urgent=True)
    for gp in (zoe, ana):
        [offer] = wa.to(gp.phone)
        await wa.status(offer["sid"], "failed", gp.phone, error="63007")
        assert len(wa.twilio.to(gp.phone)) == 1, "the offer went again by SMS"
    alerts = [
        m.body or ""
        for m in await wa.pool.messages(priya)
        if (m.body or "").startswith("WhatsApp error 63007")
    ]
    assert len(alerts) == 1, "once a code a day"
    assert "TWILIO_WHATSAPP_FROM" in alerts[0]
    state = await wa.pool.pool.store.reader().whatsapp.state(zoe.id)
    assert state is not None and state.unreachable_at is None, "the pool's set-up, not hers"


async def test_reminders_and_notices_outside_the_window_go_as_their_templates(wa: Wa) -> None:
    """The booking reminder, the hours question and a filled notice: each its own template with
    its values, as the config names them."""
    approve(wa, "offer", "booking_reminder", "hours_prompt", "filled")
    zoe = await wa.on_whatsapp("Dr Zoë O’Neill", window=False)
    ben = await wa.pool.gp("Dr Ben Carter")  # takes the session: Zoë's offer is filled
    session = await wa.pool.post(start=at(wa.pool.today + timedelta(days=2), 9, 0), urgent=True)
    await wa.pool.send(ben, f"YES {await wa.pool.offer_code(ben, session)}")
    filled = wa.to(zoe.phone)[-1]
    assert filled["ContentSid"] == SID and json.loads(filled["ContentVariables"]) == {
        "1": "Riverside Surgery", "2": messages.when(session),
    }  # fmt: skip
    mine = await wa.pool.post(start=at(wa.pool.today + timedelta(days=3), 9, 0), urgent=True)
    code = await wa.pool.offer_code(zoe, mine)
    await wa.inbound(f"whatsapp:{zoe.phone}", "Accept", ButtonPayload=f"YES {code}", ButtonText="Accept")
    booking = await wa.pool.pool.store.reader().bookings.live_booking(mine.id)
    # Two days on, her window (opened by the press) has closed: the reminder and the hours
    # question go as templates.
    wa.pool.clock.set(at(wa.pool.today + timedelta(days=2), 18, 0))
    await wa.pool.pool.settle()
    reminder = wa.to(zoe.phone)[-1]
    assert "Body" not in reminder and json.loads(reminder["ContentVariables"]) == {
        "1": "Riverside Surgery", "2": messages.when(mine), "3": booking.code,
    }  # fmt: skip
    wa.pool.clock.set(mine.ends_at)
    await wa.pool.pool.settle()
    hours = wa.to(zoe.phone)[-1]
    prompt = await wa.pool.pool.store.reader().prompts.prompt_about("hours", zoe.id, mine.id)
    assert "Body" not in hours and json.loads(hours["ContentVariables"])["3"] == prompt.code
