"""What every call goes through: tokens, pages, errors, idempotency, concurrency, limits."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from sportello import testing
from sportello.api import actions, scopes
from sportello.api.models import ApiToken
from sportello.billing.models import Invoice
from sportello.core.models import AuditEvent

from .openapi import document

pytestmark = pytest.mark.django_db


def bearer(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def post(client, path, data, raw, **headers):
    return client.post(path, data=json.dumps(data), content_type="application/json",
                       **bearer(raw), **headers)  # fmt: skip


def test_the_token_is_shown_once_and_stored_as_a_hash(world):
    token, raw = actions.create_token(world.admin, name="Zabbix", scopes=[scopes.CLIENTS_READ],
                                      now=timezone.now())  # fmt: skip
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw.startswith(f"spt_{stored.prefix}_")
    assert raw not in json.dumps(list(ApiToken.objects.values()), default=str)
    assert actions.find_token(raw, timezone.now()) == stored
    assert actions.find_token(raw[:-1] + ("A" if raw[-1] != "A" else "B"), timezone.now()) is None


def test_scopes_are_limited_by_the_holder(world):
    now = timezone.now()
    with pytest.raises(ValidationError):
        actions.create_token(world.agent, name="x", scopes=[scopes.INVOICES_READ], now=now)
    with pytest.raises(ValidationError):
        actions.create_token(world.client_a.owner, client=world.client_a, name="x",
                             scopes=[scopes.SERVICES_WRITE], now=now)  # fmt: skip
    with pytest.raises(ValidationError):
        actions.create_token(world.client_a.owner, client=world.client_b, name="x",
                             scopes=[scopes.TICKETS_READ], now=now)  # fmt: skip


def test_a_role_taken_away_takes_its_scopes(client, world):
    raw = world.token(world.billing_clerk, scopes_=[scopes.INVOICES_READ])
    assert client.get("/api/v1/invoices", **bearer(raw)).status_code == 200
    world.billing_clerk.role = "agent"
    world.billing_clerk.save()
    assert client.get("/api/v1/invoices", **bearer(raw)).status_code == 403


def test_expired_revoked_and_unknown_tokens_are_refused(client, world):
    raw = world.token(world.admin, expires_at=timezone.now() + timedelta(days=1))
    assert client.get("/api/v1/clients", **bearer(raw)).status_code == 200
    token = ApiToken.objects.get(prefix=raw.split("_")[1])
    actions.revoke_token(token, world.admin, timezone.now())
    response = client.get("/api/v1/clients", **bearer(raw))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/v1/clients", **bearer("spt_nothing_here")).status_code == 401
    assert AuditEvent.objects.filter(action=actions.TOKEN_REVOKED).exists()


def test_the_address_allow_list(client, world):
    raw = world.token(world.admin, allowed_ips="192.0.2.0/24")
    assert client.get("/api/v1/clients", **bearer(raw)).status_code == 403
    ok = client.get("/api/v1/clients", REMOTE_ADDR="192.0.2.7", **bearer(raw))
    assert ok.status_code == 200
    token = ApiToken.objects.get(prefix=raw.split("_")[1])
    assert token.last_used_at is not None and token.last_used_ip == "192.0.2.7"
    with pytest.raises(ValidationError):
        world.token(world.admin, allowed_ips="not-a-network")


def test_cursor_pages_walk_everything_once(client, world):
    for n in range(7):
        testing.make_client(f"page{n}@example.org", name=f"Page {n}")
    raw = world.token(world.admin)
    seen, cursor, pages = [], None, 0
    while True:
        query = "limit=3&ordering=-name" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(f"/api/v1/clients?{query}", **bearer(raw)).json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 9 and pages == 3
    response = client.get("/api/v1/clients?cursor=junk!", **bearer(raw))
    assert response.status_code == 422


def test_errors_are_problem_details_in_the_callers_language(client, world):
    raw = world.token(world.admin)
    data = {"client_id": 999999, "lines": [{"description": "x", "unit_price": "1.00"}]}
    italian = post(client, "/api/v1/invoices", data, raw)
    assert italian.status_code == 422 and italian["Content-Type"] == "application/problem+json"
    assert italian.json()["errors"]["client_id"] == ["Cliente inesistente."]
    spanish = post(client, "/api/v1/invoices", data, raw, HTTP_ACCEPT_LANGUAGE="es")
    assert spanish.json()["errors"]["client_id"] == ["No existe ese cliente."]
    schema_error = post(client, "/api/v1/invoices", {"lines": []}, raw)
    assert schema_error.status_code == 422 and "errors" in schema_error.json()


def test_an_idempotency_key_replays_the_first_answer(client, world):
    raw = world.token(world.admin)
    data = {"client_id": world.client_a.pk, "issue": True, "send": False,
            "lines": [{"description": "Consulenza", "unit_price": "80.00"}]}  # fmt: skip
    before = Invoice.objects.count()
    first = post(client, "/api/v1/invoices", data, raw, HTTP_IDEMPOTENCY_KEY="k-1")
    again = post(client, "/api/v1/invoices", data, raw, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again["Idempotent-Replayed"] == "true"
    assert Invoice.objects.count() == before + 1
    other = post(client, "/api/v1/invoices", {**data, "send": True}, raw,
                 HTTP_IDEMPOTENCY_KEY="k-1")  # fmt: skip
    assert other.status_code == 422
    # A refused request keeps no key: corrected, it goes through.
    bad = post(client, "/api/v1/invoices", {**data, "client_id": 0}, raw,
               HTTP_IDEMPOTENCY_KEY="k-2")  # fmt: skip
    good = post(client, "/api/v1/invoices", data, raw, HTTP_IDEMPOTENCY_KEY="k-2")
    assert bad.status_code == 422 and good.status_code == 201


def test_writes_are_audited_with_the_tokens_name(client, world):
    token, raw = actions.create_token(world.admin, name="CRM sync", scopes=scopes.ALL,
                                      now=timezone.now())  # fmt: skip
    response = post(client, f"/api/v1/invoices/{world.invoice.pk}/payments",
                    {"amount": "5.00", "received_on": "2026-12-01"}, raw)  # fmt: skip
    assert response.status_code == 201
    row = AuditEvent.objects.get(action=actions.API_WRITE)
    assert "CRM sync" in row.detail and row.actor == world.admin
    recorded = AuditEvent.objects.filter(action=AuditEvent.Action.PAYMENT_RECORDED).latest("pk")
    assert recorded.actor == world.admin


def test_if_match_refuses_a_change_to_what_changed_meanwhile(client, world):
    raw = world.token(world.admin)
    path = f"/api/v1/tickets/{world.ticket.code}"
    etag = client.get(path, **bearer(raw))["ETag"]
    assert post(client, f"{path}/notes", {"body": "Visto."}, raw).status_code == 201
    stale = post(client, f"{path}/close", {}, raw, HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    fresh = client.get(path, **bearer(raw))["ETag"]
    assert post(client, f"{path}/close", {}, raw, HTTP_IF_MATCH=fresh).status_code == 200


def test_over_the_rate_limit_the_answer_is_429_with_retry_after(client, world, settings):
    settings.API_RATE_LIMIT = 3
    raw = world.token(world.admin)
    statuses = [client.get("/api/v1/clients", **bearer(raw)).status_code for _n in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/v1/clients", **bearer(raw))
    assert 1 <= int(limited["Retry-After"]) <= 60
    # Another token has its own count.
    assert client.get("/api/v1/clients", **bearer(world.token(world.admin))).status_code == 200


def test_the_document_and_the_docs(client, world):
    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200 and served.json() == document()
    assert served.json()["openapi"].startswith("3.1")
    assert client.get("/api/v1/docs").status_code == 302  # to the login page
    client.force_login(world.client_a.owner)
    assert client.get("/api/v1/docs").status_code in (403, 404)
    client.force_login(world.agent)
    assert client.get("/api/v1/docs").status_code == 200
