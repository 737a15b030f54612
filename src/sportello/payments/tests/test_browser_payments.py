"""Online payments in headless Chromium against the local stand-in of Stripe and PayPal: a
client with two open invoices pays both in one checkout (the provider's event reaching the
site before the client's browser comes back) and sees both paid; the pages of the way
(invoice, invoices, pay, checkout, payment methods) fit a 390 px phone screen.

Screenshots of each step land in artifacts/ (git-ignored)."""

import re

import pytest
from playwright.sync_api import expect

from sportello import testing
from sportello.billing.models import Invoice, Payment
from sportello.browser import shot
from sportello.payments.models import Checkout, SavedMethod, WebhookEvent
from sportello.portal.tests.test_browser_client_journey import log_in, path_of

from .conftest import open_invoice

# Transactional: the live server runs in another thread.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def assert_fits_a_phone(page, name):
    """The page at 390 px is no wider than the screen."""
    page.set_viewport_size(PHONE)
    page.reload()
    width = page.evaluate("document.documentElement.scrollWidth")
    shot(page, f"{name}-390")
    page.set_viewport_size(DESKTOP)
    assert width <= PHONE["width"], f"{name}: {width}px wide at {PHONE['width']}px"


@pytest.mark.parametrize(
    "provider,choice,save",
    [("stripe", "stripe:card", True), ("paypal", "paypal:paypal", False)],
)
def test_a_client_pays_two_open_invoices_in_one_checkout(
    live_server, page, payment_settings, standin, customer, provider, choice, save
):
    base = live_server.url
    # The provider's event is sent to the site before the browser is redirected back.
    standin.webhook_url = f"{base}/payments/webhooks/stripe/"
    standin.paypal_webhook_url = f"{base}/payments/webhooks/paypal/"
    first, second = open_invoice(customer, "100.00"), open_invoice(customer, "50.00")
    log_in(page, base, customer.owner.email, testing.PASSWORD)
    assert path_of(page.url) == "/panel/"
    name = f"payments-{provider}"

    # The invoice page offers to pay it now.
    page.goto(f"{base}/panel/invoices/{first.pk}/")
    expect(page.locator("#pay-now a.button")).to_be_visible()
    shot(page, f"{name}-01-invoice")
    assert_fits_a_phone(page, f"{name}-01-invoice")

    # The invoice list offers one checkout for everything open.
    page.goto(f"{base}/panel/invoices/")
    expect(page.locator("#pay-all")).to_contain_text("183")  # 122.00 + 61.00
    assert_fits_a_phone(page, f"{name}-02-invoices")
    with page.expect_navigation():
        page.click("#pay-all a.button")
    assert path_of(page.url) == "/panel/pay/"
    boxes = page.locator('#pay-form input[name="invoices"]')
    expect(boxes).to_have_count(2)
    for index in range(2):
        expect(boxes.nth(index)).to_be_checked()
    page.check(f'#pay-form input[name="method"][value="{choice}"]')
    if save:
        page.check('#pay-form input[name="save_method"]')
    shot(page, f"{name}-03-pay")
    assert_fits_a_phone(page, f"{name}-03-pay")
    page.check(f'#pay-form input[name="method"][value="{choice}"]')
    if save:
        page.check('#pay-form input[name="save_method"]')

    # Off to the provider's page (the policy's form-action lets the redirect through).
    with page.expect_navigation(url=re.compile(rf"^{re.escape(standin.url)}/pay/{provider}/")):
        page.click("#pay-form button[type=submit]")
    expect(page.locator("h1")).to_contain_text(f"Stand-in {provider} checkout")
    checkout = Checkout.objects.get(client=customer)
    assert checkout.provider == provider and checkout.items.count() == 2
    with page.expect_navigation(url=re.compile(rf"/panel/pay/{checkout.pk}/return/")):
        page.click("#pay")

    # Back on the site: the payment is shown as received, both invoices paid.
    expect(page.locator("h1 .badge")).to_have_class(re.compile(r"\bcheckout-paid\b"))
    expect(page.locator(".paid-note")).to_be_visible()
    expect(page.locator("main table tbody .badge.invoice-paid")).to_have_count(2)
    shot(page, f"{name}-04-return")
    assert_fits_a_phone(page, f"{name}-04-return")
    event = WebhookEvent.objects.get(provider=provider)
    assert event.status == WebhookEvent.Status.APPLIED  # the event came first and paid
    assert Payment.objects.filter(client=customer).count() == 2  # the return paid nothing more
    for invoice in (first, second):
        invoice.refresh_from_db()
        assert invoice.status == Invoice.Status.PAID

    with page.expect_navigation():
        page.click('main a[href="/panel/invoices/"]')
    expect(page.locator("main table tbody td.empty")).to_have_count(1)  # nothing left to pay
    expect(page.locator("#pay-all")).to_have_count(0)
    with page.expect_navigation():
        page.click('.subnav a[href="?show=paid"]')
    for invoice in (first, second):
        row = page.locator("main table tbody tr", has=page.locator(
            f'a[href="/panel/invoices/{invoice.pk}/"]'
        ))  # fmt: skip
        expect(row.locator(".badge")).to_have_class("badge invoice-paid")
    shot(page, f"{name}-05-invoices-paid")
    page.goto(f"{base}/panel/invoices/{second.pk}/")
    expect(page.locator("h1 .badge")).to_have_class("badge invoice-paid")
    expect(page.locator("#pay-now")).to_have_count(0)

    # Saved methods and auto-pay.
    page.goto(f"{base}/panel/settings/payment-methods/")
    if save:
        method = SavedMethod.objects.get(client=customer)
        expect(page.locator("main table")).to_contain_text(method.label)
    shot(page, f"{name}-06-methods")
    assert_fits_a_phone(page, f"{name}-06-methods")
