"""Ordering in headless Chromium against the live server and the module stand-ins: a
visitor finds a domain, adds a hosting plan for it, signs up at checkout and receives the
invoice; once paid, the services are active and the WHM and EPP stand-ins hold the account
and the domain. Then the catalogue, the domain check and the cart at phone width (no
sideways scrolling) and in the three languages at 1280 and 390 px, with screenshots under
artifacts/.

As in the other browser tests, translations may not be compiled: assertions are on
structure, URLs, data and <html lang>."""

import pytest
from django.utils import timezone
from django.utils.text import slugify
from playwright.sync_api import expect

from sportello import testing
from sportello.billing import actions as billing
from sportello.browser import csp_violations, shot
from sportello.orders.models import Order
from sportello.portal.tests.test_browser_client_journey import link_in, log_in, path_of
from sportello.services.models import Service

# Transactional: the live server runs in another thread.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LOCALES = {"it": "it-IT", "en": "en-GB", "es": "es-ES"}


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def add_domain(page, base, name):
    page.goto(f"{base}/order/domain/?name={name}")
    row = page.locator(f"#domain-{slugify(name)}")
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    assert path_of(page.url) == "/order/cart/"


def add_hosting(page, base, code, domain):
    page.goto(f"{base}/order/?domain={domain}")
    product = page.locator(f"#product-{code}")
    expect(product.locator("input[name=name]")).to_have_value(domain)
    with page.expect_navigation():
        product.locator("button[type=submit]").click()
    assert path_of(page.url) == "/order/cart/"


def test_a_visitor_orders_hosting_and_a_domain_signs_up_pays_and_is_provisioned(
    live_server, page, shop, inbox
):
    base = live_server.url
    registry, whm = shop["registry"], shop["whm"]
    email = "lucia@bottega.example"

    # The catalogue's domain search leads to the domain check, with the other extension.
    page.goto(f"{base}/order/")
    page.fill("#domain-search-name", "bottega.it")
    with page.expect_navigation():
        page.click("#domain-search button[type=submit]")
    assert path_of(page.url) == "/order/domain/"
    expect(page.locator("#domain-results tr")).to_have_count(2)
    expect(page.locator("#domain-bottegait input[name=kind]")).to_have_value("register")
    shot(page, "ordering-01-domain-check")
    with page.expect_navigation():
        page.click("#domain-bottegait button[type=submit]")
    add_hosting(page, base, "hosting-pro", "bottega.it")
    expect(page.locator("#cart-lines li")).to_have_count(2)
    expect(page.locator("#cart-link .count")).to_have_text("2")
    shot(page, "ordering-02-cart")

    # Sign up at checkout.
    form = page.locator("#checkout")
    form.locator("input[name=name]").fill("Lucia Bottega")
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill("Un-Altra-Pass-91")
    form.locator("select[name=country]").select_option("IT")
    form.locator("input[name=fiscal_code]").fill("RSSMRA85T10A562S")
    form.locator("input[name=address]").fill("Via Roma 1")
    form.locator("input[name=postcode]").fill("50100")
    form.locator("input[name=city]").fill("Firenze")
    form.locator("input[name=accept_terms]").check()
    form.locator("input[name=accept_privacy]").check()
    with page.expect_navigation():
        form.locator("button[name=place]").click()
    assert path_of(page.url) == "/order/placed/"
    shot(page, "ordering-03-placed")
    order = Order.objects.get()
    invoice = order.invoice
    expect(page.locator("#order-invoice")).to_contain_text(invoice.display_number)
    assert set(order.client.services.values_list("status", flat=True)) == {"pending"}
    assert whm.accounts == {} and "bottega.it" not in registry.domains

    # The invoice reaches the new client by mail, beside the address confirmation.
    inbox.wait_for(2)
    messages = inbox.to(email)
    invoices = [m for m in messages if invoice.display_number in m["Subject"]]
    assert invoices, [m["Subject"] for m in messages]
    assert any(p.get_filename() for p in invoices[0].iter_attachments())
    confirm_path = link_in(
        next(m for m in messages if m not in invoices), "/accounts/confirm-email/"
    )

    # Paid by bank transfer: the order is accepted and every module creates its part.
    billing.record_payment(order.client, invoice.total, timezone.localdate(), invoice=invoice)
    order.refresh_from_db()
    assert order.status == Order.Status.ACCEPTED
    assert set(order.client.services.values_list("status", flat=True)) == {Service.Status.ACTIVE}
    [account] = whm.accounts.values()
    assert account["domain"] == "bottega.it" and account["plan"] == "pro"
    assert registry.domains["bottega.it"]["clID"] == registry.client_id
    assert shop["dns"].connect().zone("bottega.it") is not None

    # The client confirms the address, signs in and sees both services active.
    page.goto(f"{base}{confirm_path}")
    with page.expect_navigation():
        page.locator("main form[method=post] button[type=submit]").first.click()
    log_in(page, base, email, "Un-Altra-Pass-91")
    assert path_of(page.url) == "/panel/"
    page.goto(f"{base}/panel/services/")
    expect(page.locator(".status-active")).to_have_count(2)
    page.goto(f"{base}/panel/invoices/{invoice.pk}/")
    expect(page.locator("h1 .badge")).to_have_class("badge invoice-paid")
    shot(page, "ordering-04-invoice-paid")
    assert csp_violations(page) == []


def test_the_catalogue_domain_check_and_cart_fit_a_phone_in_three_languages(
    live_server, new_page, shop
):
    base = live_server.url
    customer = testing.make_client("cliente@example.org", name="Cliente Prova")
    for language, locale in LOCALES.items():
        for width, viewport in (("1280", DESKTOP), ("390", PHONE)):
            page = new_page(locale=locale)
            page.set_viewport_size(viewport)
            page.goto(f"{base}/order/")
            assert page.locator("html").get_attribute("lang") == language
            if viewport is PHONE:
                assert scroll_width(page) <= PHONE["width"], "catalogue"
            shot(page, f"ordering-catalogue-{language}-{width}")

            page.goto(f"{base}/order/domain/?name=una-bottega-dal-nome-lungo.it")
            if viewport is PHONE:
                assert scroll_width(page) <= PHONE["width"], "domain check"
            shot(page, f"ordering-domain-{language}-{width}")

            add_domain(page, base, "una-bottega-dal-nome-lungo.it")
            add_hosting(page, base, "hosting-pro", "una-bottega-dal-nome-lungo.it")
            page.fill("#checkout input[name=coupon]", "NONESISTE")
            with page.expect_navigation():
                page.click("#checkout button[name=preview]")
            expect(page.locator("#checkout .has-error")).to_have_count(1)
            if viewport is PHONE:
                assert scroll_width(page) <= PHONE["width"], "cart"
            shot(page, f"ordering-cart-{language}-{width}")

            # A client's checkout: no sign-up fields.
            customer.owner.language = language
            customer.owner.save(update_fields=["language"])
            log_in(page, base, customer.owner.email, testing.PASSWORD)
            page.goto(f"{base}/order/cart/")
            expect(page.locator("#checkout input[name=email]")).to_have_count(0)
            if viewport is PHONE:
                assert scroll_width(page) <= PHONE["width"], "checkout"
            shot(page, f"ordering-checkout-{language}-{width}")
            assert csp_violations(page) == []
