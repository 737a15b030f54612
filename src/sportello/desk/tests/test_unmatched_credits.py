"""Bank credits that match no invoice: added to a client's credit (a suggested client or one
picked), set aside as no client's payment (and put back), each asked for and audited."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from sportello.accounts.models import User
from sportello.billing import actions, reconcile
from sportello.billing.models import BankEntry, Payment
from sportello.core.models import AuditEvent
from sportello.testing import make_client, make_staff

from .test_billing_desk import camt, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(client):
    user = make_staff(User.Role.BILLING)
    client.force_login(user)
    return user


@pytest.fixture
def bianchi(db):
    return make_client("info@bianchiweb.example", name="Bianchi", kind="company",
                       company_name="Bianchi Web S.r.l.")  # fmt: skip


def test_payer_named_like_a_client_is_suggested(client, clerk, bianchi):
    upload(client, camt({"id": "E1", "amount": "80.00", "name": "BIANCHI WEB SRL"}))
    entry = BankEntry.objects.get()
    assert entry.status == BankEntry.Status.UNMATCHED and entry.client == bianchi
    html = client.get(reverse("desk:statements")).content.decode()
    assert "Bianchi Web S.r.l." in html
    assert reverse("desk:statement_entry_credit", args=[entry.pk]) in html


def test_two_clients_of_the_same_name_suggest_neither(client, clerk):
    make_client("a@example.org", name="Mario Rossi")
    make_client("b@example.org", name="Rossi Mario")
    assert reconcile.suggested_client("MARIO ROSSI") is None
    assert reconcile.suggested_client("") is None


def test_credit_goes_to_the_clients_credit_once(client, clerk, bianchi):
    upload(client, camt({"id": "E1", "amount": "80.00", "name": "Unknown payer"}))
    entry = BankEntry.objects.get()
    url = reverse("desk:statement_entry_credit", args=[entry.pk])
    assert client.post(url, {"client": str(bianchi.pk)}).status_code == 302
    assert client.post(url, {"client": str(bianchi.pk)}).status_code == 302  # twice: once
    entry.refresh_from_db()
    assert entry.status == BankEntry.Status.CREDITED and entry.decided_by == clerk
    assert Payment.objects.get().amount == D("80.00")
    assert actions.credit_balance(bianchi) == D("80.00")
    assert (
        AuditEvent.objects.filter(
            action=AuditEvent.Action.BANK_ENTRY_CREDITED, client=bianchi, actor=clerk
        ).count()
        == 1
    )


def test_not_a_client_payment_is_set_aside_and_can_come_back(client, clerk):
    upload(client, camt({"id": "E1", "amount": "12.00", "name": "Hetzner Online GmbH"}))
    entry = BankEntry.objects.get()
    url = reverse("desk:statement_entry_dismiss", args=[entry.pk])
    client.post(url, {"note": ""})
    entry.refresh_from_db()
    assert entry.status == BankEntry.Status.UNMATCHED
    client.post(url, {"note": "Refund of a supplier"})
    entry.refresh_from_db()
    assert entry.status == BankEntry.Status.DISMISSED and entry.note == "Refund of a supplier"
    assert not Payment.objects.exists()
    html = client.get(reverse("desk:statements")).content.decode()
    assert "Refund of a supplier" in html
    client.post(reverse("desk:statement_entry_restore", args=[entry.pk]))
    entry.refresh_from_db()
    assert entry.status == BankEntry.Status.UNMATCHED


def test_a_set_aside_credit_cannot_be_credited(client, clerk, bianchi):
    upload(client, camt({"id": "E1", "amount": "12.00"}))
    entry = BankEntry.objects.get()
    client.post(reverse("desk:statement_entry_dismiss", args=[entry.pk]), {"note": "ours"})
    client.post(reverse("desk:statement_entry_credit", args=[entry.pk]), {"client": bianchi.pk})
    assert not Payment.objects.exists()


def test_money_moving_forms_ask_first(client, clerk, bianchi):
    upload(client, camt({"id": "E1", "amount": "80.00", "name": "BIANCHI WEB SRL"}))
    html = client.get(reverse("desk:statements")).content.decode()
    assert html.count("data-confirm=") >= 3
