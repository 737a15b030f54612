"""PayPal through the official paypal-server-sdk against the local stand-in: an order
approved and captured on return (in USD, with the rate recorded), the approval event before
the return page, a vaulted wallet charged at renewal, forged and stale signatures, and the
nightly reconciliation applying a capture whose event never came."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.urls import reverse
from django.utils import timezone

from sportello.billing.models import Invoice, Payment
from sportello.payments import actions, jobs
from sportello.payments.models import Checkout, SavedMethod, WebhookEvent

from .conftest import open_invoice, usd_rate
from .test_stripe import post_event, urls

pytestmark = pytest.mark.django_db


def start(customer, invoices, save=False):
    return actions.start_checkout(
        customer, invoices, "paypal:paypal", timezone.now(), urls, save_method=save
    )


def test_paid_in_dollars_captured_on_return_with_the_rate_recorded(
    payment_settings, standin, customer
):
    payment_settings.paypal_currency = "USD"
    payment_settings.save()
    usd_rate(timezone.localdate())
    invoice = open_invoice(customer)  # 122.00 EUR
    checkout = start(customer, [invoice], save=True)
    assert checkout.currency == "USD" and checkout.charged_amount == Decimal("134.20")
    assert checkout.redirect_url == f"{standin.url}/pay/paypal/{checkout.session_id}"
    standin.approve_order(checkout.session_id)
    checkout = actions.sync_checkout(checkout, timezone.now())
    assert checkout.status == Checkout.Status.PAID
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    payment = Payment.objects.get(client=customer)
    assert (payment.original_amount, payment.original_currency) == (Decimal("134.20"), "USD")
    assert payment.exchange_rate == Decimal("1.1") and payment.amount == Decimal("122.00")
    assert SavedMethod.objects.get(client=customer).provider == "paypal"
    assert standin.charges == 1


def test_the_approval_event_before_the_return_captures_once(
    client, payment_settings, standin, customer, django_capture_on_commit_callbacks
):
    invoice = open_invoice(customer)
    checkout = start(customer, [invoice])
    order = standin.approve_order(checkout.session_id)
    body, headers = standin.paypal_event("CHECKOUT.ORDER.APPROVED", standin._public_order(order))
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(client, body, headers, "paypal").status_code == 200
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.APPLIED
    # The return page then asks again: the order is already captured.
    client.force_login(customer.owner)
    response = client.get(reverse("portal:checkout_return", args=[checkout.pk]))
    assert response.status_code == 200
    assert standin.charges == 1
    assert Payment.objects.filter(client=customer).count() == 1


def test_forged_and_stale_paypal_signatures_are_refused(client, payment_settings, standin):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    body, headers = standin.paypal_event("PAYMENT.CAPTURE.COMPLETED", {"id": "X"}, sign_with=other)
    assert post_event(client, body, headers, "paypal").status_code == 400
    stale = datetime.now(UTC) - timedelta(hours=2)
    body, headers = standin.paypal_event("PAYMENT.CAPTURE.COMPLETED", {"id": "X"}, sent_at=stale)
    assert post_event(client, body, headers, "paypal").status_code == 400
    body, headers = standin.paypal_event("PAYMENT.CAPTURE.COMPLETED", {"id": "X"})
    headers["PAYPAL-CERT-URL"] = "https://evil.example/cert.pem"
    assert post_event(client, body, headers, "paypal").status_code == 400
    assert not WebhookEvent.objects.exists()


def test_a_vaulted_wallet_pays_the_renewal(payment_settings, standin, customer):
    invoice = open_invoice(customer)
    method = SavedMethod.objects.create(
        client=customer, provider="paypal", mode="test", method="paypal", token="vault_1",
        label="PayPal", default=True,
    )  # fmt: skip
    attempt = actions.charge_attempt(
        invoice.charge_attempts.create(number=1, method=method), timezone.now()
    )
    assert attempt.status == "succeeded"
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID


def test_the_nightly_reconciliation_applies_a_capture_whose_event_never_came(
    payment_settings, standin, customer
):
    invoice = open_invoice(customer)
    checkout = start(customer, [invoice])
    order = standin.approve_order(checkout.session_id)
    with standin.lock:
        standin._capture(order)  # captured at PayPal; the client never came back
    counts = jobs.reconcile(timezone.now(), dry_run=True)
    assert counts["applied"] == 1
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
    assert jobs.reconcile(timezone.now())["applied"] == 1
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert jobs.reconcile(timezone.now())["applied"] == 0  # the second run finds nothing
