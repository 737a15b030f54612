"""Card payments take effect at once (BIL-8): funds added by card are credit as soon as the
provider confirms, and a suspended service whose renewal is paid by card is active again
without waiting for the review of reported payments."""

from decimal import Decimal

import pytest
from django.utils import timezone

from sportello import testing
from sportello.billing import actions as billing
from sportello.billing.models import Invoice, Payment
from sportello.payments import actions
from sportello.payments.models import Checkout
from sportello.services import renewals
from sportello.services.models import Service

from .test_stripe import start

pytestmark = pytest.mark.django_db


def test_funds_added_by_card_are_credit_at_once(payment_settings, standin, customer):
    notice = billing.add_funds(customer, Decimal("50.00"), timezone.now())
    assert notice.status == Invoice.Status.OPEN and notice.purpose == Invoice.Purpose.FUNDS
    assert notice in actions.payable_invoices(customer)
    checkout = start(customer, [notice])
    assert checkout.amount == Decimal("50.00")  # funds carry no VAT
    standin.complete_session(checkout.session_id)
    checkout = actions.sync_checkout(checkout, timezone.now())
    assert checkout.status == Checkout.Status.PAID
    notice.refresh_from_db()
    assert notice.status == Invoice.Status.PAID
    assert billing.credit_balance(customer) == Decimal("50.00")
    assert Payment.objects.get(client=customer).method == Payment.Method.CARD


def test_a_suspended_service_renewed_by_card_is_active_at_once(payment_settings, standin, customer):
    service = testing.make_service(customer)
    now = timezone.now()
    invoice = renewals.invoice_renewals(customer, [service], now)
    assert invoice is not None
    Service.objects.filter(pk=service.pk).update(status=Service.Status.SUSPENDED)
    old_expiry = service.expires_on
    checkout = start(customer, [invoice])
    standin.complete_session(checkout.session_id)
    actions.sync_checkout(checkout, timezone.now())
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE
    assert service.expires_on > old_expiry
