from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from sportello import testing
from sportello.billing import actions as billing
from sportello.billing.models import ExchangeRate
from sportello.payments import paypal_provider, stripe_provider
from sportello.payments.models import PaymentSettings

from .standin import PAYPAL_WEBHOOK_ID, STRIPE_WEBHOOK_SECRET, StandIn


@pytest.fixture
def standin():
    server = StandIn().start()
    yield server
    server.stop()


@pytest.fixture
def payment_settings(standin, monkeypatch):
    # Short waits: the stand-in's "slow" answers come after these.
    monkeypatch.setattr(stripe_provider, "TIMEOUT", 1)
    monkeypatch.setattr(paypal_provider, "TIMEOUT", 1)
    paypal_provider._certificates.clear()
    row = PaymentSettings.current()
    row.mode = PaymentSettings.Mode.TEST
    row.stripe_enabled = True
    row.stripe_sepa_enabled = True
    row.stripe_publishable_key = "pk_test_standin"
    row.stripe_secret_key = "sk_test_standin"
    row.stripe_webhook_secret = STRIPE_WEBHOOK_SECRET
    row.stripe_api_base = standin.url
    row.paypal_enabled = True
    row.paypal_client_id = "standin-client"
    row.paypal_client_secret = "standin-secret"
    row.paypal_webhook_id = PAYPAL_WEBHOOK_ID
    row.paypal_api_base = standin.url
    row.save()
    return row


@pytest.fixture
def customer():
    return testing.make_client("cliente@example.org", name="Carla Clienti")


def open_invoice(client, amount="100.00"):
    return billing.create_invoice(
        client, [billing.Line("Hosting", Decimal(amount))], timezone.now(), send=False
    )


def usd_rate(day: date, rate="1.100000"):
    ExchangeRate.objects.create(day=day, currency="USD", rate=Decimal(rate))
