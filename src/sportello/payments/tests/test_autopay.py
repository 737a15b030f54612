"""Auto-pay: a renewal invoice charged on issue to the saved card, once however often the
daily job runs; a failed charge retried on the dunning days, once each."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sportello.billing.models import Invoice
from sportello.payments import actions, jobs
from sportello.payments.models import ChargeAttempt, Consent, SavedMethod

from .conftest import open_invoice

pytestmark = pytest.mark.django_db


def renewal(customer):
    invoice = open_invoice(customer)
    Invoice.objects.filter(pk=invoice.pk).update(purpose=Invoice.Purpose.RENEWAL)
    return invoice


def saved(customer, standin, behaviour):
    return SavedMethod.objects.create(
        client=customer, provider="stripe", mode="test", method="card",
        token=standin._method("card", behaviour)["id"], label="Visa", default=True,
    )  # fmt: skip


def test_charged_on_issue_once_however_often_the_job_runs(payment_settings, standin, customer):
    saved(customer, standin, "ok")
    actions.set_autopay(customer, True, customer.owner, "192.0.2.1")
    invoice = renewal(customer)
    now = timezone.now()
    assert jobs.autopay(now, dry_run=True)["charged"] == 1
    assert jobs.autopay(now)["charged"] == 1
    assert jobs.autopay(now)["charged"] == 0
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and standin.charges == 1
    consent = Consent.objects.get(client=customer, kind=Consent.Kind.AUTOPAY_ON)
    assert consent.user == customer.owner and consent.text_version and consent.ip == "192.0.2.1"


def test_a_declined_card_is_retried_on_the_dunning_days(payment_settings, standin, customer):
    saved(customer, standin, "declined")
    actions.set_autopay(customer, True, None, None)
    invoice = renewal(customer)
    now = timezone.now()
    for day in range(0, 9):
        jobs.autopay(now + timedelta(days=day))
        jobs.autopay(now + timedelta(days=day))
    numbers = list(ChargeAttempt.objects.filter(invoice=invoice).values_list("number", flat=True))
    assert sorted(numbers) == [1, 2, 3, 4]  # day 0, then days 1, 3 and 7
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
