"""A coordinator sees each member's WhatsApp and acts on it (issue 27): the commands' rules.
Opting in here is recorded with the source 'console'; opting out is WhatsApp only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.commands import ImportCsv, SetWhatsApp, WhatsAppStatus
from bot.errors import Refused
from tests.adapters.test_whatsapp import Wa
from tests.adapters.test_whatsapp import wa as wa  # the fixture, shared
from tests.adapters.test_whatsapp_window import approve
from tests.harness import Harness


async def test_a_coordinator_opts_a_member_in_and_out(wa: Wa) -> None:
    approve(wa, "offer")  # she never wrote on WhatsApp: her window is closed, so offers go as the template
    priya = await wa.pool.coordinator()
    zoe = await wa.pool.gp("Dr Zoë O’Neill")
    engine = wa.pool.pool.engine
    before = await engine.query(WhatsAppStatus(zoe.phone, priya.id), "test")
    assert (before.status, before.state.number, before.enabled) == ("not opted in", zoe.phone, True)
    shown = await engine.execute(SetWhatsApp(zoe.phone, opt_in=True, by=priya.id), "test")
    assert (shown.status, shown.state.opt_in_source, shown.preferred) == ("closed", "console", True)
    assert shown.state.opted_in_at == wa.pool.clock.now()
    await wa.pool.post(urgent=True)
    assert len(wa.to(zoe.phone)) == 1, "her offer went by WhatsApp (as its template)"
    out = await engine.execute(SetWhatsApp(zoe.phone, opt_in=False, by=priya.id), "test")
    assert out.status == "opted out" and out.opted_out_at == wa.pool.clock.now()
    await wa.pool.post(urgent=True, start=wa.pool.clock.now() + timedelta(days=3))
    assert len(wa.to(zoe.phone)) == 1 and wa.twilio.to(zoe.phone), "the next went by SMS"
    back = await engine.execute(SetWhatsApp(zoe.phone, opt_in=True, by=priya.id), "test")
    assert back.status == "closed" and back.opted_out_at is None


async def test_a_number_other_than_their_phone(wa: Wa) -> None:
    priya = await wa.pool.coordinator()
    zoe = await wa.pool.gp("Dr Zoë O’Neill")
    engine = wa.pool.pool.engine
    shown = await engine.execute(SetWhatsApp(zoe.phone, number="07700 900999", by=priya.id), "test")
    assert (shown.state.number, shown.status) == ("+447700900999", "not opted in")
    with pytest.raises(Refused) as taken:
        await engine.execute(SetWhatsApp(zoe.phone, number=priya.phone, by=priya.id), "test")
    assert taken.value.field == "number" and "Priya Shah" in taken.value.message
    with pytest.raises(Refused) as bad:
        await engine.execute(SetWhatsApp(zoe.phone, number="hello", by=priya.id), "test")
    assert bad.value.field == "number"
    with pytest.raises(Refused) as nothing:
        await engine.execute(SetWhatsApp(zoe.phone, by=priya.id), "test")
    assert nothing.value.field == "opt_in"


async def test_who_may_see_and_act(pool: Harness) -> None:
    manager = await pool.member("Sam Ortiz", roles=("practice:X10001",))
    ada = await pool.gp("Dr Ada Lovelace")
    grace = await pool.gp("Dr Grace Hopper")
    engine = pool.pool.engine
    own = await engine.query(WhatsAppStatus(ada.phone, ada.id), "test")
    assert own.status == "not opted in" and own.enabled is False
    for by, command in [
        (manager, WhatsAppStatus(ada.phone, manager.id)),
        (grace, WhatsAppStatus(ada.phone, grace.id)),
        (manager, SetWhatsApp(ada.phone, opt_in=True, by=manager.id)),
        (ada, SetWhatsApp(ada.phone, opt_in=True, by=ada.id)),
    ]:
        with pytest.raises(Refused) as refused:
            await engine.execute(command, f"member:{by.id}")
        assert refused.value.field == "role"
    assert (await engine.query(WhatsAppStatus(ada.phone), "test")).status == "not opted in"
    assert await pool.pool.store.reader().whatsapp.state(ada.id) is None, "nothing changed"


async def test_the_members_import_never_opts_in(wa: Wa) -> None:
    """Neither a WhatsApp channel nor an opt-in comes from a CSV: only the member's own yes."""
    csv = "name,phone,roles,preferred_channel\nDr Zoë O’Neill,07700900555,clinician,whatsapp\n"
    with pytest.raises(Refused):
        await wa.pool.pool.engine.execute(ImportCsv("members", csv), "test")
    csv = "name,phone,roles\nDr Zoë O’Neill,07700900555,clinician\n"
    await wa.pool.pool.engine.execute(ImportCsv("members", csv), "test")
    zoe = await wa.pool.pool.store.reader().members.member_by_phone("+447700900555")
    assert zoe is not None and zoe.address_on("whatsapp") is None
    assert (await wa.pool.pool.engine.query(WhatsAppStatus(zoe.phone), "test")).status == "not opted in"
