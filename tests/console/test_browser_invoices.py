"""Invoices in a real browser (see tests/console/browsing.py): a practice manager, on a phone,
marks the invoice a GP sent their practice paid, with no accessibility faults on the way."""

from __future__ import annotations

from datetime import date

from playwright.async_api import Page, expect

from bot.commands import RaiseInvoices, SetBilling
from tests.console.browsing import Site, accessible
from tests.harness import at
from tests.money.conftest import asked_code, worked


async def test_a_practice_manager_marks_an_invoice_paid_on_a_phone(site: Site, page: Page) -> None:
    pool, gp, manager = site.pool, site.gp, site.manager
    engine = pool.pool.engine
    await engine.execute(
        SetBilling(gp.phone, ("2 Elm Road", "Northside NS2 2BB"), "", "", gp.name, "40-11-62", "12345678"),
        actor="test",
    )
    session = await worked(pool, gp, at(date(2026, 12, 2), 9), reported="4")
    await pool.send(manager, f"OK {await asked_code(pool, manager, session)}")
    [invoice] = await engine.execute(RaiseInvoices(date(2027, 1, 1)), actor="test")

    await site.sign_in(page, manager)
    await site.nav(page, "Invoices")
    await expect(page.get_by_role("heading", name="Invoices", exact=True)).to_be_visible()
    row = page.locator(f"#invoice-{invoice.number}")
    await expect(row).to_have_attribute("data-state", "sent")
    await expect(row).to_contain_text("Dr Ada Lovelace")
    await expect(row).to_contain_text("£400.00")
    await expect(row.get_by_role("link", name=f"PDF of invoice {invoice.number}")).to_be_visible()
    await accessible(page)

    # The day it was paid is today unless told; a day still to come is refused beside it, and
    # the form stays open to correct it.
    await row.locator("summary").filter(has_text="Mark paid").click()
    day = row.get_by_label("The day it was paid")
    await expect(day).to_have_value("2026-12-02")
    await day.fill("2026-12-03")
    await row.get_by_role("button", name="Mark paid").click()
    await expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    row = page.locator(f"#invoice-{invoice.number}")
    await expect(row.get_by_text("between the invoice's date and today")).to_be_visible()
    await accessible(page)
    await row.get_by_label("The day it was paid").fill("2026-12-02")
    await row.get_by_role("button", name="Mark paid").click()
    await expect(page.get_by_text(f"Invoice {invoice.number} is marked paid")).to_be_visible()
    row = page.locator(f"#invoice-{invoice.number}")
    await expect(row).to_have_attribute("data-state", "paid")
    await expect(row.get_by_role("button", name="Mark paid")).to_have_count(0)
    await accessible(page)
    await site.shot(page, "invoices")
    rows = await pool.pool.store.reader().invoices.invoice_rows(member_id=gp.id)
    assert [(r.invoice.state, r.invoice.paid_on) for r in rows] == [("paid", date(2026, 12, 2))]
