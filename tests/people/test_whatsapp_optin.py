"""WhatsApp opt-in (issue 27): recorded with its time and source, never assumed; the window
opens with each message the member sends on WhatsApp."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.domain import Member
from bot.ports.whatsapp import WhatsAppState
from tests.adapters.test_whatsapp import Wa, open_wa
from tests.adapters.test_whatsapp import wa as wa  # the fixture, shared
from tests.fakes import TWILIO_ENV


async def state(wa: Wa, member: Member) -> WhatsAppState | None:
    return await wa.pool.pool.store.reader().whatsapp.state(member.id)


async def fresh(wa: Wa, member: Member) -> Member:
    found = await wa.pool.pool.store.reader().members.member(member.id)
    assert found is not None
    return found


async def test_preferring_whatsapp_without_an_opt_in_is_not_an_opt_in(wa: Wa) -> None:
    zoe = await wa.pool.gp("Dr Zoë O’Neill", preferred_channel="whatsapp")
    assert zoe.address_on("whatsapp") is None
    await wa.pool.post(urgent=True)
    assert wa.to(zoe.phone) == [], "never messaged on WhatsApp before she opted in"
    assert len(wa.twilio.to(zoe.phone)) == 1, "the offer went by SMS"


async def test_writing_on_whatsapp_opts_in_and_opens_the_window(wa: Wa) -> None:
    zoe = await wa.pool.gp("Dr Zoë O’Neill")
    began = wa.pool.clock.now()
    await wa.inbound(f"whatsapp:{zoe.phone}", "HELP")
    noted = await state(wa, zoe)
    assert noted is not None and noted.number == zoe.phone
    assert (noted.opt_in_source, noted.opted_in_at, noted.last_inbound_at) == ("inbound", began, began)
    assert noted.window_state(began) == "open"
    assert (await fresh(wa, zoe)).address_on("whatsapp") == zoe.phone
    assert (await fresh(wa, zoe)).preferred_channel != "whatsapp", "writing there does not move her messages"
    await wa.pool.advance(hours=23)
    await wa.inbound(f"whatsapp:{zoe.phone}", "OFFERS")
    later = await state(wa, zoe)
    assert later is not None and later.opted_in_at == began, "the first opt-in is kept"
    assert later.last_inbound_at == wa.pool.clock.now()
    assert later.window_state(wa.pool.clock.now() + timedelta(hours=23)) == "open"
    assert later.window_state(wa.pool.clock.now() + timedelta(hours=24)) == "closed"


async def test_the_keyword_on_sms_asks_for_a_confirmation_on_whatsapp(wa: Wa) -> None:
    zoe = await wa.pool.gp("Dr Zoë O’Neill")
    await wa.sms(zoe.phone, "WHATSAPP")
    [asked] = wa.twilio.to(zoe.phone)
    assert asked["Body"].startswith("We've sent a WhatsApp message to")
    [confirm] = wa.to(zoe.phone)
    assert confirm["Body"].endswith("Tap Yes to confirm.\nReply WHATSAPP YES.")
    pending = await state(wa, zoe)
    assert pending is not None and pending.requested_at is not None and not pending.opted_in
    assert pending.window_state(wa.pool.clock.now()) == "asked"
    assert (await fresh(wa, zoe)).address_on("whatsapp") is None, "asked is not opted in"

    await wa.inbound(
        f"whatsapp:{zoe.phone}", "Yes", ButtonText="Yes", ButtonPayload="WHATSAPP YES", MessageType="button"
    )
    confirmed = await state(wa, zoe)
    assert confirmed is not None and confirmed.opt_in_source == "keyword"
    zoe = await fresh(wa, zoe)
    assert zoe.preferred_channel == "whatsapp" and zoe.address_on("whatsapp") == zoe.phone
    assert wa.to(zoe.phone)[-1]["Body"].startswith("Done: your messages now come on WhatsApp")
    await wa.pool.post(urgent=True)
    assert wa.to(zoe.phone)[-1]["Body"].startswith("URGENT: GP session"), "offers now go on WhatsApp"


async def test_a_plain_yes_under_the_confirmation_books_nothing(wa: Wa) -> None:
    zoe = await wa.pool.gp("Dr Zoë O’Neill")
    session = await wa.pool.post(urgent=True)
    await wa.sms(zoe.phone, "WHATSAPP")
    await wa.inbound(f"whatsapp:{zoe.phone}", "yes")
    assert (await wa.pool.view(session)).booked is None, "a yes to the confirmation, not to the offer"
    noted = await state(wa, zoe)
    assert noted is not None and noted.opt_in_source == "keyword"
    assert (await fresh(wa, zoe)).preferred_channel == "whatsapp"


async def test_whatsapp_with_more_words_is_not_the_keyword(wa: Wa) -> None:
    zoe = await wa.pool.gp("Dr Zoë O’Neill")
    await wa.sms(zoe.phone, "whatsapp me the notes")
    assert wa.to(zoe.phone) == [] and await state(wa, zoe) is None


async def test_asking_again_after_a_whatsapp_stop_turns_it_back_on(wa: Wa) -> None:
    zoe = await wa.on_whatsapp("Dr Zoë O’Neill")
    await wa.inbound(f"whatsapp:{zoe.phone}", "STOP")
    assert await wa.opted_out(zoe) == {"whatsapp"}
    await wa.sms(zoe.phone, "WHATSAPP")
    assert await wa.opted_out(zoe) == frozenset()


async def test_unreachable_on_whatsapp_falls_back_to_sms(wa: Wa) -> None:
    zoe = await wa.on_whatsapp("Dr Zoë O’Neill")
    async with wa.pool.pool.store.unit_of_work() as uow:
        assert await uow.whatsapp.mark_unreachable(zoe.id, wa.pool.clock.now())
        assert not await uow.whatsapp.mark_unreachable(zoe.id, wa.pool.clock.now())
    assert (await fresh(wa, zoe)).address_on("whatsapp") is None
    await wa.pool.post(urgent=True)
    assert wa.to(zoe.phone) == [] and len(wa.twilio.to(zoe.phone)) == 1
    await wa.inbound(f"whatsapp:{zoe.phone}", "HELP")
    assert (await fresh(wa, zoe)).address_on("whatsapp") == zoe.phone, "writing from WhatsApp shows it works"


async def test_the_keyword_when_the_pool_has_no_whatsapp(tmp_path: Path) -> None:
    async with open_wa(tmp_path, TWILIO_ENV) as sms_only:
        zoe = await sms_only.pool.gp("Dr Zoë O’Neill")
        await sms_only.sms(zoe.phone, "WHATSAPP")
        [reply] = sms_only.twilio.to(zoe.phone)
        assert "doesn't send messages on WhatsApp" in reply["Body"]
        assert await state(sms_only, zoe) is None


async def test_an_erased_member_leaves_no_whatsapp_row(wa: Wa) -> None:
    zoe = await wa.on_whatsapp("Dr Zoë O’Neill")
    async with wa.pool.pool.store.unit_of_work() as uow:
        await uow.members.erase_member(zoe.id, wa.pool.today, wa.pool.clock.now())
    assert await state(wa, zoe) is None
