"""Extra-contract work in headless Chromium: a client requests urgent work, a qualified
technician takes it in charge from the desk, logs 70 minutes and closes the ticket; the
client finds the invoice with € 153.00 + VAT. Screenshots under artifacts/."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from sportello import browser as browser_fixtures
from sportello import testing
from sportello.billing.models import Invoice
from sportello.desk.tests.test_browser_billing import staff_log_in
from sportello.extra.models import ExtraSettings, Intervention, Skill, Technician
from sportello.helpdesk.models import Category
from sportello.portal.tests.test_browser_client_journey import log_in, path_of

shot = browser_fixtures.shot
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ROME = ZoneInfo("Europe/Rome")


def test_urgent_work_from_request_to_invoice(live_server, page, new_page):
    base = live_server.url
    ExtraSettings.objects.update_or_create(pk=1, defaults={"invoicing": "now"})
    client = testing.make_client("giulia@example.org", name="Giulia Bianchi")
    helpdesk = Category.objects.get(code="extra-contract").department
    sara = testing.make_staff(departments=[helpdesk], email="sara@sportello.example")
    sara.first_name = "Sara"
    sara.save()
    technician = Technician.objects.create(user=sara, level="senior")
    technician.skills.add(Skill.objects.get(code="linux"))

    # Tuesday 1 December 2026, 10:00: the client asks for urgent work.
    clock = time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=ROME), tick=True)
    clock.start()
    log_in(page, base, client.owner.email, testing.PASSWORD)
    page.click('header a[href="/panel/tickets/"]')
    page.click('main a[href="/panel/extra/"]')
    expect(page.locator("table.rate-card")).to_contain_text("42,00 € ogni 30 min o frazione")
    shot(page, "extra-01-client-rate-card")
    page.click('main a[href="/panel/extra/estimate/"]')
    page.check('input[name="kind"][value="urgent"]')
    page.select_option('select[name="level"]', "senior")
    page.fill('input[name="start"]', "2026-12-01T10:30")
    page.fill('input[name="minutes"]', "70")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    expect(page.locator("#result .estimate-total")).to_have_text("153,00 €")
    shot(page, "extra-02-client-estimate")
    page.click('#result a[href="/panel/extra/new/"]')
    page.check('input[name="request"][value="urgent"]')
    page.select_option('select[name="skill"]', label="Sistemi Linux")
    page.fill('input[name="subject"]', "Server srv1 compromesso: processi sconosciuti")
    page.fill('textarea[name="description"]', "Da stamattina un processo ignoto usa tutta la CPU.")
    shot(page, "extra-03-client-request")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    intervention = Intervention.objects.get()
    code = intervention.ticket.code
    assert path_of(page.url) == f"/panel/tickets/{code}/"
    expect(page.locator("#extra")).to_contain_text("In attesa di presa in carico")
    shot(page, "extra-04-client-ticket")

    # Ten minutes later Sara sees the countdown and takes the request in charge.
    clock.stop()
    clock = time_machine.travel(datetime(2026, 12, 1, 10, 10, tzinfo=ROME), tick=True)
    clock.start()
    desk = new_page()
    staff_log_in(desk, base, sara)
    desk.click('header a[href="/desk/extra/"]')
    expect(desk.locator("main table .countdown")).to_contain_text("tra 50 min")
    shot(desk, "extra-05-desk-requests")
    desk.click(f'main a[href="/desk/tickets/{code}/#extra"]')
    with desk.expect_navigation():
        desk.click('#extra form[action$="/take/"] button')
    expect(desk.locator("#extra")).to_contain_text("Sara")

    # At 11:30 she logs the 70 minutes worked and closes the ticket.
    clock.stop()
    clock = time_machine.travel(datetime(2026, 12, 1, 11, 30, tzinfo=ROME), tick=True)
    clock.start()
    desk.reload()
    form = desk.locator("#extra form.log-time")
    form.locator('select[name="level"]').select_option("senior")
    form.locator('input[name="start"]').fill("2026-12-01T10:15")
    form.locator('input[name="end"]').fill("2026-12-01T11:25")
    form.locator('input[name="note"]').fill("Rimosso il processo, chiusa la porta, aggiornato")
    with desk.expect_navigation():
        form.locator("button").click()
    expect(desk.locator("#extra .running-total")).to_have_text("153,00 €")
    shot(desk, "extra-06-desk-time-logged")
    with desk.expect_navigation():
        desk.click('.status-actions button[value="closed"]')
    expect(desk.locator(".confirm-step h1")).to_contain_text("Chiudere")
    with desk.expect_navigation():
        desk.click(".confirm-step button[type=submit]")
    expect(desk.locator("#extra .billed")).to_contain_text("153,00")
    shot(desk, "extra-07-desk-closed-and-billed")

    # The client reads the ticket and opens the invoice.
    page.reload()
    expect(page.locator("#extra .billed")).to_contain_text("153,00")
    shot(page, "extra-08-client-ticket-billed")
    invoice = Invoice.objects.get()
    assert (invoice.net_total, invoice.vat_total) == (Decimal("153.00"), Decimal("33.66"))
    page.click(f'#extra .billed a[href="/panel/invoices/{invoice.pk}/"]')
    expect(page.locator("main")).to_contain_text("153,00 €")
    expect(page.locator("main")).to_contain_text("33,66 €")
    expect(page.locator("main")).to_contain_text("diritto fisso di urgenza")
    shot(page, "extra-09-client-invoice")
    clock.stop()


def test_client_approves_a_quote_from_the_ticket(live_server, page, new_page):
    from sportello.extra import actions

    base = live_server.url
    client = testing.make_client("marco@example.org", name="Marco Neri")
    helpdesk = Category.objects.get(code="extra-contract").department
    sara = testing.make_staff(departments=[helpdesk], email="sara@sportello.example")
    Technician.objects.create(user=sara, level="senior")
    now = datetime(2026, 12, 1, 10, 0, tzinfo=ROME)
    intervention = actions.request_intervention(
        client, request="planned", subject="Aggiornare il sistema operativo di srv1",
        body="Da Debian 11 a Debian 12, di notte.", now=now,
        preferred_start=datetime(2026, 12, 4, 22, 0, tzinfo=ROME),
    )  # fmt: skip
    actions.take_in_charge(intervention, sara, sara, now)
    intervention = actions.estimate(intervention, sara, level="senior", now=now, minutes=240,
                     start=datetime(2026, 12, 4, 22, 0, tzinfo=ROME))  # fmt: skip
    code = intervention.ticket.code

    log_in(page, base, client.owner.email, testing.PASSWORD)
    page.goto(f"{base}/panel/quotes/")
    page.click(f'main a[href="/panel/quotes/{intervention.quote_id}/"]')
    expect(page.locator("main")).to_contain_text("396,00")
    shot(page, "extra-10-client-quote")
    page.click(f'main a[href="/panel/tickets/{code}/#extra"]')
    expect(page.locator("#extra .estimate-total")).to_have_text("396,00 €")
    shot(page, "extra-11-client-quote-to-approve")
    with page.expect_navigation():
        page.click('#extra button[value="approve"]')
    expect(page.locator("#extra")).to_contain_text("Accettato")
    intervention.quote.refresh_from_db()
    assert intervention.quote.status == "accepted"

    desk = new_page()
    staff_log_in(desk, base, sara)
    desk.goto(f"{base}/desk/tickets/{code}/")
    expect(desk.locator("#extra form.log-time")).to_be_visible()
    shot(desk, "extra-12-desk-quote-approved")
    desk.goto(
        f"{base}/desk/extra/estimate/?level=junior&kind=simple&start=2026-12-05T03:00&minutes=10"
    )
    expect(desk.locator("#result .estimate-total")).to_have_text("27,00 €")
    shot(desk, "extra-13-desk-estimate")
