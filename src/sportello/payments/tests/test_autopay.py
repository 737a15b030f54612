"""Auto-pay: a renewal invoice charged on issue to the saved card, once however often the
daily job runs; a failed charge retried on the dunning days, once each."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from sportello.billing.models import Invoice
from sportello.payments import actions, jobs
from sportello.payments.models import ChargeAttempt, Consent, SavedMethod
from sportello.services.models import RenewalTerms

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


def test_retries_end_before_the_suspension_rules_apply(payment_settings):
    """Hosting renewals are invoiced 10 days before expiry and suspended at expiry (the
    seeded terms): a retry on day 10 or later would charge a suspended service."""
    payment_settings.dunning_days = "1,3,7"
    payment_settings.full_clean()
    payment_settings.dunning_days = "1,3,12"
    with translation.override("it"), pytest.raises(ValidationError) as error:
        payment_settings.full_clean()
    message = error.value.message_dict["dunning_days"][0]
    assert "12 giorni" in message and "sospesi 10 giorni" in message
    # Five grace days everywhere: suspended 15 days after the invoice, day 12 is in time.
    RenewalTerms.objects.update(grace_days=5)
    payment_settings.full_clean()
