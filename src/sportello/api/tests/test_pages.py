"""Token pages in the panel and the desk; webhook pages in the desk."""

import pytest
from django.urls import reverse

from sportello.api.models import ApiToken, WebhookEndpoint

pytestmark = pytest.mark.django_db


def test_a_client_creates_a_token_seen_once_and_revokes_it(client, world):
    client.force_login(world.client_a.owner)
    response = client.post(
        reverse("api:tokens"),
        {"name": "Backup script", "scopes": ["invoices:read", "tickets:read"]},
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(name="Backup script")
    assert token.client == world.client_a and token.user == world.client_a.owner
    raw = response.context["created"]["raw"]
    assert raw.encode() in response.content
    assert raw.encode() not in client.get(reverse("api:tokens")).content  # shown once
    api = client.get("/api/v1/invoices", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert {item["client_id"] for item in api.json()["items"]} == {world.client_a.pk}
    client.post(reverse("api:revoke", args=[token.pk]))
    assert client.get("/api/v1/invoices", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_a_client_cannot_ask_for_staff_scopes(client, world):
    client.force_login(world.client_a.owner)
    response = client.post(reverse("api:tokens"), {"name": "x", "scopes": ["payments:write"]})
    assert response.status_code == 200 and response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_staff_get_the_scopes_of_their_role(client, world):
    client.force_login(world.agent)
    page = client.get(reverse("api_desk:tokens"))
    offered = {value for value, _label in page.context["form"].fields["scopes"].choices}
    assert "tickets:write" in offered and "invoices:read" not in offered
    client.post(
        reverse("api_desk:tokens"),
        {
            "name": "Monitoring",
            "scopes": ["tickets:read"],
            "allowed_ips": "192.0.2.0/24\n2001:db8::/32",
        },
    )
    token = ApiToken.objects.get(name="Monitoring")
    assert token.client is None and token.allowed_ips == "192.0.2.0/24\n2001:db8::/32"
    bad = client.post(
        reverse("api_desk:tokens"),
        {"name": "x", "scopes": ["tickets:read"], "allowed_ips": "example.org"},
    )
    assert "allowed_ips" in bad.context["form"].errors


def test_only_administrators_change_webhooks(client, world, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    data = {"url": "http://127.0.0.1:9/hooks", "events": ["invoice.paid"]}
    client.force_login(world.agent)
    assert client.post(reverse("api_desk:webhooks"), data).status_code == 403
    client.force_login(world.admin)
    response = client.post(reverse("api_desk:webhooks"), data)
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302
    old = endpoint.secret
    client.post(reverse("api_desk:webhook", args=[endpoint.pk]), {"action": "rotate"})
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.previous_secret == old
    client.force_login(world.agent)
    page = client.get(reverse("api_desk:webhook", args=[endpoint.pk]))
    assert page.status_code == 200 and endpoint.secret.encode() not in page.content


def test_a_private_target_is_a_form_error(client, world, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    client.force_login(world.admin)
    response = client.post(
        reverse("api_desk:webhooks"), {"url": "http://10.0.0.8/hooks", "events": ["invoice.paid"]}
    )
    assert response.status_code == 200 and "url" in response.context["form"].errors
