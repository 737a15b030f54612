"""Refunds from the desk's invoice page: partial refunds against a credit note, never more
than the payment or the note, the credit ledger balanced, and the credit given back when
the provider refuses."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from sportello.billing import actions as billing
from sportello.billing.models import CreditEntry
from sportello.payments import actions
from sportello.payments.models import Refund
from sportello.testing import make_staff

from .conftest import open_invoice
from .test_stripe import start

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(payment_settings, standin, customer):
    invoice = open_invoice(customer)  # 122.00 with VAT
    checkout = start(customer, [invoice])
    standin.complete_session(checkout.session_id)
    checkout = actions.sync_checkout(checkout, timezone.now())
    return invoice, checkout


def balance(customer):
    return sum((e.amount for e in CreditEntry.objects.filter(client=customer)), Decimal(0))


def test_partial_refunds_from_the_desk_stop_at_what_the_credit_note_credited(
    client, paid, standin, customer
):
    invoice, checkout = paid
    note = billing.issue_credit_note(invoice, timezone.now(), reason="Sconto", amount=Decimal("40"))
    assert balance(customer) == Decimal("40.00")
    client.force_login(make_staff("billing", email="clerk@example.org"))
    page = client.get(reverse("desk:invoice", args=[invoice.pk]))
    assert page.status_code == 200
    form = page.content.decode().split('id="online-payments"')[1]
    assert f'value="{note.pk}"' in form
    assert 'name="amount" inputmode="decimal" value="40,00"' in form  # the note, not 122
    url = reverse("desk:payment_refund", args=[checkout.pk])
    # Staff type amounts as their language writes them.
    for amount in ("15,00", "10.50"):
        response = client.post(url, {"credit_note": note.pk, "amount": amount})
        assert response.status_code == 302
    assert [r["amount"] for r in standin.refunds] == [1500, 1050]
    assert balance(customer) == Decimal("14.50")
    response = client.post(url, {"credit_note": note.pk, "amount": "20"}, follow=True)
    assert "14.50" in response.content.decode() or "14,50" in response.content.decode()
    assert len(standin.refunds) == 2  # refused before reaching the provider
    assert list(Refund.objects.values_list("amount", flat=True).order_by("id")) == [
        Decimal("15.00"), Decimal("10.50"),
    ]  # fmt: skip
    assert actions.refundable(checkout) == Decimal("96.50")


def test_a_refund_the_provider_refuses_gives_the_credit_back(paid, standin, customer):
    invoice, checkout = paid
    note = billing.issue_credit_note(invoice, timezone.now(), reason="Sconto", amount=Decimal("30"))
    standin.refuse_refunds = True
    clerk = make_staff("billing", email="clerk@example.org")
    with pytest.raises(Exception, match="disputed"):
        actions.refund(checkout, note, Decimal("30.00"), clerk, timezone.now())
    assert balance(customer) == Decimal("30.00")
    assert Refund.objects.get().status == Refund.Status.FAILED
    assert actions.left_to_refund(note) == Decimal("30.00")
    standin.refuse_refunds = False
    actions.refund(checkout, note, Decimal("30.00"), clerk, timezone.now())
    assert balance(customer) == Decimal("0.00")
