import re

import pytest
from django.urls import reverse

from sportello.accounts.models import User
from sportello.catalog.models import ProductType
from sportello.core.models import AuditEvent
from sportello.testing import make_product, make_service, make_staff

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


def test_the_address_of_another_account_is_neither_taken_nor_revealed(
    client, owner, other_client, deliver_outbox, django_capture_on_commit_callbacks
):
    staff = make_staff(User.Role.ADMIN)
    client.force_login(owner.owner)
    url = reverse("portal:contact_address")
    answers = []
    for email in ["free-box@example.net", other_client.contact_email, staff.email.upper()]:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, {"email": email}, follow=True)
        page = re.sub(
            r'name="csrfmiddlewaretoken" value="[^"]+"',
            "",
            response.content.decode().replace(email.lower(), "ADDRESS"),
        )
        answers.append((response.status_code, response.redirect_chain, page))
    # A free address, a client's and a staff member's get the same answer.
    assert answers[0] == answers[1] == answers[2]

    messages = deliver_outbox(3)
    links = [
        m for m in messages if "/accounts/confirm-email/" in m.get_body(("plain",)).get_content()
    ]
    assert [m["To"] for m in links] == ["free-box@example.net"]
    # The holders are told someone tried, and given no link that could move their address.
    for holder in (other_client.contact_email, staff.email):
        [notice] = [m for m in messages if m["To"] == holder]
        assert "/accounts/confirm-email/" not in notice.get_body(("plain",)).get_content()
    owner.owner.refresh_from_db()
    assert owner.contact_email == "owner@example.org"
    assert not owner.owner.emailaddress_set.filter(
        email=other_client.contact_email, verified=True
    ).exists()


def test_a_change_sends_confirm_your_new_address_and_no_welcome(
    client, owner, deliver_outbox, django_capture_on_commit_callbacks
):
    """A client who never had the welcome email (created by staff or imported) changes
    the address: the link says it is a change, and confirming it welcomes nobody."""
    owner.owner.language = "en"
    owner.owner.save()
    client.force_login(owner.owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:contact_address"), {"email": "new-box@example.net"})
    [message] = deliver_outbox(1)
    assert "Confirm your new address" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "register" not in text.lower()
    assert "Until you confirm it, we keep writing to your current address" in text
    path = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", text).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(path)
    owner.owner.refresh_from_db()
    assert owner.contact_email == "new-box@example.net"
    assert not owner.emails.filter(template="welcome").exists()
    assert not owner.emails.filter(template__contains="signup").exists()
