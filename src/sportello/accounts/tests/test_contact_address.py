import re

import pytest
from django.urls import reverse

from sportello.catalog.models import ProductType
from sportello.core.models import AuditEvent
from sportello.testing import make_product, make_service

pytestmark = pytest.mark.django_db


def test_address_changes_only_after_the_link_sent_to_the_new_address(
    client, owner, deliver_outbox, django_capture_on_commit_callbacks
):
    client.force_login(owner.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("portal:contact_address"), {"email": "new-box@example.net"}, follow=True
        )
    assert "new-box@example.net" in response.content.decode()
    owner.owner.refresh_from_db()
    assert owner.contact_email == "owner@example.org"  # unchanged until confirmed

    [message] = deliver_outbox(1)
    assert message["To"] == "new-box@example.net"
    text = message.get_body(("plain",)).get_content()
    path = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", text).group(1)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(path)
    owner.owner.refresh_from_db()
    assert owner.contact_email == "new-box@example.net"
    actions = list(AuditEvent.objects.filter(client=owner).values_list("action", flat=True))
    assert "contact_change_requested" in actions
    assert "contact_changed" in actions


def test_an_address_on_a_domain_hosted_with_us_needs_an_explicit_yes(client, owner):
    make_service(owner, make_product(type=ProductType.HOSTING), name="olga-shop.it")
    client.force_login(owner.owner)
    url = reverse("portal:contact_address")

    response = client.post(url, {"email": "info@olga-shop.it"}, HTTP_ACCEPT_LANGUAGE="it")
    assert response.status_code == 200
    assert "olga-shop.it" in response.content.decode()
    assert owner.owner.emailaddress_set.count() == 1

    response = client.post(url, {"email": "info@olga-shop.it", "keep_hosted": "on"})
    assert response.status_code == 302
    assert owner.owner.emailaddress_set.filter(email="info@olga-shop.it").exists()


def test_current_address_on_a_hosted_domain_shows_a_warning(client, owner):
    make_service(owner, make_product(type=ProductType.DOMAIN), name="example.org")
    client.force_login(owner.owner)
    response = client.get(reverse("portal:contact_address"))
    assert "example.org" in response.content.decode()
    assert 'class="notice warn"' in response.content.decode()


def test_the_address_of_another_account_cannot_be_taken(client, owner, other_client):
    client.force_login(owner.owner)
    response = client.post(reverse("portal:contact_address"), {"email": other_client.contact_email})
    assert response.status_code == 200
    assert not owner.owner.emailaddress_set.filter(email=other_client.contact_email).exists()
