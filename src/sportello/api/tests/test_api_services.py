"""Suspending, reactivating and terminating services through the API: the same actions as
the desk, their refusals as problem details, the servers and the webhooks told."""

import json

import pytest
from django.utils import timezone

from sportello import testing
from sportello.api import actions, scopes
from sportello.api.models import WebhookDelivery
from sportello.core.models import AuditEvent
from sportello.services.models import ProvisioningTask, Service

pytestmark = pytest.mark.django_db


def post(client, path, raw, data=None, **headers):
    return client.post(path, data=json.dumps(data or {}), content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {raw}", **headers)  # fmt: skip


def test_suspend_unsuspend_terminate(client, world, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    actions.create_endpoint("http://127.0.0.1:9/hooks",
                            ["service.suspended", "service.reactivated", "service.terminated"],
                            actor=world.admin)  # fmt: skip
    token, raw = actions.create_token(world.admin, name="Monitoraggio", scopes=scopes.ALL,
                                      now=timezone.now())  # fmt: skip
    base = f"/api/v1/services/{world.service.pk}"
    suspended = post(client, f"{base}/suspend", raw)
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    tasks = ProvisioningTask.objects.filter(service=world.service)
    assert tasks.filter(action=ProvisioningTask.Action.SUSPEND).exists()
    again = post(client, f"{base}/suspend", raw)
    assert again.status_code == 422 and again["Content-Type"] == "application/problem+json"
    assert "anna.example" in again.json()["detail"]
    reactivated = post(client, f"{base}/unsuspend", raw)
    assert reactivated.status_code == 200 and reactivated.json()["status"] == "active"
    ended = post(client, f"{base}/terminate", raw)
    assert ended.status_code == 200 and ended.json()["status"] == "terminated"
    # Already ended: refused in the caller's language, nothing changes.
    twice = post(client, f"{base}/terminate", raw, HTTP_ACCEPT_LANGUAGE="es")
    assert twice.status_code == 422
    assert twice.json()["detail"].startswith("anna.example no se puede")
    assert post(client, f"{base}/unsuspend", raw).status_code == 422
    assert Service.objects.get(pk=world.service.pk).status == Service.Status.TERMINATED
    assert list(WebhookDelivery.objects.order_by("pk").values_list("event", flat=True)) == [
        "service.suspended", "service.reactivated", "service.terminated",
    ]  # fmt: skip
    written = AuditEvent.objects.filter(action=actions.API_WRITE, detail__startswith="Monitoraggio")
    assert written.count() == 3
    assert AuditEvent.objects.filter(action=AuditEvent.Action.STAFF_CHANGED_CLIENT,
                                     actor=world.admin).count() == 3  # fmt: skip


def test_a_domain_goes_on_hold(client, world):
    product = testing.make_product(type="domain")
    domain = testing.make_service(world.client_a, product, name="anna.it")
    raw = world.token(world.admin)
    response = post(client, f"/api/v1/services/{domain.pk}/suspend", raw)
    assert response.status_code == 200 and response.json()["status"] == "on_hold"


def test_clients_may_not_change_a_services_status(client, world):
    raw = world.token(world.client_a.owner, client=world.client_a)
    for operation in ("suspend", "unsuspend", "terminate"):
        response = post(client, f"/api/v1/services/{world.service.pk}/{operation}", raw)
        assert response.status_code == 403
    assert Service.objects.get(pk=world.service.pk).status == Service.Status.ACTIVE
