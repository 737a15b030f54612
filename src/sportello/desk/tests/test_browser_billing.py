"""Billing in headless Chromium: a client reports a payment, billing staff approve it; and a
tour of the desk's billing pages, with a screenshot of each under artifacts/.

The browser fixtures and login helpers are the portal's (imported, not copied). As there,
translations may not be compiled, so assertions are on structure, URLs and data."""

from datetime import date
from decimal import Decimal as D

import pypdfium2 as pdfium
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sportello import browser as browser_fixtures
from sportello import testing
from sportello.accounts.models import User
from sportello.billing import actions
from sportello.billing.actions import Line
from sportello.billing.models import BankEntry, Invoice, PaymentReport, Quote
from sportello.portal.tests.test_browser_client_journey import (
    log_in,
    path_of,
    submit_code,
    totp_code,
)

from .test_billing_desk import camt

shot = browser_fixtures.shot
ARTIFACTS = browser_fixtures.ARTIFACTS

# Transactional: the live server runs in another thread.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def make_billing_client(email="giulia.bianchi@example.org"):
    return testing.make_client(
        email,
        name="Giulia Bianchi",
        address="Via Roma 12",
        postcode="20121",
        city="Milano",
        province="MI",
        fiscal_code="BNCGLI80A41F205X",
    )


def open_invoice(client):
    lines = [
        Line("Hosting Pro, 12 months", D("120.00")),
        Line("Domain giuliabianchi.it", D("12.90")),
        Line("Extra mailbox", D("2.50"), quantity=D("4")),
    ]
    return actions.create_invoice(client, lines, timezone.now(), send=False)


def staff_log_in(page, base, staff):
    log_in(page, base, staff.email, testing.PASSWORD)
    assert path_of(page.url) == "/accounts/2fa/authenticate/"
    submit_code(page, totp_code(testing.TOTP_SECRET))
    assert path_of(page.url).startswith("/desk/")  # each role's own starting page


def test_client_reports_a_payment_and_billing_staff_approve_it(live_server, page, new_page):
    base = live_server.url
    client = make_billing_client()
    invoice = open_invoice(client)
    staff = testing.make_staff(User.Role.BILLING, email="contabilita@sportello.example")

    # The client opens the invoice and downloads its PDF.
    log_in(page, base, client.owner.email, testing.PASSWORD)
    assert path_of(page.url) == "/panel/"
    page.goto(f"{base}/panel/invoices/{invoice.pk}/")
    expect(page.locator("h1 .badge")).to_have_class("badge invoice-open")
    shot(page, "billing-journey-01-client-invoice")
    with page.expect_download() as download_info:
        page.click(f'a[href="/panel/invoices/{invoice.pk}/pdf/"]')
    download = download_info.value
    assert download.suggested_filename == actions.pdf_filename(invoice)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf_path = ARTIFACTS / "invoice.pdf"
    download.save_as(pdf_path)
    document = pdfium.PdfDocument(str(pdf_path))
    text = document[0].get_textpage().get_text_range()
    assert invoice.display_number in text and "Giulia Bianchi" in text
    assert invoice.payment_reference in text
    assert "IT60X0542811101000000123456" in text.replace(" ", "")  # printed in groups of four
    document[0].render(scale=2).to_pil().save(ARTIFACTS / "invoice-page1.png")
    document.close()

    # ... and reports the transfer made this morning.
    page.click(f'a[href="/panel/invoices/{invoice.pk}/report/"]')
    page.wait_for_load_state()
    form = page.locator("main form.form")
    form.locator('input[name="bank"]').fill("Banca Sella")
    form.locator('input[name="branch"]').fill("Biella centro")
    form.locator('input[name="paid_on"]').fill(timezone.localdate().isoformat())
    form.locator('input[name="receipt_number"]').fill("CRO 0987654321")
    expect(form.locator('input[name="amount"]')).to_have_value(str(invoice.total))
    shot(page, "billing-journey-02-client-report")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert path_of(page.url) == f"/panel/invoices/{invoice.pk}/"
    report = PaymentReport.objects.get()
    assert report.status == PaymentReport.Status.PENDING

    # Billing staff find it in the review queue and approve it.
    desk = new_page()
    staff_log_in(desk, base, staff)
    desk.click('header a[href="/desk/billing/invoices/"]')
    desk.click('.billing-nav a[href="/desk/billing/payment-reports/"]')
    desk.wait_for_load_state()
    row = desk.locator(f"#report-{report.pk}")
    expect(row).to_contain_text("Banca Sella")
    expect(row).to_contain_text("CRO 0987654321")
    expect(row).to_contain_text(invoice.display_number)
    shot(desk, "billing-journey-03-review-queue")
    # Approving books money: the page asks first.
    desk.once("dialog", lambda dialog: dialog.accept())
    with desk.expect_navigation():
        row.locator('button[value="approve"]').click()
    expect(desk.locator(".messages .msg-success")).to_have_count(1)
    expect(desk.locator(f"#report-{report.pk}")).to_have_count(0)
    shot(desk, "billing-journey-04-review-queue-approved")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID

    # The client's invoice page now says Paid.
    page.reload()
    expect(page.locator("h1 .badge")).to_have_class("badge invoice-paid")
    expect(page.locator(".paid-note")).to_have_count(1)
    shot(page, "billing-journey-05-client-invoice-paid")


def test_tour_of_the_desk_billing_pages(live_server, page, inbox):
    base = live_server.url
    client = make_billing_client("mario.rossi@example.org")
    client.name = "Mario Rossi"
    client.save()
    other = testing.make_client("studio.verdi@example.org", name="Studio Verdi")
    overdue = open_invoice(other)
    Invoice.objects.filter(pk=overdue.pk).update(due_on=date(2026, 1, 31))
    actions.add_charge(client, "Password recovery", D("15.00"), timezone.now())
    staff = testing.make_staff(User.Role.BILLING, email="fatture@sportello.example")
    staff_log_in(page, base, staff)

    # The client page's billing card leads to a new invoice for the client.
    page.goto(f"{base}/desk/clients/{client.pk}/")
    expect(page.locator(".billing-card")).to_be_visible()
    shot(page, "billing-desk-01-client-card")
    page.click(f'.billing-card a[href="/desk/billing/invoices/new/?client={client.pk}"]')
    page.wait_for_load_state()
    expect(page.locator('input[name="client"]')).to_have_value(str(client.pk))
    page.fill('input[name="lines-0-description"]', "Web design")
    page.fill('input[name="lines-0-unit_price"]', "450.00")
    page.fill('input[name="lines-1-description"]', "Training hours")
    page.fill('input[name="lines-1-quantity"]', "3")
    page.fill('input[name="lines-1-unit_price"]', "60")
    page.check('input[name="include_pending_charges"]')
    shot(page, "billing-desk-02-new-invoice")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    invoice = Invoice.objects.get(client=client)
    assert path_of(page.url) == f"/desk/billing/invoices/{invoice.pk}/"
    assert invoice.net_total == D("645.00") and invoice.number is not None
    inbox.wait_for(1)  # mailed with the PDF
    shot(page, "billing-desk-03-invoice")

    # A partial payment on the invoice page.
    page.fill('input[name="payment-amount"]', "300")
    page.fill('input[name="payment-reference"]', "CRO 111")
    with page.expect_navigation():
        page.click('button[value="payment"]')
    expect(page.locator(".messages .msg-success")).to_have_count(1)
    invoice.refresh_from_db()
    assert invoice.paid_total == D("300.00")
    shot(page, "billing-desk-04-invoice-partly-paid")

    page.goto(f"{base}/desk/billing/invoices/")
    expect(page.locator("main table.table tbody tr")).to_have_count(2)
    shot(page, "billing-desk-05-invoice-list")
    page.goto(f"{base}/desk/billing/invoices/?overdue=on")
    expect(page.locator("main table.table tbody tr")).to_have_count(1)

    # A statement: one credit pays the rest by its RF reference, one matches nothing.
    statement = camt(
        {"id": "B-1", "amount": str(invoice.amount_due), "ref": invoice.payment_reference},
        {"id": "B-2", "amount": "40.00", "name": "Ditta Sconosciuta", "text": "saldo fattura"},
    )
    page.goto(f"{base}/desk/billing/statements/")
    page.set_input_files(
        'input[name="file"]',
        files=[{"name": "camt053.xml", "mimeType": "application/xml", "buffer": statement}],
    )
    with page.expect_navigation():
        page.click("#statement-form button[type=submit]")
    expect(page.locator(".messages .msg-success")).to_have_count(1)
    unmatched = BankEntry.objects.get(status=BankEntry.Status.UNMATCHED)
    expect(page.locator(f"#entry-{unmatched.pk}")).to_be_visible()
    shot(page, "billing-desk-06-statements")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    page.set_input_files(
        'input[name="file"]',
        files=[{"name": "broken.xml", "mimeType": "application/xml", "buffer": b"<Document"}],
    )
    with page.expect_navigation():
        page.click("#statement-form button[type=submit]")
    expect(page.locator("#statement-form .error")).to_have_count(1)
    shot(page, "billing-desk-07-statement-refused")

    page.goto(f"{base}/desk/billing/payments/")
    shot(page, "billing-desk-08-payments")

    # A quote with two lines, sent to the client.
    page.goto(f"{base}/desk/billing/quotes/new/")
    page.fill('input[name="client"]', client.owner.email)
    page.fill('input[name="title"]', "E-commerce site")
    page.fill('input[name="lines-0-description"]', "Shop setup")
    page.fill('input[name="lines-0-unit_price"]', "1200")
    page.fill('input[name="lines-1-description"]', "Product import")
    page.fill('input[name="lines-1-quantity"]', "200")
    page.fill('input[name="lines-1-unit_price"]', "1.5")
    shot(page, "billing-desk-09-new-quote")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    quote = Quote.objects.get()
    with page.expect_navigation():
        page.click('button[value="send"]')
    quote.refresh_from_db()
    assert quote.status == Quote.Status.SENT and quote.net_total == D("1500.00")
    shot(page, "billing-desk-10-quote-sent")
    page.goto(f"{base}/desk/billing/quotes/")
    shot(page, "billing-desk-11-quotes")

    # The ledger: the credit, the charge invoiced, a new charge.
    actions.record_payment(client, D("25.00"), timezone.localdate(), reference="advance")
    page.goto(f"{base}/desk/billing/clients/{client.pk}/ledger/")
    page.fill('#charge-form input[name="description"]', "Backup restore")
    page.fill('#charge-form input[name="amount"]', "30")
    with page.expect_navigation():
        page.click("#charge-form button[type=submit]")
    expect(page.locator(".messages .msg-success")).to_have_count(1)
    expect(page.locator("#credit-balance")).to_contain_text("25")
    shot(page, "billing-desk-12-ledger")
    page.goto(f"{base}/desk/billing/payment-reports/")
    shot(page, "billing-desk-13-payment-reports-empty")
