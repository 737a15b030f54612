"""Quotes through the API: drafted and sent by staff, accepted by the client, with the
rules and mail of the desk and the panel."""

import json
from decimal import Decimal

import pytest

from sportello.billing.models import Invoice, Quote
from sportello.mail.models import OutboundEmail

pytestmark = pytest.mark.django_db


def post(client, path, raw, data=None, **headers):
    return client.post(path, data=json.dumps(data or {}), content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {raw}", **headers)  # fmt: skip


def test_drafted_sent_and_accepted(client, world):
    staff = world.token(world.billing_clerk)
    mine = world.token(world.client_a.owner, client=world.client_a)
    lines = [
        {"description": "Migrazione", "unit_price": "400.00"},
        {"description": "Ore di supporto", "unit_price": "50.00", "quantity": "2"},
    ]
    data = {"client_id": world.client_a.pk, "title": "Migrazione del sito",
            "deposit_percent": "50", "lines": lines}  # fmt: skip
    created = post(client, "/api/v1/quotes", staff, data, HTTP_IDEMPOTENCY_KEY="q-1")
    assert created.status_code == 201 and created.json()["status"] == "draft"
    assert [line["net"] for line in created.json()["lines"]] == ["400.00", "100.00"]
    replay = post(client, "/api/v1/quotes", staff, data, HTTP_IDEMPOTENCY_KEY="q-1")
    assert replay.json()["id"] == created.json()["id"]
    assert Quote.objects.filter(title="Migrazione del sito").count() == 1
    quote_id = created.json()["id"]
    # The client does not see staff's draft, nor accept it.
    assert client.get(f"/api/v1/quotes/{quote_id}", HTTP_AUTHORIZATION=f"Bearer {mine}"
                      ).status_code == 404  # fmt: skip
    sent = post(client, f"/api/v1/quotes/{quote_id}/send", staff)
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    assert OutboundEmail.objects.filter(template="quote_sent", client_id=world.client_a.pk
                                        ).count() == 1  # fmt: skip
    again = post(client, f"/api/v1/quotes/{quote_id}/send", staff)
    assert again.status_code == 422 and again["Content-Type"] == "application/problem+json"
    # Staff may not accept for the client; the client does.
    assert post(client, f"/api/v1/quotes/{quote_id}/accept", staff).status_code == 403
    accepted = post(client, f"/api/v1/quotes/{quote_id}/accept", mine)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    deposit = Invoice.objects.get(pk=accepted.json()["deposit_invoice_id"])
    assert deposit.client_id == world.client_a.pk and deposit.net_total == Decimal("250.00")
    twice = post(client, f"/api/v1/quotes/{quote_id}/accept", mine, HTTP_ACCEPT_LANGUAGE="en")
    assert twice.status_code == 422
    assert twice.json()["detail"] == "This quote cannot be accepted any more."


def test_clients_may_not_draft_or_send(client, world):
    mine = world.token(world.client_a.owner, client=world.client_a)
    data = {"client_id": world.client_a.pk, "title": "x",
            "lines": [{"description": "x", "unit_price": "1.00"}]}  # fmt: skip
    assert post(client, "/api/v1/quotes", mine, data).status_code == 403
    assert post(client, f"/api/v1/quotes/{world.quote.pk}/send", mine).status_code == 403
    other = world.token(world.client_b.owner, client=world.client_b)
    assert post(client, f"/api/v1/quotes/{world.quote.pk}/accept", other).status_code == 404
    assert Quote.objects.get(pk=world.quote.pk).status == Quote.Status.SENT
