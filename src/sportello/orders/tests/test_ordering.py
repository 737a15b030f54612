"""A visitor orders a hosting with a new domain, signs up at checkout and pays by bank
transfer: the zone is in PowerDNS, the account at the WHM stand-in, the domain at the EPP
stand-in, the services active. The renewal is not paid: the account is suspended and the
zone stays; paid: unsuspended."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from sportello import testing
from sportello.billing import actions as billing
from sportello.billing.models import Coupon, Invoice
from sportello.orders.models import Order, TrustedClient
from sportello.services.models import Service

pytestmark = pytest.mark.django_db


def test_a_visitor_orders_signs_up_pays_and_is_provisioned(
    client, shop, django_capture_on_commit_callbacks
):
    registry, whm = shop["registry"], shop["whm"]
    registry.domains["bottega.com"] = {"clID": "OTHER", "exDate": "2027-01-01", "statuses": [],
                                       "ns": [], "pw": "x"}  # fmt: skip
    page = client.get(reverse("orders:domain"), {"name": "bottega.it"})
    assert page.status_code == 200
    assert [(r["name"], r["free"]) for r in page.context["results"]] == [
        ("bottega.it", True), ("bottega.com", False)
    ]  # fmt: skip

    client.post(reverse("orders:add"), {"product": shop["domain"].pk, "cycle": 12,
                                        "name": "bottega.it", "kind": "register"})  # fmt: skip
    client.post(reverse("orders:add"), {"product": shop["hosting"].pk, "cycle": 12,
                                        "name": "bottega.it"})  # fmt: skip
    Coupon.objects.create(code="BENVENUTO", kind=Coupon.Kind.PERCENT, value=Decimal("10"),
                          valid_from=timezone.localdate())  # fmt: skip
    # The VAT of the visitor's country before paying: Italy 22%, Germany (a consumer, under
    # the OSS threshold) the provider's.
    preview = client.post(reverse("orders:cart"), {"country": "IT", "coupon": "BENVENUTO",
                                                   "preview": "1"})  # fmt: skip
    summary = preview.context["summary"]
    assert summary.net == Decimal("132.90") and summary.discount == Decimal("13.29")
    assert summary.vat_rate == Decimal("22.00")

    with django_capture_on_commit_callbacks(execute=True):
        placed = client.post(reverse("orders:cart"), {
            "name": "Lucia Bottega", "email": "lucia@bottega.example",
            "password": "Un-Altra-Pass-91",
            "country": "IT", "language": "it", "coupon": "BENVENUTO", "accept_terms": "on",
            "accept_privacy": "on", "kind": "person", "fiscal_code": "RSSMRA85T10A562S",
            "address": "Via Roma 1", "postcode": "50100", "city": "Firenze", "place": "1",
        })  # fmt: skip
    assert placed.status_code == 302, placed.context["form"].errors
    order = Order.objects.get()
    invoice = order.invoice
    # The sign-up at the cart records the acceptance as the sign-up page does.
    assert set(order.client.consents.values_list("document", "version")) == {
        ("terms", settings.TERMS_VERSION),
        ("privacy", settings.PRIVACY_VERSION),
    }
    assert order.client.fiscal_code == "RSSMRA85T10A562S"
    assert invoice.total == summary.total == Decimal("145.92")  # (132.90 − 13.29) + 22%
    assert set(order.client.services.values_list("status", flat=True)) == {"pending"}
    assert client.get(reverse("orders:placed")).status_code == 200

    # Paid by bank transfer (the statement's payment is recorded the same way).
    with django_capture_on_commit_callbacks(execute=True):
        billing.record_payment(order.client, invoice.total, timezone.localdate(), invoice=invoice)
    order.refresh_from_db()
    assert order.status == Order.Status.ACCEPTED
    assert set(order.client.services.values_list("status", flat=True)) == {"active"}
    hosting = order.client.services.get(product=shop["hosting"])
    assert [a["domain"] for a in whm.accounts.values()] == ["bottega.it"]
    assert registry.domains["bottega.it"]["clID"] == "SPORTELLO"
    zone = shop["dns"].connect()
    assert zone.zone("bottega.it") is not None

    # The renewal is not paid: suspended at WHM, the zone stays; paid: unsuspended.
    from sportello.services.provisioning import ask_staff

    with django_capture_on_commit_callbacks(execute=True):
        Service.objects.filter(pk=hosting.pk).update(status=Service.Status.SUSPENDED)
        ask_staff([hosting.pk], Service.Status.SUSPENDED, timezone.localdate())
    assert list(whm.accounts.values())[0]["suspended"] == 1
    assert zone.zone("bottega.it") is not None
    with django_capture_on_commit_callbacks(execute=True):
        ask_staff([hosting.pk], Service.Status.ACTIVE, timezone.localdate() + timedelta(days=1))
    assert list(whm.accounts.values())[0]["suspended"] == 0


def test_staff_accept_a_trusted_clients_order_before_payment_and_refuse_another(
    client, shop, django_capture_on_commit_callbacks
):
    from sportello.orders import actions

    customer = testing.make_client("fidato@example.org", name="Cliente Fidato")
    line = actions.priced_line(shop["domain"].pk, 12, "fidato.it", "register")
    order = actions.place_order(customer, [line], timezone.now())
    staff = testing.make_staff()
    with pytest.raises(ValidationError):
        actions.accept_early(order, staff, timezone.now())
    TrustedClient.objects.create(client=customer)
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.accept_early(order, staff, timezone.now())
    assert customer.services.get().status == Service.Status.ACTIVE
    assert order.invoice.status == Invoice.Status.OPEN  # still to pay

    other = actions.place_order(customer, [actions.priced_line(shop["domain"].pk, 12,
                                "altro.it", "register")], timezone.now())  # fmt: skip
    assert actions.refuse(other, staff, "Dati non corretti", timezone.now())
    assert Service.objects.get(name="altro.it").status == Service.Status.CANCELLED
    assert "altro.it" not in shop["registry"].domains


def test_a_transfer_shows_the_lock_state_the_registry_tells(client, shop):
    registry = shop["registry"]
    locked = ["clientTransferProhibited"]
    registry.domains["chiuso.it"] = {"clID": "OTHER", "exDate": "2027-01-01", "ns": [],
                                     "statuses": locked, "pw": "x"}  # fmt: skip
    registry.domains["chiuso.com"] = {"clID": "OTHER", "exDate": "2027-01-01", "ns": [],
                                      "statuses": [], "pw": "y"}  # fmt: skip
    page = client.get(reverse("orders:domain"), {"name": "chiuso.it"})
    rows = {row["name"]: row for row in page.context["results"]}
    assert rows["chiuso.it"]["locked"] is True and rows["chiuso.com"]["locked"] is False
    assert page.content.count(b'class="small muted lock-state"') == 1
