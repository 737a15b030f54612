"""The nightly reconciliation with Stripe: a card payment whose event never arrived, and an
event stored but never processed (a lost task), are both applied once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sportello.billing.models import Invoice, Payment
from sportello.payments import jobs
from sportello.payments.models import Checkout, WebhookEvent

from .conftest import open_invoice
from .test_stripe import start

pytestmark = pytest.mark.django_db


def test_a_stripe_payment_whose_event_never_came_is_applied_once(
    payment_settings, standin, customer
):
    first, second = open_invoice(customer, "100.00"), open_invoice(customer, "50.00")
    checkout = start(customer, [first, second])
    standin.complete_session(checkout.session_id)  # paid; the event is lost
    assert jobs.reconcile(timezone.now(), dry_run=True)["applied"] == 1
    assert not Payment.objects.exists()
    assert jobs.reconcile(timezone.now())["applied"] == 1
    checkout.refresh_from_db()
    assert checkout.status == Checkout.Status.PAID
    assert Invoice.objects.filter(status=Invoice.Status.PAID).count() == 2
    assert jobs.reconcile(timezone.now())["applied"] == 0
    assert Payment.objects.filter(client=customer).count() == 2


def test_an_event_left_unprocessed_is_processed_by_the_next_run(
    payment_settings, standin, customer
):
    invoice = open_invoice(customer)
    checkout = start(customer, [invoice])
    standin.complete_session(checkout.session_id)
    event = WebhookEvent.objects.create(
        provider="stripe", event_id="evt_lost", type="checkout.session.completed",
        object_id=checkout.session_id, payload={"data": {"object": {}}},
        received_at=timezone.now() - timedelta(hours=1),
    )  # fmt: skip
    counts = jobs.reconcile(timezone.now())
    assert counts["events"] == 1
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.APPLIED
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert Payment.objects.filter(client=customer).count() == 1
