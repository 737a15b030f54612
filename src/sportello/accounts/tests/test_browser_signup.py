"""The sign-up form in headless Chromium: the fields follow the chosen client type and
country, the script runs under the content security policy, and a business signs up."""

import pytest
from playwright.sync_api import expect

from sportello.accounts.models import Client, Consent
from sportello.browser import csp_violations, shot
from sportello.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_fields_follow_the_client_type_and_a_company_signs_up(live_server, page):
    page.goto(f"{live_server.url}/accounts/signup/")
    form = page.locator("form.form")
    box = {name: form.locator(f"[name={name}]") for name in
           ("company_name", "vat_number", "recipient_code", "pec", "fiscal_code")}  # fmt: skip
    form.locator("input[name=kind][value=person]").check()
    for name in ("company_name", "vat_number", "recipient_code", "pec"):
        expect(box[name]).to_be_hidden()
    expect(box["fiscal_code"]).to_be_visible()

    form.locator("input[name=kind][value=company]").check()
    for name in ("company_name", "vat_number", "recipient_code", "pec"):
        expect(box[name]).to_be_visible()
    form.locator("select[name=country]").select_option("DE")
    expect(box["recipient_code"]).to_be_hidden()
    form.locator("select[name=country]").select_option("IT")
    expect(box["recipient_code"]).to_be_visible()
    shot(page, "signup-company")

    form.locator("input[name=name]").fill("Luca Bianchi")
    box["company_name"].fill("Ferramenta Bianchi S.r.l.")
    form.locator("input[name=email]").fill("luca@bianchi.example")
    form.locator("input[name=password1]").fill(PASSWORD)
    form.locator("input[name=password2]").fill(PASSWORD)
    box["vat_number"].fill("00743110157")
    form.locator("input[name=address]").fill("Via XX Settembre 45")
    form.locator("input[name=postcode]").fill("24122")
    form.locator("input[name=city]").fill("Bergamo")
    form.locator("input[name=accept_terms]").check()
    form.locator("input[name=accept_privacy]").check()
    # Neither the SdI code nor a PEC: refused on the code's field, the rest kept.
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.locator(".has-error [name=recipient_code]")).to_have_count(1)
    expect(form.locator("input[name=company_name]")).to_have_value("Ferramenta Bianchi S.r.l.")
    expect(form.locator("input[name=recipient_code]")).to_be_visible()
    form.locator("input[name=recipient_code]").fill("M5UXCR1")
    form.locator("input[name=password1]").fill(PASSWORD)
    form.locator("input[name=password2]").fill(PASSWORD)
    form.locator("input[name=accept_terms]").check()
    form.locator("input[name=accept_privacy]").check()
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    new = Client.objects.get(owner__email="luca@bianchi.example")
    assert new.kind == Client.Kind.COMPANY and new.vat_number == "IT00743110157"
    assert Consent.objects.filter(client=new).count() == 2
    assert csp_violations(page) == []
