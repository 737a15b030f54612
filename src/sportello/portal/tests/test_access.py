"""Every client-facing URL, with the three personas: the owner sees it, another client
and a staff member get 404 (not 403: nothing reveals that the object exists)."""

import pytest
from django.urls import reverse

from sportello.mail.actions import queue_to_client
from sportello.testing import make_service, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned_urls(owner):
    service = make_service(owner)
    email = queue_to_client(owner, "welcome")
    return [
        reverse("portal:service", args=[service.pk]),
        reverse("portal:mail", args=[email.pk]),
    ]


def test_owner_reaches_their_objects(client, owner, owned_urls):
    client.force_login(owner.owner)
    for url in owned_urls:
        assert client.get(url).status_code == 200, url


def test_another_client_gets_404(client, other_client, owned_urls):
    client.force_login(other_client.owner)
    for url in owned_urls:
        assert client.get(url).status_code == 404, url


def test_staff_of_another_role_gets_404_in_the_client_area(client, owned_urls):
    client.force_login(make_staff())
    for url in owned_urls:
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize(
    "name",
    ["portal:home", "portal:mail_history", "portal:profile", "portal:contact_address"],
)
def test_client_pages_need_a_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_mail_history_lists_only_own_emails(client, owner, other_client):
    queue_to_client(owner, "welcome")
    queue_to_client(other_client, "welcome")
    client.force_login(owner.owner)
    response = client.get(reverse("portal:mail_history"))
    assert list(response.context["emails"]) == list(owner.emails.all())
    assert len(response.context["emails"]) == 1
