"""WhatsApp at its edges (each found by a review of issue 27, then fixed): the confirmation
refused outside the window, a crisis reply, STOP from someone never opted in, STOP with a
message held."""

from __future__ import annotations

from bot.domain import Outbound
from tests.adapters.test_whatsapp import Wa
from tests.adapters.test_whatsapp import wa as wa
from tests.adapters.test_whatsapp_window import approve


async def test_a_confirmation_refused_outside_the_window_is_not_sent_again(wa: Wa) -> None:
    zoe = await wa.pool.gp("Dr Zoë O’Neill")
    await wa.sms(zoe.phone, "WHATSAPP")
    sent = wa.to(zoe.phone)
    assert len(sent) == 1 and "Body" in sent[0], sent
    for _ in range(3):
        last = wa.to(zoe.phone)[-1]
        await wa.status(last["sid"], "undelivered", zoe.phone, error="63016")
    assert len(wa.to(zoe.phone)) == 1, f"free-form confirmation re-sent {len(wa.to(zoe.phone))} times"


async def test_an_approved_confirmation_template_is_used_outside_the_window(wa: Wa) -> None:
    approve(wa, "whatsapp_confirm")
    zoe = await wa.pool.gp("Dr Zoë O’Neill")
    await wa.sms(zoe.phone, "WHATSAPP")
    sent = wa.to(zoe.phone)
    assert "ContentSid" in sent[0], f"approved confirm template not used: {sent[0]}"


async def test_a_crisis_message_on_whatsapp_is_answered_there_at_once(wa: Wa) -> None:
    zoe = await wa.on_whatsapp("Dr Zoë O’Neill", window=False)
    await wa.inbound(f"whatsapp:{zoe.phone}", "I feel suicidal")
    [reply] = wa.to(zoe.phone)
    assert "Samaritans" in reply["Body"] and "ContentSid" not in reply, "free-form: she has just written"


async def test_stop_from_someone_never_opted_in_records_no_opt_in(wa: Wa) -> None:
    zoe = await wa.pool.gp("Dr Zoë O’Neill")
    await wa.inbound(f"whatsapp:{zoe.phone}", "STOP")
    st = await wa.pool.pool.store.reader().whatsapp.state(zoe.id)
    assert st is None or not st.opted_in, f"STOP recorded as opt-in: {st}"


async def test_stop_never_sends_what_was_held_for_whatsapp(wa: Wa) -> None:
    zoe = await wa.on_whatsapp("Dr Zoë O’Neill", window=False)

    async def say(turn):  # type: ignore[no-untyped-def]
        turn.say(Outbound(text="Your coordinator says hello", member_id=zoe.id))

    await wa.pool.pool.engine.run("test", say)
    await wa.pool.pool.settle()
    assert wa.to(zoe.phone) == []
    await wa.inbound(f"whatsapp:{zoe.phone}", "STOP")
    bodies = [m.get("Body") for m in wa.to(zoe.phone)]
    assert "Your coordinator says hello" not in bodies, f"sent on WhatsApp after STOP: {bodies}"
