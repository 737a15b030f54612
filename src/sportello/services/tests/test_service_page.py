"""The client's services page and a service's page: search and filter, only the actions
that apply to the product type, the last day, and a cancellation taken back."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import formats, translation

from sportello.automation.registry import run_day, run_time
from sportello.billing.models import Invoice
from sportello.catalog.models import ProductType
from sportello.services import actions
from sportello.services.models import Service
from sportello.testing import make_product, make_service

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")


@pytest.fixture
def logged_in(client, owner):
    owner.owner.language = "en"
    owner.owner.save()
    client.force_login(owner.owner)
    return client


@pytest.fixture
def hosting(owner):
    product = make_product("hosting", ProductType.HOSTING, "49.00")
    return make_service(owner, product, name="olga.it", registered_on=date(2026, 1, 15))


def long_date(day):
    with translation.override("en"):
        return formats.date_format(day, "DATE_FORMAT")


def page(client, service):
    return client.get(reverse("portal:service", args=[service.pk])).content.decode()


def test_services_page_searches_and_filters(logged_in, owner, other_client):
    domain = make_product("domain-com", ProductType.DOMAIN, "12.00")
    make_service(owner, domain, name="olga-shop.com")
    make_service(owner, make_product("web", ProductType.HOSTING), name="olga-shop.com")
    make_service(owner, domain, name="elsewhere.com", status=Service.Status.TERMINATED)
    make_service(other_client, domain, name="olga-lookalike.com")
    url = reverse("portal:services")

    listed = logged_in.get(url, {"q": "shop"}).context["services"]
    assert {s.name for s in listed} == {"olga-shop.com"} and len(listed) == 2
    listed = logged_in.get(url, {"q": "shop", "type": "domain"}).context["services"]
    assert [s.product.type for s in listed] == ["domain"]
    listed = logged_in.get(url, {"state": "ended"}).context["services"]
    assert [s.name for s in listed] == ["elsewhere.com"]
    listed = logged_in.get(url, {"state": "live"}).context["services"]
    assert "elsewhere.com" not in {s.name for s in listed}
    # Another client's services are never found; unknown filters are ignored.
    response = logged_in.get(url, {"q": "lookalike\x00", "type": "nope", "state": "zzz"})
    assert response.status_code == 200 and response.context["services"] == []
    assert len(logged_in.get(url, {"type": "nope"}).context["services"]) == 3


@time_machine.travel(datetime(2026, 6, 1, 10, 0, tzinfo=ROME))
def test_a_domain_offers_no_upgrade_and_does_not_speak_of_lost_mail(logged_in, owner, hosting):
    domain = make_service(owner, make_product("dom", ProductType.DOMAIN, "12.00"), name="olga.eu")
    certificate = make_service(owner, make_product("ssl", ProductType.SSL, "30.00"), name="olga.eu")
    for service in (domain, certificate):
        html = page(logged_in, service)
        assert "Request an upgrade" not in html
        assert "email" not in html.lower().replace("email_", "")
        assert "Last day to cancel" in html
    assert "anyone may register it" in page(logged_in, domain)
    assert "browsers warn visitors" in page(logged_in, certificate)
    html = page(logged_in, hosting)
    assert "Request an upgrade" in html
    assert "email, files, folders and databases" in html
    # 60 days' notice before the expiry of 15 January 2027.
    assert f"Last day to cancel</dt><dd>{long_date(date(2026, 11, 16))}" in html
    # An upgrade posted for a domain is not sent anywhere.
    response = logged_in.post(
        reverse("portal:service", args=[domain.pk]),
        {"action": "upgrade", "description": "more space please"},
    )
    assert response.status_code == 200
    assert not owner.tickets.exists()


@time_machine.travel(datetime(2026, 11, 10, 10, 0, tzinfo=ROME))
def test_a_cancellation_is_withdrawn_and_the_renewal_comes_as_usual(logged_in, owner, hosting):
    url = reverse("portal:service", args=[hosting.pk])
    logged_in.post(url, {"action": "cancel", "confirm": "on"})
    html = page(logged_in, hosting)
    assert "Last day of service" in html and "Withdraw the cancellation" in html
    response = logged_in.post(url, {"action": "withdraw_cancellation"}, follow=True)
    assert "Your cancellation is withdrawn" in response.content.decode()
    hosting.refresh_from_db()
    assert hosting.cancellation_effective_on is None
    assert owner.audit_events.filter(action="cancellation_withdrawn").exists()
    run_day(run_time(date(2027, 1, 5)))
    assert Invoice.objects.get().lines.get().service == hosting


@time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=ROME))
def test_no_withdrawal_once_the_next_period_is_claimed_or_the_provider_decided(owner, hosting):
    actions.request_cancellation(hosting, date(2026, 12, 1))  # late: ends 2028-01-15
    hosting.refresh_from_db()
    assert actions.may_withdraw_cancellation(hosting, date(2026, 12, 1))
    start = hosting.cancellation_effective_on
    hosting.renewals.create(period_start=start, period_end=date(2029, 1, 15))
    assert not actions.may_withdraw_cancellation(hosting, date(2026, 12, 1))
    with translation.override("en"), pytest.raises(Exception, match="can no longer be withdrawn"):
        actions.withdraw_cancellation(hosting, date(2026, 12, 1))

    other = make_service(owner, hosting.product, name="olga2.it")
    actions.request_cancellation(other, date(2026, 12, 1), channel=actions.PROVIDER)
    other.refresh_from_db()
    assert not actions.may_withdraw_cancellation(other, date(2026, 12, 1))
    assert not actions.may_withdraw_cancellation(other, other.cancellation_effective_on)
